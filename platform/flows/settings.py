"""The flows component's settings (CIVIC_FLOWS_*), loaded by civic.config.

name -> (parser, default, description[, shown default]); the description is the README's configuration table's.
"""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


SETTINGS = {
    "FLOWS_WEBHOOK_TIMEOUT_SECONDS": (float, 15.0,
        "How long one webhook delivery may take (connecting, sending and the answer); longer counts as a failure."),
    "FLOWS_WEBHOOK_ALLOW_HTTP": (_bool, None,
        "Whether webhook URLs may be plain http. Production needs https.",
        "`true` (development/test), `false` (production)"),
    "FLOWS_WEBHOOK_ALLOW_PRIVATE": (_bool, False,
        "Deliver to private, loopback and link-local addresses too (tests and a local receiver only; never in production: it lets webhooks reach the platform's own network)."),
    "FLOWS_SECRET_OVERLAP_HOURS": (int, 24,
        "After a secret rotation, how long deliveries are signed with the old secret too."),
    "FLOWS_MAX_ENDPOINTS": (int, 20,
        "Webhook endpoints an organisation may have in each world (live, sandbox)."),
    "FLOWS_DISABLE_AFTER_HOURS": (int, 120,
        "An endpoint failing without a success for this long (5 days) is disabled, with a `civic.flows.endpoint_disabled` event."),
}
