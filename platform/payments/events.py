"""The events payments emits. Ids, amounts and codes only: never the payer's email or the description.

Each payload carries the record the payment was linked to (`link_type`, `link_id`, e.g. `booking.hold`
and the hold's id), so a flow can confirm a booking hold when its payment succeeds; and `sandbox`.
"""
from marshmallow import Schema, fields

from civic.core.events import EventType


class PaymentData(Schema):
    payment_id = fields.UUID(required=True)
    amount = fields.Integer(required=True)
    state = fields.String(required=True)
    code = fields.String(required=True, allow_none=True)
    link_type = fields.String(required=True, allow_none=True)
    link_id = fields.UUID(required=True, allow_none=True)
    sandbox = fields.Boolean(required=True)


class RefundData(Schema):
    refund_id = fields.UUID(required=True)
    payment_id = fields.UUID(required=True)
    amount = fields.Integer(required=True)
    state = fields.String(required=True)
    link_type = fields.String(required=True, allow_none=True)
    link_id = fields.UUID(required=True, allow_none=True)
    sandbox = fields.Boolean(required=True)


PAYMENT_SUCCEEDED = EventType("civic.payments.payment_succeeded", "A payment succeeded: the money was taken.",
                              PaymentData)
PAYMENT_FAILED = EventType("civic.payments.payment_failed", "A payment failed: the card was refused, the payer "
                           "gave up or the provider failed (no money taken).", PaymentData)
PAYMENT_CANCELLED = EventType("civic.payments.payment_cancelled", "A payment was cancelled by the service before "
                              "it finished (no money taken).", PaymentData)
PAYMENT_EXPIRED = EventType("civic.payments.payment_expired", "A payment was not finished in time (90 minutes) "
                            "and expired (no money taken).", PaymentData)
REFUND_SUCCEEDED = EventType("civic.payments.refund_succeeded", "A refund was paid back to the card.", RefundData)
REFUND_FAILED = EventType("civic.payments.refund_failed", "A refund could not be made.", RefundData)


def payment_data(payment) -> dict:
    return {"payment_id": str(payment.id), "amount": payment.amount, "state": payment.state,
            "code": payment.failure_code, "link_type": payment.link_type,
            "link_id": str(payment.link_id) if payment.link_id else None, "sandbox": bool(payment.sandbox)}


def refund_data(refund, payment) -> dict:
    return {"refund_id": str(refund.id), "payment_id": str(payment.id), "amount": refund.amount,
            "state": refund.state, "link_type": payment.link_type,
            "link_id": str(payment.link_id) if payment.link_id else None, "sandbox": bool(payment.sandbox)}
