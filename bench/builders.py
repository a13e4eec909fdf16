"""Builders shared by the tests and the benchmarks: `create_*(app or http, ..., **overrides)`.

Organisations, clients and staff users are made by the gateway's services, each in a unit
of work of its own. Tokens come from the OAuth server's grants, as an integrator gets them: an app's
from the client-credentials grant, a person's from the authorization-code grant with PKCE (the person
signed in and approved the app). Resources, bookings, categories and reports are made over the HTTP
API with a Flask test client. Nothing here needs pytest, so `python -m bench` can use it.
"""
import base64
import hashlib
import secrets
import urllib.parse
import uuid
from types import SimpleNamespace

PASSWORD = "correct horse battery"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
RESOURCE = {"name": "Community room", "kind": "room", "capacity": 1, "slot_minutes": 60, "max_advance_days": 400,
            "opening_hours": {day: [{"start": "09:00", "end": "17:00"}] for day in WEEKDAYS}}
ATTENDEE = {"name": "Sam Citizen", "email": "sam@example.org", "phone": "020 7946 0018"}
# Where a builder's staff app says it lives: the authorization-code grant sends its code there.
STAFF_APP = "https://staff-app.example.org/callback"
REPORT = {"category": "fly-tipping", "description": "Mattress on the pavement", "lat": 51.5072, "long": -0.1276}


class BuildFailed(AssertionError):
    """The API refused what a builder asked for: the builder's input, or the code under test, is wrong."""


def _run(app, fn):
    """One unit of work as the platform's operator would run it (the command line's place-wide context)."""
    from civic.core.db import unit_of_work
    from civic.core.tenancy import place_wide

    with app.app_context(), place_wide("platform.operator"), unit_of_work():
        return fn()


# --- gateway: services --------------------------------------------------------------
def create_tenant(app, slug: str | None = None, **overrides):
    from civic.gateway import service

    slug = slug or f"org-{uuid.uuid4().hex[:8]}"
    name = overrides.pop("name", slug.title())
    return _run(app, lambda: service.create_tenant(slug=slug, name=name, **overrides))


def create_client(app, tenant, scopes=("booking:read",), **overrides):
    """A client of `tenant` (people can sign in through it, at STAFF_APP); returns (client, its one-time secrets)."""
    from civic.gateway import service

    name = overrides.pop("name", "Test app")
    overrides.setdefault("redirect_uris", [STAFF_APP])
    return _run(app, lambda: service.create_client(tenant_id=tenant.id, name=name, scopes=list(scopes), **overrides))


def create_user(app, tenant, email: str | None = None, role: str = "caseworker", password: str = PASSWORD, **overrides):
    from civic.gateway import service

    email = email or f"{uuid.uuid4().hex[:8]}@example.org"
    return _run(app, lambda: service.create_user(tenant_id=tenant.id, email=email, role=role, password=password,
                                                 **overrides))


# --- tokens: the OAuth server's token machinery -------------------------------------------------
def _basic(client, secret: str) -> dict:
    pair = f"{urllib.parse.quote(client.client_id)}:{urllib.parse.quote(secret)}"
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}


def _oauth(app, path: str, *, respond, form: dict | None = None, headers: dict | None = None,
           query: str = "", context: str = "gateway.credentials"):
    """Run one OAuth server call as the endpoint at `path` would, and commit what it stored.

    The server is called directly rather than through the HTTP view, so that making a fixture
    spends nothing of the endpoint's rate limit or lock-out counters (the test's own budget).
    """
    from civic.core.db import session
    from civic.core.tenancy import place_wide

    # The OAuth endpoints look credentials up before any tenant is known, as their views do.
    url = f"{path}?{query}" if query else path
    with app.test_request_context(url, method="POST", data=form or {}, headers=headers or {}), place_wide(context):
        response = respond()
        if response.status_code >= 400:
            raise BuildFailed(f"{path} refused: {response.status_code} {response.get_data(as_text=True)}")
        session.commit()
        return response


def _client_auth(client, secret: str | None) -> tuple[dict, dict]:
    """(form fields, headers) that authenticate `client` at the token endpoint: Basic, or a public client's id."""
    return ({}, _basic(client, secret)) if secret else ({"client_id": client.client_id}, {})


def mint_token(app, client, secret: str | None, scopes=None, *, user=None) -> str:
    """An access token for `client` from the token endpoint's grants: client credentials, or for `user`
    the authorization-code grant (see `person_token`).

    None asks for nothing (so gets all the client's scopes); an empty list asks, explicitly, for none.
    """
    from civic.gateway.oauth import server

    if user is not None:
        return person_token(app, client, secret, scopes, user=user)
    scope = None if scopes is None else " ".join(scopes) or " "
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope is not None else {})}
    response = _oauth(app, "/oauth/token", form=form, headers=_basic(client, secret), respond=server.create_token_response)
    return response.get_json()["access_token"]


def person_token(app, client, secret: str | None, scopes=None, *, user) -> str:
    """`user`'s token through `client`: the authorization-code grant with PKCE, as a staff app gets one.

    `user` has signed in and approves the app: the consent page's "approve" calls
    `create_authorization_response` with them, here in-process (no page, no password check, no throttle).
    Then the code and its verifier are exchanged at the token endpoint. So the token holds what the grant
    gives: the scopes asked for that the app has and the person's role allows; a disabled person gets none.
    """
    from civic.core.db import session
    from civic.gateway.models import StaffUser
    from civic.gateway.oauth import server

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    redirect = client.redirect_uris[0] if client.redirect_uris else STAFF_APP
    query = {"response_type": "code", "client_id": client.client_id, "redirect_uri": redirect, "state": "builder",
             "code_challenge": challenge, "code_challenge_method": "S256", **({"scope": " ".join(scopes)} if scopes else {})}

    def approve():
        grant = server.get_consent_grant(end_user=None)
        return server.create_authorization_response(grant_user=session.get(StaffUser, user.id), grant=grant)

    approved = _oauth(app, "/oauth/authorize", query=urllib.parse.urlencode(query), respond=approve,
                      context="gateway.sign_in")
    answer = urllib.parse.parse_qs(urllib.parse.urlparse(approved.headers.get("Location", "")).query)
    if "code" not in answer:
        raise BuildFailed(f"/oauth/authorize gave no code: {approved.status_code} {approved.headers.get('Location')}")
    form, headers = _client_auth(client, secret)
    form |= {"grant_type": "authorization_code", "code": answer["code"][0], "redirect_uri": redirect,
             "code_verifier": verifier}
    response = _oauth(app, "/oauth/token", form=form, headers=headers, respond=server.create_token_response)
    return response.get_json()["access_token"]


def store_token(app, client, scopes=(), *, user=None) -> str:
    """Test-only: a token made by the endpoint's generator and stored by its `save_token`, with no grant's checks.

    For what no grant would issue today but a stored token can still say: a person's token holding
    exactly `scopes`, as one issued before a demotion does (the API narrows it to the person's current
    role on every request), or one written just after its person was disabled (a race).
    """
    from civic.core.db import session
    from civic.gateway.models import Client, StaffUser
    from civic.gateway.oauth import save_token, server

    def store():
        row = session.get(Client, client.id)
        person = session.get(StaffUser, user.id) if user else None
        token = server.generate_token(grant_type="authorization_code" if person else "client_credentials", client=row,
                                      user=person, scope=" ".join(scopes), include_refresh_token=False)
        save_token(token, SimpleNamespace(client=row, user=person))
        return token["access_token"]

    return _run(app, store)


def create_token(app, tenant, *scopes: str, user=None, **client_overrides) -> str:
    """A fresh client of `tenant` holding `scopes`, and a token for it (for `user`, if given)."""
    client, shown = create_client(app, tenant, scopes, **client_overrides)
    return mint_token(app, client, shown["client_secret"], scopes, user=user)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# --- components: over the HTTP API ------------------------------------------------------
def _created(response, what: str) -> dict:
    if response.status_code != 201:
        raise BuildFailed(f"{what}: {response.status_code} {response.get_json()}")
    return response.get_json()


def create_resource(http, headers: dict, **overrides) -> dict:
    """A bookable resource (open 09:00-17:00 every day unless overridden), as the API returned it."""
    return _created(http.post("/v1/booking/resources", json={**RESOURCE, **overrides}, headers=headers), "resource")


def post_booking(http, headers: dict, resource_id: str, start: str, **overrides):
    """The response to booking `start` (ISO 8601) at a resource: for tests that expect a refusal too."""
    body = {"resource_id": resource_id, "start": start, "attendee": ATTENDEE, **overrides}
    return http.post("/v1/booking/bookings", json=body, headers=headers)


def create_booking(http, headers: dict, resource_id: str, start: str, **overrides) -> dict:
    return _created(post_booking(http, headers, resource_id, start, **overrides), "booking")


def create_category(http, headers: dict, **overrides) -> dict:
    body = {"code": f"c-{uuid.uuid4().hex[:8]}", "name": "Pothole", **overrides}
    return _created(http.post("/v1/reporting/categories", json=body, headers=headers), "category")


def create_report(http, headers: dict, **overrides) -> dict:
    """A report (fly-tipping in central London unless overridden), as the API returned it."""
    return _created(http.post("/v1/reporting/reports", json={**REPORT, **overrides}, headers=headers), "report")
