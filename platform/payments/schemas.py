"""What the payments API accepts and returns, in GOV.UK Pay's shape (amounts in pence, GBP only)."""
import marshmallow as ma

from civic.core import contact
from civic.core.pagination import PageQuerySchema
from civic.core.schemas import LinkSchema, ResourceSchema, StrictSchema
from civic.payments import refunds
from civic.payments.models import REFUND_STATES, STATES
from civic.payments.provider import SIMULATED_CARDS

MAX_AMOUNT = 100_000_000  # £1,000,000.00, as GOV.UK Pay
When = ma.fields.AwareDateTime
HOLD_ID = "7d0c6a52-3f4e-4d38-9a51-2b8f1c0e6d11"
EXAMPLE_ID = "3b5e9c8a-1f2d-4e6b-8a7c-9d0e1f2a3b4c"


def pay_metadata(value: dict) -> None:
    """GOV.UK Pay's rules: at most 15 keys of 1-30 characters; values a string up to 100, a number or a boolean."""
    if len(value) > 15:
        raise ma.ValidationError("At most 15 keys.")
    for key, item in value.items():
        if not 1 <= len(key) <= 30:
            raise ma.ValidationError(f"Key {key[:30]!r}...: keys are 1 to 30 characters.")
        if isinstance(item, str):
            if len(item) > 100:
                raise ma.ValidationError(f"{key}: text values are at most 100 characters.")
        elif not isinstance(item, (bool, int, float)) or item != item or item in (float("inf"), float("-inf")):
            raise ma.ValidationError(f"{key}: a value is a string, a number or a boolean.")


class StateSchema(ma.Schema):
    status = ma.fields.String(metadata={"enum": list(STATES)})
    finished = ma.fields.Boolean(metadata={"description": "True once the payment can no longer change (but to success)."})
    code = ma.fields.String(allow_none=True, metadata={"description": "GOV.UK Pay's code: P0010 declined, P0020 expired, "
                                                      "P0030 cancelled by the payer, P0040 cancelled by you, P0050 provider error."})
    message = ma.fields.String(allow_none=True)


def _state(payment) -> dict:
    return {"status": payment.state, "finished": payment.finished, "code": payment.failure_code,
            "message": payment.failure_message}


def _provider(payment) -> dict:
    return {"name": payment.provider, "status": payment.provider_status, "payment_intent_id": payment.provider_id}


class PaymentSchema(ResourceSchema):
    """A card payment."""

    class Meta(ResourceSchema.Meta):
        example = {"amount": 2500, "description": "Community room hire, Saturday 10:00-12:00",
                   "reference": "ROOM-2027-0142", "return_url": "https://youthclub.example.org/paid",
                   "email": "sam@example.org", "metadata": {"room": "Main hall", "hours": 2},
                   "link": {"type": "booking.hold", "id": HOLD_ID}}

    amount = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(1, MAX_AMOUNT),
                               metadata={"description": f"In pence: 1 to {MAX_AMOUNT:,}.", "example": 2500})
    currency = ma.fields.String(load_default="GBP", validate=ma.validate.OneOf(["GBP"], error="Only GBP is taken."))
    description = ma.fields.String(required=True, validate=ma.validate.Length(1, 255),
                                   metadata={"description": "Shown to the payer.", "example": "Bulky waste collection"})
    reference = ma.fields.String(required=True, validate=ma.validate.Length(1, 255),
                                 metadata={"description": "Your reference (need not be unique).", "example": "BW-0093"})
    return_url = ma.fields.Url(required=True, require_tld=False, schemes={"https", "http"},
                               validate=ma.validate.Length(max=2000),
                               metadata={"description": "Where your page sends the payer afterwards."})
    email = contact.Email(load_default=None, allow_none=True, validate=ma.validate.Length(max=320))
    delayed_capture = ma.fields.Boolean(load_default=False, metadata={
        "description": "Only authorise the card now; take the money later with .../capture."})
    metadata_ = ma.fields.Dict(data_key="metadata", keys=ma.fields.String(), values=ma.fields.Raw(), load_default=dict,
                               validate=pay_metadata, metadata={
                                   "description": "GOV.UK Pay's rules: up to 15 keys of 1-30 characters; values text "
                                                  "(up to 100), numbers or booleans. Fixed once the payment is made."})
    link = ma.fields.Nested(LinkSchema, load_default=None, allow_none=True, metadata={
        "description": "Another component's record, e.g. a booking hold: the payment's events carry it, so a paid "
                       "hold becomes a booking and a failed or expired payment gives the place back."})
    state = ma.fields.Function(_state, dump_only=True, metadata={"description": "Status, finished, code, message."})
    provider = ma.fields.Function(_provider, dump_only=True, metadata={"description": "Stripe's own view of the payment."})
    refund_summary = ma.fields.Function(refunds.summary, dump_only=True)
    expires_at = When(dump_only=True, format="iso")
    captured_at = When(dump_only=True, format="iso", allow_none=True)


class CreatedPaymentSchema(PaymentSchema):
    """A new payment, with what the payer's page needs to take the card with Stripe's elements."""

    class Meta(PaymentSchema.Meta):
        pass

    client_secret = ma.fields.String(dump_only=True, allow_none=True, metadata={
        "description": "Give it to Stripe.js on your payment page only; never log or store it."})
    publishable_key = ma.fields.String(dump_only=True)


class PaymentQuerySchema(PageQuerySchema, StrictSchema):
    state = ma.fields.String(load_default=None, validate=ma.validate.OneOf(STATES))
    reference = ma.fields.String(load_default=None)
    email = contact.Email(load_default=None)
    from_date = When(load_default=None, metadata={"description": "Payments created at or after this time."})
    to_date = When(load_default=None, metadata={"description": "Payments created before this time."})


class PaymentEventSchema(ma.Schema):
    state = ma.fields.String()
    provider_status = ma.fields.String(allow_none=True)
    source = ma.fields.String(metadata={"description": "api, webhook, reconciliation, expiry, simulation or provider_error."})
    note = ma.fields.String(allow_none=True)
    refund_id = ma.fields.UUID(allow_none=True)
    created_at = When(format="iso")


class PaymentEventsSchema(ma.Schema):
    class Meta(ma.Schema.Meta):
        example = {"payment_id": "5f0c6a52-3c1e-4b8e-9d1a-2b7f4e6c8a10", "items": [
            {"state": "created", "provider_status": "requires_payment_method", "source": "api", "note": None,
             "refund_id": None, "created_at": "2027-03-06T09:58:00+00:00"},
            {"state": "success", "provider_status": "succeeded", "source": "webhook", "note": None,
             "refund_id": None, "created_at": "2027-03-06T10:01:12+00:00"}]}

    payment_id = ma.fields.UUID()
    items = ma.fields.List(ma.fields.Nested(PaymentEventSchema))


class RefundSchema(ResourceSchema):
    """Money given back on a successful payment."""

    class Meta(ResourceSchema.Meta):
        example = {"amount": 1000, "refund_amount_available": 2500, "reference": "ROOM-2027-0142-R1"}

    amount = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(1, MAX_AMOUNT))
    refund_amount_available = ma.fields.Integer(required=True, strict=True, load_only=True, validate=ma.validate.Range(0),
                                                metadata={"description": "What you believe is still refundable "
                                                                         "(the payment's refund_summary.amount_available)."})
    payment_id = ma.fields.UUID(dump_only=True)
    state = ma.fields.String(dump_only=True, metadata={"enum": list(REFUND_STATES)})
    provider_status = ma.fields.String(dump_only=True, allow_none=True)


class RefundQuerySchema(PageQuerySchema, StrictSchema):
    state = ma.fields.String(load_default=None, validate=ma.validate.OneOf(REFUND_STATES))


class AccountSchema(StrictSchema):
    """Your organisation's Stripe keys (from the Stripe dashboard). They are stored encrypted and never shown again."""

    class Meta(StrictSchema.Meta):
        example = {"secret_key": "sk_test_51Hx0000000000000000000000", "publishable_key": "pk_test_51Hx000000000000000000000",
                   "webhook_secret": "whsec_0000000000000000000000000000"}

    secret_key = ma.fields.String(required=True, load_only=True, validate=ma.validate.Regexp(
        r"^(sk|rk)_(test|live)_[A-Za-z0-9]{8,250}$", error="A Stripe secret key: sk_test_... or sk_live_..."))
    publishable_key = ma.fields.String(required=True, load_only=True, validate=ma.validate.Regexp(
        r"^pk_(test|live)_[A-Za-z0-9]{8,250}$", error="A Stripe publishable key: pk_test_... or pk_live_..."))
    webhook_secret = ma.fields.String(required=True, load_only=True, validate=ma.validate.Regexp(
        r"^whsec_[A-Za-z0-9+/=]{8,250}$", error="A Stripe webhook signing secret: whsec_..."))


class AccountViewSchema(ma.Schema):
    """What is set up: which provider, test or live, and the last four characters of each key."""

    class Meta:
        example = {"configured": True, "provider": "stripe", "mode": "test", "secret_key_last4": "0000",
                   "publishable_key_last4": "0000", "webhook_secret_last4": "0000"}

    configured = ma.fields.Boolean()
    provider = ma.fields.String(allow_none=True, metadata={"enum": ["stripe", "simulated"]})
    mode = ma.fields.String(allow_none=True, metadata={"enum": ["test", "live"]})
    secret_key_last4 = ma.fields.String()
    publishable_key_last4 = ma.fields.String()
    webhook_secret_last4 = ma.fields.String()
    updated_at = When(format="iso")


class SimulateSchema(StrictSchema):
    """A card played on a simulated payment (sandbox without Stripe keys)."""

    class Meta(StrictSchema.Meta):
        example = {"card_number": "4242424242424242"}

    card_number = ma.fields.String(load_default=None, validate=ma.validate.OneOf(list(SIMULATED_CARDS)), metadata={
        "description": "; ".join(f"{number} {what}" for number, what in SIMULATED_CARDS.items())})
    authenticate = ma.fields.Boolean(load_default=None, metadata={
        "description": "After 4000002500003155: true passes the card's authentication, false fails it."})

    @ma.validates_schema
    def _one(self, data, **_kwargs):
        if (data.get("card_number") is None) == (data.get("authenticate") is None):
            raise ma.ValidationError("Send card_number, or (after an authentication card) authenticate.", "card_number")


class StripeEventSchema(ma.Schema):
    """A Stripe event, as Stripe sends it (only its signature makes it believed)."""

    class Meta:
        unknown = ma.INCLUDE
        example = {"id": "evt_1PZ0000000000000", "object": "event", "type": "payment_intent.succeeded",
                   "data": {"object": {"id": "pi_3PZ0000000000000", "object": "payment_intent", "status": "succeeded"}}}

    id = ma.fields.String(required=True)
    type = ma.fields.String(required=True)


class WebhookAnswerSchema(ma.Schema):
    class Meta(ma.Schema.Meta):
        example = {"received": True, "duplicate": False, "outcome": "applied"}

    received = ma.fields.Boolean()
    duplicate = ma.fields.Boolean()
    outcome = ma.fields.String(metadata={"description": "applied, no_change, already_received, unknown_payment, ignored..."})
