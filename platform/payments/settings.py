"""The payments component's settings (CIVIC_PAYMENTS_*), loaded by civic.config.

name -> (parser, default, description); the description is the README's configuration table's.
"""
SETTINGS = {
    "PAYMENTS_STRIPE_API_BASE": (str, "https://api.stripe.com",
        "Where the platform calls Stripe. Leave it in production; tests and demos point it at a local Stripe emulator."),
    "PAYMENTS_STRIPE_TIMEOUT_SECONDS": (float, 20.0,
        "How long one call to Stripe may take before the payment is answered with a 503 and left for reconciliation."),
    "PAYMENTS_STRIPE_RETRIES": (int, 1,
        "How often one call to Stripe is retried on a network error, 429 or 5xx (always with the same idempotency key)."),
    "PAYMENTS_EXPIRY_MINUTES": (int, 90,
        "An unfinished payment expires (GOV.UK Pay code P0020) this many minutes after it was created."),
    "PAYMENTS_RECONCILE_AFTER_MINUTES": (int, 15,
        "Reconciliation asks Stripe about payments unfinished for this long, and refunds still submitted."),
    "PAYMENTS_RECONCILE_SECONDS": (int, 300,
        "How often the reconciliation job runs."),
    "PAYMENTS_WEBHOOK_TOLERANCE_SECONDS": (int, 300,
        "A Stripe webhook whose signed timestamp is older than this is refused (a replay)."),
}
