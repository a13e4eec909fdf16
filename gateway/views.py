"""OAuth endpoints: token, authorize (sign-in and consent page), revoke, introspect, metadata."""
import datetime as dt
import json
import time
import uuid
from urllib.parse import urlparse

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from flask import Blueprint, current_app, render_template, request
from flask import session as cookie

from civic.core import forms
from civic.core.auth import public
from civic.core.db import session
from civic.core.errors import Problem, type_uri
from civic.core.edge import publishes_urls
from civic.core.tenancy import place_wide
from civic.gateway import oauth as oauth_server
from civic.gateway import problems, service, throttle
from civic.gateway.models import StaffUser

bp = Blueprint("oauth", __name__, template_folder="templates")
# However active, a sign-in lasts one working day; then the person signs in again.
SESSION_LIFETIME = dt.timedelta(hours=8)


def _server():
    return oauth_server.server


def _as_problem(response):
    """OAuth errors keep their RFC 6749 fields and also speak problem+json."""
    if response.status_code < 400:
        return response
    try:
        body = json.loads(response.get_data(as_text=True))
    except ValueError:
        return response
    error = body.get("error", "invalid_request")
    kind = problems.OAUTH_ERRORS.get(error)
    body.update({"type": type_uri(error), "title": kind.title if kind else error.replace("_", " ").capitalize(),
                 "status": response.status_code, "detail": body.get("error_description") or error, "code": error})
    response.set_data(json.dumps(body))
    response.mimetype = "application/problem+json"
    return response


def client_id_of_request() -> str:
    """The client id the OAuth library will authenticate: the URL-decoded Basic user name, else the form's."""
    try:
        client_id, _ = extract_basic_authorization(request.headers)
    except ValueError:  # not UTF-8
        client_id = None
    return (client_id or request.form.get("client_id") or "none")[:200]


def _unreadable_basic_credentials() -> bool:
    """Basic credentials that are not UTF-8: the OAuth library would fail on them with an exception."""
    try:
        extract_basic_authorization(request.headers)
    except ValueError:
        return True
    return False


def _counted(respond):
    """Count a client-authenticating request against the lock-outs before its credentials are checked."""
    if _unreadable_basic_credentials():
        return _as_problem(current_app.response_class(json.dumps({
            "error": "invalid_client", "error_description": "The Basic credentials are not valid UTF-8."}),
            status=401, mimetype="application/json", headers={"WWW-Authenticate": 'Basic error="invalid_client"'}))
    ticket = throttle.reserve(principal=f"client\x1f{client_id_of_request()}", address=request.remote_addr)
    try:
        response = respond()
    except Exception:
        throttle.release(ticket)
        raise
    if response.status_code == 401:
        throttle.failed(ticket)
    elif response.status_code == 200:
        throttle.succeeded(ticket)
    else:
        throttle.release(ticket)
    return response


@bp.post("/oauth/token")
@public
@place_wide("gateway.credentials")
def token():
    """Exchange credentials, an authorization code or a refresh token for an access token."""
    if request.form.get("grant_type") == "password":
        return _as_problem(current_app.response_class(json.dumps({
            "error": "unsupported_grant_type", "error_description": "The password grant is not supported."}),
            status=400, mimetype="application/json"))
    return _counted(lambda: _as_problem(_server().create_token_response()))


@bp.post("/oauth/revoke")
@public
@place_wide("gateway.credentials")
def revoke():
    """Revoke an access or refresh token (RFC 7009)."""
    return _counted(lambda: _as_problem(_server().create_endpoint_response("revocation")))


@bp.post("/oauth/introspect")
@public
@place_wide("gateway.credentials")
def introspect():
    """Tell a resource server whether a token is active (RFC 7662); for clients allowed to introspect."""
    def respond():
        try:
            return _as_problem(_server().create_endpoint_response("introspection"))
        except oauth_server.IntrospectionNotAllowed:
            session.rollback()
            raise problems.INTROSPECTION_NOT_ALLOWED("This client is not allowed to introspect tokens.")

    return _counted(respond)


@bp.get("/.well-known/oauth-authorization-server")
@public
@publishes_urls
def metadata():
    """Authorization server metadata (RFC 8414): where the endpoints are and what they support."""
    issuer = oauth_server.issuer()
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "scopes_supported": list(service.KNOWN_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "service_documentation": f"{issuer}/docs",
    }


# --- the sign-in and consent page -------------------------------------------
def _start_session(user: StaffUser) -> None:
    cookie.clear()  # a new session: a new CSRF token too
    cookie.update(user_id=str(user.id), generation=user.session_generation, signed_in_at=int(time.time()))


def _end_session() -> None:
    for name in ("user_id", "generation", "signed_in_at"):
        cookie.pop(name, None)


def _signed_in_user(tenant_id) -> StaffUser | None:
    """The session's user, while it is active, in this tenant, not signed out everywhere, and not too old."""
    user_id, generation, since = (cookie.get(k) for k in ("user_id", "generation", "signed_in_at"))
    if not user_id:
        return None
    user = None
    if isinstance(since, int) and time.time() - since < SESSION_LIFETIME.total_seconds():
        user = session.get(StaffUser, uuid.UUID(user_id))
    if user is None or user.session_generation != generation or user.status != "active":
        _end_session()
        return None
    return user if user.tenant_id == tenant_id else None


def _page(template: str, status: int = 200, headers: dict | None = None, **context):
    context.setdefault("error", None)
    body = render_template(template, csrf=forms.csrf_token(), action=request.full_path.rstrip("?"), **context)
    # The consent form's answer redirects to the app, so its origin must be an allowed form action.
    client = context.get("client")
    origins = sorted({"{0.scheme}://{0.netloc}".format(urlparse(uri)) for uri in (client.redirect_uris if client else [])})
    return forms.html(body, status, headers, form_origins=origins)


@bp.route("/oauth/authorize", methods=["GET", "POST"])
@public
@place_wide("gateway.sign_in")
def authorize():
    """Staff sign-in and consent for an app using the authorization code flow with PKCE."""
    srv = _server()
    try:
        grant = srv.get_consent_grant(end_user=None)
    except OAuth2Error as error:
        session.rollback()
        return _page("error.html", 400, message=error.description or error.error)
    client = grant.client
    user = _signed_in_user(client.tenant_id)
    if request.method == "GET":
        return _page("consent.html" if user else "signin.html", client=client, user=user, scopes=_scopes(grant))
    if not forms.csrf_ok():
        return _page("signin.html", 400, client=client, user=None, scopes=_scopes(grant),
                     error="Your session expired or the form was sent from elsewhere. Please try again.")
    action = request.form.get("action")
    if action == "signin":
        return _sign_in(client, grant)
    if user is None:
        return _page("signin.html", 400, client=client, user=None, scopes=_scopes(grant),
                     error="Please sign in first.")
    if action == "approve":
        return srv.create_authorization_response(grant_user=user, grant=grant)
    if action == "signout":
        user.end_sessions()  # everywhere: a copied cookie stops working too
        _end_session()
        return _page("signin.html", client=client, user=None, scopes=_scopes(grant))
    return srv.create_authorization_response(grant_user=None, grant=grant)  # denied


def _scopes(grant) -> list[str]:
    return grant.request.payload.scope.split() if grant.request.payload.scope else list(grant.client.scopes)


def _sign_in(client, grant):
    email = request.form.get("email", "").strip().lower()
    try:
        ticket = throttle.reserve(principal=f"signin\x1f{client.tenant_id}\x1f{email}", address=request.remote_addr,
                                  person=True)
    except Problem as refused:
        return _page("signin.html", 429, refused.headers, client=client, user=None, scopes=_scopes(grant),
                     email=email, error="Too many failed sign-ins. Wait a few minutes, then try again.")
    user = service.authenticate_user(tenant_id=client.tenant_id, email=email, password=request.form.get("password", ""))
    if user is None:
        throttle.failed(ticket)
        return _page("signin.html", 401, client=client, user=None, scopes=_scopes(grant), email=email,
                     error="The email or password is not right.")
    throttle.succeeded(ticket)
    _start_session(user)
    # The sign-in time and the throttle reset are committed with the request, by the core (a 200).
    return _page("consent.html", client=client, user=user, scopes=_scopes(grant))
