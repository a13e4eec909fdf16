"""GOV.UK Pay's payment states, and how Stripe's PaymentIntent statuses map onto them.

A payment only ever moves forward: created < started < submitted < capturable < finished. A finished
state (failed, cancelled, error) never changes again, except to `success`: money Stripe says it took
is always recorded, whatever arrived before. So events delivered late, twice or out of order are harmless.
"""
from civic.payments.models import FINISHED

# Pay's failure codes, with Pay's messages.
DECLINED = ("P0010", "Payment method rejected")
EXPIRED = ("P0020", "Payment expired")
CANCELLED_BY_USER = ("P0030", "Payment was cancelled by the user")
CANCELLED_BY_SERVICE = ("P0040", "Payment was cancelled by your service")
PROVIDER_ERROR = ("P0050", "Payment provider returned an error")

RANK = {"created": 0, "started": 1, "submitted": 2, "capturable": 3, "failed": 9, "cancelled": 9, "error": 9,
        "success": 10}

# Stripe's PaymentIntent status -> Pay's state (requires_payment_method after a decline is `failed`, below).
FROM_STRIPE = {
    "requires_payment_method": "created",
    "requires_confirmation": "started",
    "requires_action": "started",
    "processing": "submitted",
    "requires_capture": "capturable",
    "succeeded": "success",
    "canceled": "cancelled",
}


def pay_state(stripe_status: str, *, declined: bool = False) -> str:
    """Pay's state for a Stripe status; a card declined leaves Stripe at requires_payment_method: `failed` here."""
    if stripe_status == "requires_payment_method" and declined:
        return "failed"
    return FROM_STRIPE.get(stripe_status, "error")


def moves_forward(current: str, new: str) -> bool:
    """Whether `new` may replace `current` (never backwards; finished is final but for success)."""
    if current == new:
        return False
    if current in FINISHED:
        return new == "success" and current != "success"
    return RANK[new] > RANK[current]
