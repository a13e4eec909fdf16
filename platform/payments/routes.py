"""The payments API under /v1/payments: HTTP only, one service call per method."""
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from civic.core.auth import current_principal, current_tenant_id, inbound, require
from civic.core.pagination import page_schema
from civic.payments import kept, refunds, schemas, service, webhooks
from civic.payments.provider import SIMULATED_CARDS

CARDS = "\n".join(f"- `{number}` {what}" for number, what in SIMULATED_CARDS.items())
GUIDE = f"""Card payments and refunds through your organisation's own Stripe account, in the shape of
GOV.UK Pay's API: the money goes straight to you.

**Take a payment for a room booking in four steps.**

1. Once, as an organisation admin: `PUT /v1/payments/account` with your Stripe `secret_key`,
   `publishable_key` and `webhook_secret`, and point a Stripe webhook at
   `/v1/payments/webhooks/stripe/{{your organisation's id}}`.
2. Hold the room (`POST /v1/booking/holds`), then `POST /v1/payments` with `amount` (pence),
   `description`, `reference`, `return_url` and `link: {{"type": "booking.hold", "id": ...}}`.
3. Give the answer's `client_secret` and `publishable_key` to Stripe's elements on your page.
4. Stripe tells the platform the outcome: the payment's `state` becomes `success` and the hold becomes
   a booking by itself (a failed or expired payment gives the place back).

States are GOV.UK Pay's: `created`, `started`, `submitted`, `capturable`, then finished: `success`,
`failed` (P0010 declined, P0020 expired, P0030 cancelled by the payer), `cancelled` (P0040, by you) or
`error` (P0050). An unfinished payment expires after 90 minutes. Send an `Idempotency-Key` on every
POST: a retry after a 502/503 resumes the same payment, and Stripe is sent the same idempotency key.

**Sandbox.** A sandbox client with no Stripe keys uses the simulated provider: play a card with
`POST /v1/payments/{{id}}/simulate`:
{CARDS}"""

blp = Blueprint("payments", __name__, url_prefix="/v1/payments", description=GUIDE)
blp.after_request(kept.after_request)
READ, WRITE = "payments:read", "payments:write"
REFUND_PAGE = page_schema(schemas.RefundSchema)


def _retry_key() -> str | None:
    """The caller's Idempotency-Key, with who sent it: a retry resumes the same record."""
    key = request.headers.get("Idempotency-Key")
    if not key:
        return None
    principal = current_principal()
    return f"{principal.client_id}/{principal.user_id or '-'}/{key}"


@blp.route("/account")
class AccountView(MethodView):
    @require(READ)
    @blp.response(200, schemas.AccountViewSchema)
    def get(self):
        """See whether Stripe is set up: test or live, and the last four characters of each key.

        Needs `payments:read`. The keys themselves are never shown. A sandbox client without keys
        uses the simulated provider."""
        return service.get_account(tenant_id=current_tenant_id())

    @require(WRITE, "clients:manage")
    @blp.arguments(schemas.AccountSchema)
    @blp.response(200, schemas.AccountViewSchema)
    def put(self, data):
        """Set your organisation's Stripe keys (they replace any set before).

        Needs `payments:write` and `clients:manage` (an organisation admin). The keys are stored
        encrypted and never returned or logged; the change is audited. A sandbox client may set test keys
        only (`payments_live_keys_in_sandbox`); mixed keys are `payments_keys_mismatch`."""
        service.set_account(tenant_id=current_tenant_id(), **data)
        return service.get_account(tenant_id=current_tenant_id())


@blp.route("")
class Payments(MethodView):
    @require(READ)
    @blp.arguments(schemas.PaymentQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.PaymentSchema))
    def get(self, query):
        """Find payments by state, your reference, the payer's email or when they were made.

        Needs `payments:read`. Reading payers' emails is audited."""
        return service.list_payments(tenant_id=current_tenant_id(), **query)

    @require(WRITE)
    @blp.arguments(schemas.PaymentSchema)
    @blp.response(201, schemas.CreatedPaymentSchema)
    def post(self, data):
        """Start a card payment; give the answer's client_secret to Stripe's elements on your page.

        Needs `payments:write`. Creates a Stripe PaymentIntent (idempotency key derived from the
        payment) and queues the payment's expiry in 90 minutes. Errors: `payments_not_configured` (409),
        `payment_provider_unavailable` / `payment_provider_busy` (503), `payment_provider_error` (502):
        retry with the same Idempotency-Key to resume the same payment."""
        return service.create_payment(tenant_id=current_tenant_id(), retry_key=_retry_key(), **data)


@blp.route("/<payment_id>")
class PaymentById(MethodView):
    @require(READ)
    @blp.response(200, schemas.PaymentSchema)
    def get(self, payment_id):
        """One payment: its state, Stripe's own status and what can still be refunded.

        Needs `payments:read`."""
        return service.get_payment(tenant_id=current_tenant_id(), payment_id=payment_id)


@blp.route("/<payment_id>/events")
class PaymentEvents(MethodView):
    @require(READ)
    @blp.response(200, schemas.PaymentEventsSchema)
    def get(self, payment_id):
        """The payment's history: each state it reached, and what moved it (you, Stripe, reconciliation).

        Needs `payments:read`."""
        return service.list_events(tenant_id=current_tenant_id(), payment_id=payment_id)


@blp.route("/<payment_id>/cancel")
class PaymentCancel(MethodView):
    @require(WRITE)
    @blp.response(200, schemas.PaymentSchema)
    def post(self, payment_id):
        """Cancel a payment that is not finished (no money is taken).

        Needs `payments:write`. Emits `civic.payments.payment_cancelled` (a linked hold is released).
        Errors: `payment_not_cancellable` (409), provider errors (502/503)."""
        return service.cancel_payment(tenant_id=current_tenant_id(), payment_id=payment_id)


@blp.route("/<payment_id>/capture")
class PaymentCapture(MethodView):
    @require(WRITE)
    @blp.response(200, schemas.PaymentSchema)
    def post(self, payment_id):
        """Take the money of a delayed-capture payment whose card was authorised.

        Needs `payments:write`. Emits `civic.payments.payment_succeeded`. Errors:
        `payment_not_capturable` (409), provider errors (502/503)."""
        return service.capture_payment(tenant_id=current_tenant_id(), payment_id=payment_id)


@blp.route("/<payment_id>/simulate")
class PaymentSimulate(MethodView):
    @require(WRITE)
    @blp.arguments(schemas.SimulateSchema)
    @blp.response(200, schemas.PaymentSchema)
    def post(self, data, payment_id):
        """Sandbox: play a test card on a simulated payment, as the payer would on the payment page.

        Needs `payments:write`, for payments of the simulated provider (a sandbox client without Stripe
        keys). Errors: `payments_simulation_only` (409), `payment_finished` (409)."""
        return service.simulate(tenant_id=current_tenant_id(), payment_id=payment_id, **data)


@blp.route("/<payment_id>/refunds")
class PaymentRefunds(MethodView):
    @require(READ)
    @blp.arguments(schemas.RefundQuerySchema, location="query")
    @blp.response(200, REFUND_PAGE)
    def get(self, query, payment_id):
        """The refunds of one payment.

        Needs `payments:read`."""
        return refunds.list_refunds(tenant_id=current_tenant_id(), payment_id=payment_id, **query)

    @require(WRITE)
    @blp.arguments(schemas.RefundSchema)
    @blp.response(201, schemas.RefundSchema)
    def post(self, data, payment_id):
        """Refund all or part of a successful payment.

        Needs `payments:write`. Send the `refund_amount_available` you last read: if another refund
        changed it, this is a 409 `refund_amount_available_mismatch`; more than what is left is a 422
        `refund_exceeds_available`. Emits `civic.payments.refund_succeeded` or `.refund_failed`."""
        return refunds.create_refund(tenant_id=current_tenant_id(), payment_id=payment_id, retry_key=_retry_key(),
                                     **data)


@blp.route("/<payment_id>/refunds/<refund_id>")
class RefundById(MethodView):
    @require(READ)
    @blp.response(200, schemas.RefundSchema)
    def get(self, payment_id, refund_id):
        """One refund: submitted, success or error.

        Needs `payments:read`."""
        return refunds.get_refund(tenant_id=current_tenant_id(), payment_id=payment_id, refund_id=refund_id)


@blp.route("/refunds")
class Refunds(MethodView):
    @require(READ)
    @blp.arguments(schemas.RefundQuerySchema, location="query")
    @blp.response(200, REFUND_PAGE)
    def get(self, query):
        """Every refund of your organisation, oldest first.

        Needs `payments:read`."""
        return refunds.list_refunds(tenant_id=current_tenant_id(), **query)


@blp.route("/webhooks/stripe/<tenant>")
class StripeWebhook(MethodView):
    @inbound
    @blp.arguments(schemas.StripeEventSchema)
    @blp.response(200, schemas.WebhookAnswerSchema)
    def post(self, _event, tenant):
        """Where Stripe sends your account's events (set this URL in your Stripe dashboard).

        Public: Stripe holds no token. Nothing is read or changed until the `Stripe-Signature` header is
        verified with your webhook signing secret; a bad or stale signature is a 400
        `webhook_signature_invalid`. Each event takes effect once; late or repeated events never move a
        payment backwards. May emit any `civic.payments.*` event. The body is read as signed, byte for byte."""
        return webhooks.receive_stripe(tenant=tenant, payload=request.get_data(),
                                       signature=request.headers.get("Stripe-Signature"))
