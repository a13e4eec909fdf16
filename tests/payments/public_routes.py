"""Payments' deliberately public route: Stripe's webhooks (verified by signature). Adding here is a reviewed decision."""
PUBLIC_ENDPOINTS: set[str] = set()
PUBLIC_PREFIXES = ("payments.StripeWebhook",)
