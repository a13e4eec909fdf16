"""Refunds: all or part of a successful payment, several times, never more than what was paid.

The caller says how much it believes is still refundable (`refund_amount_available`, as in GOV.UK
Pay): the payment row is locked, so of two refunds sent at once from the same reading, one is a 409.
"""
import uuid

from civic.core.db import session, utcnow
from civic.core.errors import not_found
from civic.core.pagination import paginate
from civic.core.tenancy import get_scoped, scoped
from civic.payments import events, kept, problems, service
from civic.payments.models import Payment, Refund
from civic.payments.provider import ProviderFailure

FROM_STRIPE = {"pending": "submitted", "requires_action": "submitted", "succeeded": "success", "failed": "error",
               "canceled": "error"}


def available(payment: Payment) -> int:
    return payment.amount - payment.amount_refunded if payment.state == "success" else 0


def summary(payment: Payment) -> dict:
    """GOV.UK Pay's refund_summary: what can still be refunded and what is on its way."""
    left = available(payment)
    status = ("unavailable" if payment.state != "success" else "full" if left == 0 else "available")
    return {"status": status, "amount_available": left, "amount_submitted": payment.amount_refunded}


def create_refund(*, tenant_id: uuid.UUID, payment_id, amount: int, refund_amount_available: int,
                  reference: str | None = None, metadata_: dict | None = None, retry_key: str | None = None) -> Refund:
    """Refund `amount` pence of a successful payment."""
    payment = service.get_payment(tenant_id=tenant_id, payment_id=payment_id, lock=True)
    refund_id = service.retry_id(tenant_id, f"refund/{payment.id}/{retry_key}" if retry_key else None)
    refund = session.scalars(scoped(Refund, tenant_id).where(Refund.id == refund_id)).first()
    if refund is None:
        if payment.state != "success":
            raise problems.NOT_REFUNDABLE(f"This payment is {payment.state}.")
        left = available(payment)
        if refund_amount_available != left:
            raise problems.REFUND_AMOUNT_AVAILABLE_MISMATCH(
                f"{left} pence are available to refund, not {refund_amount_available}.",
                errors={"refund_amount_available": [f"Now {left}."]})
        if amount > left:
            raise problems.REFUND_TOO_LARGE(f"At most {left} pence can be refunded.", errors={"amount": [f"At most {left}."]})
        now = utcnow()
        refund = Refund(id=refund_id, tenant_id=tenant_id, payment_id=payment.id, sandbox=payment.sandbox, amount=amount,
                        state="submitted", reference=reference, metadata_=metadata_ or {}, created_at=now, updated_at=now)
        session.add(refund)
        payment.amount_refunded += amount
        session.flush()
    elif refund.provider_id:
        return refund  # already made at Stripe: the retry answers with it
    provider, _ = service.provider_for(tenant_id, payment)
    try:
        result = provider.refund(payment, refund)
    except ProviderFailure as failure:
        refund.provider_status = "unknown"
        kept.keep(payment, refund)
        raise service.failed_call(failure) from None
    refund.provider_id = result.id
    apply_refund(payment, refund, result.status, source="api")
    return refund


def apply_refund(payment: Payment, refund: Refund, stripe_status: str, *, source: str) -> bool:
    """Move a refund to what Stripe says, once: submitted -> success or error (then given back to the available)."""
    state = FROM_STRIPE.get(stripe_status, "submitted")
    refund.provider_status = stripe_status
    if refund.state != "submitted" or state == "submitted":
        session.flush()
        return False
    refund.state = state
    if state == "error":
        payment.amount_refunded -= refund.amount
    service.history(payment, source, f"refund {state}", refund_id=refund.id)
    session.flush()
    event = events.REFUND_SUCCEEDED if state == "success" else events.REFUND_FAILED
    event.emit(tenant_id=payment.tenant_id, subject=str(refund.id), data=events.refund_data(refund, payment))
    return True


def get_refund(*, tenant_id: uuid.UUID, payment_id, refund_id) -> Refund:
    refund = get_scoped(Refund, tenant_id, refund_id, what="refund")
    if str(refund.payment_id) != str(payment_id):
        raise not_found("refund")  # the same 404 as a missing one
    return refund


def list_refunds(*, tenant_id: uuid.UUID, payment_id=None, state: str | None = None, limit: int = 20,
                 after: str | None = None) -> dict:
    """One page of refunds: of one payment, or of the whole organisation."""
    query = scoped(Refund, tenant_id)
    if payment_id is not None:
        payment = get_scoped(Payment, tenant_id, payment_id, what="payment")
        query = query.where(Refund.payment_id == payment.id)
    if state is not None:
        query = query.where(Refund.state == state)
    return paginate(query, Refund, limit=limit, after=after)
