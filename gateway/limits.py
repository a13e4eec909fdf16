"""Rate limits (flask-limiter): one budget per client over every route it calls, one per organisation.

A client's calls to `/v1/` and to every component's routes, Open311 among them (by token or
API key), share one application-wide counter: CIVIC_RATELIMIT_DEFAULT or the client's own `rate_limit`. When the steward set
an organisation's `rate_limit`, all its clients together share a second counter.
Calls with neither token nor API key count per address (CIVIC_RATELIMIT_ANONYMOUS), but a provider's
webhook or delivery receipt (`@inbound`) counts per address and URL (CIVIC_RATELIMIT_INBOUND).
Counters live in memory by default, in Redis when CIVIC_RATELIMIT_STORAGE_URL is set
(needed with more than one web process). `RateLimit-*` headers describe the budget
nearest to running out; a 429 is problem+json with `Retry-After`.
"""
import dataclasses
import math
import time

from flask import current_app, g, request
from flask_limiter import ApplicationLimit, Limiter
from limits.storage import MemoryStorage

from civic.core.auth import INBOUND_ATTR, api_key_client, current_principal, handler_of_request

# Every `/v1/` call and every route of a component's blueprint (Open311 included) is limited; these
# core and gateway blueprints are not (the token endpoint has its own limits below).
UNLIMITED_BLUEPRINTS = frozenset({"health", "docs", "api-docs", "oauth"})


@dataclasses.dataclass(frozen=True)
class Caller:
    key: str
    limit: str
    tenant_key: str = ""
    tenant_limit: str = ""


def _api_key_caller(default: str) -> Caller | None:
    """Open311 clients that cannot do OAuth send an API key: it names the client as a token would."""
    from civic.core import caching

    client = api_key_client(request.values.get("api_key"))
    if client is None:
        return None
    tenant = caching.tenant(client.tenant_id)
    return Caller(f"client:{client.client_id}", client.rate_limit or default,
                  f"tenant:{client.tenant_id}", (tenant.rate_limit if tenant else None) or "")


def caller() -> Caller:
    """Who is spending a budget on this request: the caller civic.core.auth already validated."""
    if "civic_rate_caller" not in g:
        config = current_app.config
        open311 = request.path.startswith("/open311/")
        principal = None if open311 else current_principal(optional=True)  # Open311 ignores bearer tokens
        found = None
        if principal:
            found = Caller(f"client:{principal.client_id}", principal.rate_limit or config["RATELIMIT_DEFAULT"],
                           f"tenant:{principal.tenant_id}", principal.tenant_rate_limit or "")
        elif "api_key" in request.values:  # Open311 clients that cannot do OAuth
            found = _api_key_caller(config["RATELIMIT_DEFAULT"])
        if found is None and getattr(handler_of_request(), INBOUND_ATTR, False):
            found = Caller(f"inbound:{request.remote_addr}:{request.path}", config["RATELIMIT_INBOUND"])
        g.civic_rate_caller = found or Caller(f"addr:{request.remote_addr}", config["RATELIMIT_ANONYMOUS"])
    return g.civic_rate_caller


def _not_limited() -> bool:
    if request.path.startswith("/v1/"):
        return False
    return request.blueprint is None or request.blueprint in UNLIMITED_BLUEPRINTS


def _token_client() -> str:
    from civic.gateway.views import client_id_of_request

    return f"token-client:{client_id_of_request()}"


def _token_address() -> str:
    return f"token-addr:{request.remote_addr}"


def _tightest(limits):
    """The budget the caller will run out of first: a breached one, else the fewest calls left."""
    return min(limits, key=lambda lim: (not lim.breached, lim.remaining, -lim.reset_at), default=None)


def _headers(response, limiter: Limiter):
    limit = _tightest(limiter.current_limits)
    if limit is None:
        return response
    reset = max(0, math.ceil(limit.reset_at - time.time()))
    response.headers["RateLimit-Limit"] = str(limit.limit.amount)
    response.headers["RateLimit-Remaining"] = str(max(0, limit.remaining))
    response.headers["RateLimit-Reset"] = str(reset)  # seconds until the window frees a call (IETF draft)
    if limit.breached:
        earlier = response.headers.get("Retry-After", "")  # a lock-out's own, longer wait is kept
        response.headers["Retry-After"] = str(max(1, reset, int(earlier) if earlier.isdigit() else 0))
    return response


class InlineExpiryMemoryStorage(MemoryStorage):
    """The in-memory counters (one web process), expiring old entries inline at most every half second.

    The library's own starts a timer thread whenever none is running: on a busy server, nearly one
    thread per request. Expired entries never count either way (every check compares times); this only
    decides when their memory is given back."""

    STORAGE_SCHEME = ["civic-memory"]
    EXPIRE_EVERY_SECONDS = 0.5

    def __init__(self, uri: str | None = None, **options):
        super().__init__(uri, **options)
        self._next_expiry = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the timer thread (a name-mangled hook)
        now = time.monotonic()
        if now >= self._next_expiry:
            self._next_expiry = now + self.EXPIRE_EVERY_SECONDS
            self._MemoryStorage__expire_events()


def _storage_uri(uri: str) -> str:
    return "civic-memory://" + uri.removeprefix("memory://") if uri.startswith("memory://") else uri


def init_app(app) -> Limiter:
    limiter = Limiter(
        lambda: caller().key, storage_uri=_storage_uri(app.config["RATELIMIT_STORAGE_URL"]), strategy="moving-window",
        application_limits=[
            ApplicationLimit(limit_provider=lambda: caller().limit, key_function=lambda: caller().key, scope="client",
                             exempt_when=_not_limited),
            # An empty limit string means no organisation-wide limit was set.
            ApplicationLimit(limit_provider=lambda: caller().tenant_limit, key_function=lambda: caller().tenant_key or "none",
                             scope="tenant", exempt_when=_not_limited),
        ],
        headers_enabled=False, key_prefix="civic")
    # Registered before the limiter's own hooks, so it runs after them and sees this request's limits.
    app.after_request(lambda response: _headers(response, limiter))
    limiter.init_app(app)
    # flask-limiter would read CIVIC_RATELIMIT_DEFAULT (app.config["RATELIMIT_DEFAULT"]) as a per-route
    # default; here it is the per-client application limit above, so no per-route defaults.
    limiter.limit_manager.set_default_limits([])
    token_limit = app.config["RATELIMIT_TOKEN_ENDPOINT"]
    view = app.view_functions["oauth.token"]
    view = limiter.limit(token_limit, key_func=_token_client)(view)
    app.view_functions["oauth.token"] = limiter.limit(token_limit, key_func=_token_address)(view)
    app.extensions["civic.limiter"] = limiter
    return limiter
