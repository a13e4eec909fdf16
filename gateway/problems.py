"""The gateway's error codes (the OAuth endpoints answer with RFC 6749's own codes, as `error` and `code`)."""
from civic.core.errors import declare

TENANT_REQUIRED = declare(
    "tenant_required", 422, "Say which organisation",
    means="A platform steward created a client or a staff user without naming the organisation it belongs to.",
    action="Send `tenant` with the organisation's slug (an organisation's own admin never needs to).")
