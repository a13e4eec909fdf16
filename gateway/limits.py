"""Rate limits per client (flask-limiter): a default, and overrides a steward sets per client or tenant.

Counters live in memory by default, in Redis when CIVIC_RATELIMIT_STORAGE_URL
is set (needed with more than one web process). Answers carry `RateLimit-*`
headers; a 429 is problem+json with `Retry-After`.
"""
import time

from flask import current_app, request
from flask_limiter import HeaderNames, Limiter

from civic.core.auth import current_principal

LIMITED_PREFIXES = ("/v1/",)


def _caller() -> str:
    principal = current_principal(optional=True)
    return f"client:{principal.client_id}" if principal else f"addr:{request.remote_addr}"


def _caller_limit() -> str:
    principal = current_principal(optional=True)
    if principal and principal.rate_limit:
        return principal.rate_limit
    return current_app.config["RATELIMIT_DEFAULT"]


def _token_client() -> str:
    from civic.gateway.views import client_id_of_request

    return f"token-client:{client_id_of_request()}"


def _token_address() -> str:
    return f"token-addr:{request.remote_addr}"


def init_app(app) -> Limiter:
    @app.after_request
    def _reset_as_delta(response):
        # IETF RateLimit headers give seconds until the window resets, not a timestamp.
        # (Registered before the limiter so that it runs after the limiter adds its headers.)
        reset = response.headers.get("RateLimit-Reset")
        if reset and reset.isdigit() and int(reset) > 10**9:
            response.headers["RateLimit-Reset"] = str(max(0, int(reset) - int(time.time())))
        return response

    limiter = Limiter(
        _caller, app=app, storage_uri=app.config["RATELIMIT_STORAGE_URL"], strategy="moving-window",
        default_limits=[_caller_limit], default_limits_exempt_when=lambda: not request.path.startswith(LIMITED_PREFIXES),
        headers_enabled=True, key_prefix="civic",
        header_name_mapping={HeaderNames.LIMIT: "RateLimit-Limit", HeaderNames.REMAINING: "RateLimit-Remaining",
                             HeaderNames.RESET: "RateLimit-Reset", HeaderNames.RETRY_AFTER: "Retry-After"})
    token_limit = app.config["RATELIMIT_TOKEN_ENDPOINT"]
    view = app.view_functions["oauth.token"]
    view = limiter.limit(token_limit, key_func=_token_client)(view)
    app.view_functions["oauth.token"] = limiter.limit(token_limit, key_func=_token_address)(view)
    app.extensions["civic.limiter"] = limiter

    return limiter
