"""What payments let flows ask of them by name (civic.core.actions): start a card payment, cancel one, give
the money back (cancel or refund).

They use the payments API's schemas and service functions (a composed service cancels its payment when a
later step fails: a finished payment is not cancelled, and says so). `idempotency_key` does what the header
does on the API: the same key (a flow's step, retried) resumes the same payment instead of making a second."""
import marshmallow as ma

from civic.core.actions import Action
from civic.core.schemas import StrictSchema
from civic.payments import refunds, schemas, service


class CreateInput(schemas.PaymentSchema):
    idempotency_key = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 255), metadata={
        "description": "Send the same key when retrying, to resume the same payment."})


def create(*, tenant_id, idempotency_key=None, **fields) -> dict:
    return service.create_payment(tenant_id=tenant_id, retry_key=idempotency_key and f"action/{idempotency_key}",
                                  **fields)


CREATE = Action("payments.create", "Start a card payment and get what the payment page needs (the client "
                "secret); `civic.payments.payment_succeeded` follows when it is paid.",
                CreateInput, schemas.CreatedPaymentSchema, create)
class PaymentIdInput(StrictSchema):
    payment_id = ma.fields.UUID(required=True, metadata={"description": "The payment's id."})


def cancel(*, tenant_id, payment_id):
    """Cancel an unfinished payment. As a flow's undo: one that already ended without taking money (failed,
    cancelled, an error) is already what was asked; one that succeeded is refused (`payment_not_cancellable`)."""
    payment = service.get_payment(tenant_id=tenant_id, payment_id=payment_id)
    if payment.finished and payment.state != "success":
        return payment
    return service.cancel_payment(tenant_id=tenant_id, payment_id=payment_id)


CANCEL = Action("payments.cancel", "Cancel a payment that is not finished, so no money is taken (one already "
                "ended without taking money is left as it is); `civic.payments.payment_cancelled` follows.",
                PaymentIdInput, schemas.PaymentSchema, cancel)
def reverse(*, tenant_id, payment_id):
    """Give the money back, whatever the payment's state: one not finished is cancelled, one that succeeded is
    refunded in full (what is left to refund; once, however often it is asked), one that ended without
    taking money is left as it is. A composed service's undo of its payment step."""
    payment = service.get_payment(tenant_id=tenant_id, payment_id=payment_id)
    if payment.state != "success":
        return cancel(tenant_id=tenant_id, payment_id=payment_id)
    left = refunds.available(payment)
    if left > 0:
        refunds.create_refund(tenant_id=tenant_id, payment_id=payment_id, amount=left, refund_amount_available=left,
                              retry_key="reverse")
    return service.get_payment(tenant_id=tenant_id, payment_id=payment_id)


REVERSE = Action("payments.reverse", "Give the money back: cancel a payment not finished, or refund a successful one "
                 "in full (once); one that ended without taking money is left as it is.",
                 PaymentIdInput, schemas.PaymentSchema, reverse)
ACTIONS = (CREATE, CANCEL, REVERSE)
