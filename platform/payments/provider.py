"""The payment providers: the organisation's own Stripe account, or the simulated one of the sandbox.

Both answer with the same small records (`Intent`, `RefundResult`) and raise `ProviderFailure` when
the provider cannot be reached, is busy or fails, so the service never sees a Stripe class. Each call
uses a `stripe.StripeClient` made for that organisation's key (never the global `stripe.api_key`, so
two organisations never share a key in one process), and every creating call sends an idempotency key
derived from the platform's own record: a retry, by stripe's library or by the caller, never makes two.

The simulated provider (a sandbox client with no Stripe keys) keeps its state on the payment itself
and plays Stripe's own test card numbers (`SIMULATED_CARDS`), so an integrator can try every path.
"""
import dataclasses
import uuid

import stripe
from flask import current_app

from civic.core import crypto


@dataclasses.dataclass
class Intent:
    id: str
    status: str
    client_secret: str | None = None
    declined: bool = False  # the last card was refused (Stripe went back to requires_payment_method)
    error_code: str | None = None


@dataclasses.dataclass
class RefundResult:
    id: str
    status: str  # Stripe's: pending, requires_action, succeeded, failed, canceled


class ProviderFailure(Exception):
    """The provider could not answer: `kind` is unavailable (network, timeout), busy (429) or error."""

    def __init__(self, kind: str, retry_after: int = 5):
        super().__init__(kind)
        self.kind, self.retry_after = kind, retry_after


def intent_from(obj) -> Intent:
    obj = obj.to_dict() if hasattr(obj, "to_dict") else obj  # a StripeObject (API answer, verified event)
    error = obj.get("last_payment_error") or None
    return Intent(id=obj["id"], status=obj["status"], client_secret=obj.get("client_secret"),
                  declined=bool(error) and obj["status"] == "requires_payment_method",
                  error_code=(error or {}).get("code"))


class StripeProvider:
    name = "stripe"

    def __init__(self, account):
        config = current_app.config
        http = stripe.RequestsClient(timeout=config["PAYMENTS_STRIPE_TIMEOUT_SECONDS"])
        self.client = stripe.StripeClient(crypto.decrypt(account.secret_key),
                                          base_addresses={"api": config["PAYMENTS_STRIPE_API_BASE"]},
                                          max_network_retries=config["PAYMENTS_STRIPE_RETRIES"], http_client=http)

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except stripe.RateLimitError as exc:
            raise ProviderFailure("busy", _retry_after(exc, 10)) from None
        except stripe.APIConnectionError:
            raise ProviderFailure("unavailable") from None
        except stripe.StripeError as exc:  # 5xx, refused keys, a request Stripe will not take
            raise ProviderFailure("error", _retry_after(exc, 30)) from None

    def create_intent(self, payment) -> Intent:
        params = {"amount": payment.amount, "currency": payment.currency.lower(), "payment_method_types": ["card"],
                  "capture_method": "manual" if payment.delayed_capture else "automatic",
                  "metadata": {"civic_payment_id": str(payment.id), "civic_tenant_id": str(payment.tenant_id)}}
        return intent_from(self._call(self.client.v1.payment_intents.create, params=params,
                                  options={"idempotency_key": idempotency_key(payment)}))

    def retrieve(self, payment) -> Intent:
        return intent_from(self._call(self.client.v1.payment_intents.retrieve, payment.provider_id))

    def cancel(self, payment) -> Intent:
        return intent_from(self._call(self.client.v1.payment_intents.cancel, payment.provider_id))

    def capture(self, payment) -> Intent:
        return intent_from(self._call(self.client.v1.payment_intents.capture, payment.provider_id))

    def refund(self, payment, refund) -> RefundResult:
        found = self._call(self.client.v1.refunds.create,
                           params={"payment_intent": payment.provider_id, "amount": refund.amount,
                                   "metadata": {"civic_refund_id": str(refund.id)}},
                           options={"idempotency_key": f"civic-refund-{refund.id}"})
        return RefundResult(id=found.id, status=found.status)

    def retrieve_refund(self, refund) -> RefundResult:
        found = self._call(self.client.v1.refunds.retrieve, refund.provider_id)
        return RefundResult(id=found.id, status=found.status)


def _retry_after(exc, default: int) -> int:
    try:
        return max(1, int((exc.headers or {}).get("Retry-After", default)))
    except (TypeError, ValueError):
        return default


def idempotency_key(payment) -> str:
    """Stripe's idempotency key for creating this payment's intent: the same payment, the same key."""
    return f"civic-payment-{payment.id}"


# Stripe's own test card numbers, played by the simulated provider (documented in the API guide).
SIMULATED_CARDS = {
    "4242424242424242": "succeeds",
    "4000000000000002": "is declined",
    "4000002500003155": "needs authentication (then send authenticate true or false)",
    "4000000000000119": "fails with a provider error",
}


class SimulatedProvider:
    """In-process and deterministic: no network, no Stripe account, test records only."""

    name = "simulated"

    def create_intent(self, payment) -> Intent:
        intent_id = f"sim_pi_{payment.id.hex}"
        return Intent(id=intent_id, status="requires_payment_method", client_secret=f"{intent_id}_secret_simulated")

    def retrieve(self, payment) -> Intent:
        return Intent(id=payment.provider_id, status=payment.provider_status or "requires_payment_method",
                      declined=payment.state == "failed")

    def cancel(self, payment) -> Intent:
        return Intent(id=payment.provider_id, status="canceled")

    def capture(self, payment) -> Intent:
        return Intent(id=payment.provider_id, status="succeeded")

    def play(self, payment, card_number: str, authenticate: bool | None) -> Intent:
        """What Stripe would do with this card on this payment's page."""
        done = "requires_capture" if payment.delayed_capture else "succeeded"
        if payment.provider_status == "requires_action":  # the card asked for authentication before
            if authenticate is None:
                return Intent(id=payment.provider_id, status="requires_action")
            return Intent(id=payment.provider_id, status=done if authenticate else "requires_payment_method",
                          declined=not authenticate, error_code=None if authenticate else "authentication_failure")
        outcome = SIMULATED_CARDS.get(card_number, "")
        if outcome.startswith("needs"):
            return Intent(id=payment.provider_id, status="requires_action")
        if outcome == "is declined":
            return Intent(id=payment.provider_id, status="requires_payment_method", declined=True,
                          error_code="card_declined")
        if outcome.startswith("fails"):
            return Intent(id=payment.provider_id, status="provider_error", error_code="processing_error")
        return Intent(id=payment.provider_id, status=done)

    def refund(self, payment, refund) -> RefundResult:
        return RefundResult(id=f"sim_re_{uuid.UUID(str(refund.id)).hex}", status="succeeded")

    def retrieve_refund(self, refund) -> RefundResult:
        return RefundResult(id=refund.provider_id, status="succeeded")
