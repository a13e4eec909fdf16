"""Resource protection for components, without importing the gateway.

The gateway registers a token validator (and an Open311 API-key lookup) at start-up.
`authenticate`, a core before_request step that runs before the rate limiter and any
view, is the one place a bearer token is validated; everything after it (the limiter's
budget, `@require("booking:read")`, `current_tenant_id()`) reads that result.
"""
import dataclasses
import functools
import uuid

from flask import current_app, g, request
from flask_smorest import Blueprint

from civic.core import problems
from civic.core.errors import Problem

PUBLIC_ATTR = "_civic_public"
INBOUND_ATTR = "_civic_inbound"
SCOPES_ATTR = "_civic_scopes"


@dataclasses.dataclass(frozen=True)
class Principal:
    """Who is calling: a client of a tenant, and the staff user when a person signed in."""

    tenant_id: uuid.UUID
    client_id: str
    scopes: frozenset[str]
    user_id: uuid.UUID | None = None
    sandbox: bool = False
    components: tuple[str, ...] | None = None  # None: all enabled
    rate_limit: str | None = None  # the client's own limit
    tenant_rate_limit: str | None = None  # shared by all the tenant's clients together
    tenant_slug: str | None = None
    tenant_name: str | None = None

    @property
    def is_steward(self) -> bool:
        return "platform:admin" in self.scopes

    @property
    def actor(self) -> str:
        return f"user:{self.user_id}" if self.user_id else f"client:{self.client_id}"


def register_token_validator(app, validator) -> None:
    """`validator(token: str) -> Principal | Problem`; the gateway calls this in its init_app."""
    app.extensions["civic.token_validator"] = validator


def register_api_key_lookup(app, lookup) -> None:
    """`lookup(key: str) -> client | None`, the gateway's, for Open311 clients that cannot do OAuth.

    The client has `client_id`, `tenant_id`, `scopes`, `sandbox` and `rate_limit`.
    """
    app.extensions["civic.api_key_lookup"] = lookup


def api_key_client(key: str | None):
    """The active client owning an Open311 API key, or None; looked up once per request."""
    key = (key or "").strip()
    if not key:
        return None
    found = g.setdefault("civic_api_key_clients", {})
    if key not in found:
        lookup = current_app.extensions.get("civic.api_key_lookup")
        found[key] = lookup(key) if lookup else None
    return found[key]


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def unauthenticated(detail: str, error: str = "invalid_token") -> Problem:
    return problems.UNAUTHENTICATED(detail, headers={"WWW-Authenticate": f'Bearer realm="civic", error="{error}"'})


def authenticate() -> None:
    """The before_request step: validate the bearer token, if any, once (a bad one is kept as its 401 problem)."""
    token = _bearer()
    result = None
    if token:
        validator = current_app.extensions.get("civic.token_validator")
        result = validator(token) if validator else unauthenticated("No token validator is configured.")
    g.civic_principal = result


def init_app(app) -> None:
    """Registered before the gateway's rate limiter, whose budget is the validated caller's."""
    app.before_request(authenticate)


def current_principal(optional: bool = False) -> Principal | None:
    """The caller `authenticate` validated for this request; a 401 problem if there is none."""
    principal = g.get("civic_principal")
    if isinstance(principal, Problem):
        if optional:
            return None
        raise principal
    if principal is None and not optional:
        raise unauthenticated("Send an access token: `Authorization: Bearer <token>`.", "invalid_request")
    return principal


def current_tenant_id() -> uuid.UUID:
    return current_principal().tenant_id


def _insufficient_scope(scopes: tuple[str, ...], detail: str) -> Problem:
    return problems.INSUFFICIENT_SCOPE(detail, headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{" ".join(scopes)}"'})


def check_scopes(principal: Principal, scopes: tuple[str, ...]) -> None:
    missing = [s for s in scopes if s not in principal.scopes]
    if missing:
        raise _insufficient_scope(scopes, f"This needs the scope(s): {' '.join(missing)}.")
    check_components(principal, scopes)


def check_components(principal: Principal, scopes: tuple[str, ...]) -> None:
    """Every component a route's scopes name must be enabled for the caller's organisation."""
    if principal.components is None:
        return
    for component in dict.fromkeys(scope.split(":", 1)[0] for scope in scopes):
        if component in current_app.config["COMPONENTS"] and component not in principal.components:
            raise problems.COMPONENT_DISABLED(f"The {component} component is not enabled for your organisation.")


def _document(function, security: list) -> None:
    """Record a public view's (empty) security requirement for the OpenAPI spec, in place.

    flask-smorest's public hook, `Blueprint.doc`, returns a new wrapper function; `public` must mark
    a MethodView class or a library's bound method where it stands, so it writes the same
    `_apidoc["manual_doc"]` entry that `Blueprint.doc` writes (and flask-smorest reads).
    """
    doc = getattr(function, "_apidoc", {})
    function._apidoc = {**doc, "manual_doc": {**doc.get("manual_doc", {}), "security": security}}


def _protect(scopes: tuple[str, ...], check, security: list):
    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            from civic.core import lifecycle  # the unit of work imports the database; this module does not

            principal = current_principal()
            check(principal)
            check_components(principal, scopes)  # whatever `check` is: a disabled component is never reachable
            # Only now, with the caller known and allowed: the Idempotency-Key replay, then the view.
            return lifecycle.run_view(principal, view, args, kwargs)

        documented = Blueprint.doc(security=security)(wrapper)  # the operation's security in the spec
        # No scopes means "any valid token"; the marker keeps the route visibly protected.
        setattr(documented, SCOPES_ATTR, scopes or ("(any valid token)",))
        return documented

    return decorator


def require(*scopes: str):
    """Protect a view: a valid token carrying every one of `scopes`."""
    return _protect(scopes, lambda principal: check_scopes(principal, scopes), [{"oauth2": list(scopes)}])


def require_any(*scopes: str):
    """Protect a view: a valid token carrying at least one of `scopes`."""

    def check(principal: Principal) -> None:
        if not principal.scopes & set(scopes):
            raise _insufficient_scope(scopes, f"This needs one of the scopes: {' '.join(scopes)}.")

    return _protect(scopes, check, [{"oauth2": [s]} for s in scopes])


def public(view):
    """Mark a view as deliberately open to anyone (listed by the route-protection test)."""
    target = getattr(view, "__func__", view)  # a bound method (e.g. a library's view) carries marks on its function
    setattr(target, PUBLIC_ATTR, True)
    _document(target, [])
    return view


def inbound(view):
    """Mark a public view that another service calls with its own proof, addressed to one organisation.

    A provider's webhook or delivery receipt (Stripe's, Notify's) is `@public` (no token: the view checks
    the provider's signature or bearer token itself) but is not an anonymous visitor: it arrives in bursts
    from a few addresses. Its calls spend CIVIC_RATELIMIT_INBOUND per address and per URL (so one
    organisation's burst, or a forger's, never spends another's), not the anonymous per-address budget.
    """
    public(view)
    setattr(getattr(view, "__func__", view), INBOUND_ATTR, True)
    return view


def handler_of_request():
    """The function that serves this request (a MethodView's method for its HTTP verb), or None."""
    from flask import current_app

    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return getattr(view_class, request.method.lower(), None)
    return view
