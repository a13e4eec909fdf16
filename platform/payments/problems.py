"""The error codes the payments component answers with (declared once, raised as `problems.X("detail")`)."""
from civic.core.errors import declare

NOT_CONFIGURED = declare(
    "payments_not_configured", 409, "Payments are not set up",
    means="Your organisation has not given the platform its Stripe keys for this world (live or sandbox).",
    action="An organisation admin sets them with PUT /v1/payments/account; a sandbox client can use the simulated provider.")
LIVE_KEYS_IN_SANDBOX = declare(
    "payments_live_keys_in_sandbox", 422, "A sandbox client may use test keys only",
    means="A sandbox client sent Stripe live keys (sk_live_/pk_live_); sandbox payments never take real money.",
    action="Send your Stripe test keys (sk_test_/pk_test_), or leave the keys out to use the simulated provider.")
KEYS_MISMATCH = declare(
    "payments_keys_mismatch", 422, "The Stripe keys do not belong together",
    means="The secret and publishable keys are not both test keys or both live keys.",
    action="Copy both keys from the same mode of your Stripe dashboard.")
PROVIDER_UNAVAILABLE = declare(
    "payment_provider_unavailable", 503, "Stripe could not be reached",
    means="Stripe did not answer in time or could not be reached. The payment is kept and reconciliation checks it.",
    action="Retry with the same Idempotency-Key after the Retry-After seconds: the same payment is resumed, never doubled.")
PROVIDER_BUSY = declare(
    "payment_provider_busy", 503, "Stripe is busy",
    means="Stripe answered 429 (too many requests). The payment is kept and reconciliation checks it.",
    action="Retry with the same Idempotency-Key after the Retry-After seconds.")
PROVIDER_ERROR = declare(
    "payment_provider_error", 502, "Stripe answered with an error",
    means="Stripe refused or failed the call. No money was taken by this call.",
    action="Retry later with the same Idempotency-Key; if it persists, check your Stripe dashboard and keys.")
NOT_CANCELLABLE = declare(
    "payment_not_cancellable", 409, "This payment can no longer be cancelled",
    means="Only an unfinished payment can be cancelled.",
    action="Refund it instead if it succeeded.")
NOT_CAPTURABLE = declare(
    "payment_not_capturable", 409, "This payment is not waiting to be captured",
    means="Only a payment created with delayed_capture whose card was authorised (state capturable) can be captured.",
    action="Read the payment's state; capture once it is capturable.")
NOT_REFUNDABLE = declare(
    "payment_not_refundable", 409, "This payment cannot be refunded",
    means="Only a successful payment can be refunded.",
    action="Wait until the payment's state is success.")
REFUND_AMOUNT_AVAILABLE_MISMATCH = declare(
    "refund_amount_available_mismatch", 409, "The amount available to refund has changed",
    means="The refund_amount_available you sent is not what is left to refund (another refund was made).",
    action="Read the payment again and send its current refund_summary.amount_available.")
REFUND_TOO_LARGE = declare(
    "refund_exceeds_available", 422, "The refund is more than what is left",
    means="A payment can be refunded up to its amount in total, over all its refunds.",
    action="Refund at most refund_summary.amount_available pence.")
SIMULATION_ONLY = declare(
    "payments_simulation_only", 409, "Only a simulated payment can be played this way",
    means="This call plays a card on the simulated provider; this payment goes to Stripe.",
    action="Use Stripe's own elements with the client_secret, or a sandbox client without Stripe keys.")
WEBHOOK_UNVERIFIED = declare(
    "webhook_signature_invalid", 400, "The webhook signature is not valid",
    means="The Stripe-Signature header does not match the body with your signing secret, or its timestamp is too old.",
    action="Check the webhook signing secret set with PUT /v1/payments/account; Stripe retries failed deliveries.")
PAYMENT_FINISHED = declare(
    "payment_finished", 409, "This payment is finished",
    means="A finished payment (success, failed, cancelled or error) takes no more cards.",
    action="Make a new payment to try again.")
