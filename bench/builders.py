"""Builders shared by the tests and the benchmarks: `create_*(app or http, ..., **overrides)`.

Organisations, clients and staff users are made by the gateway's services, each in a unit
of work of its own. An app's tokens come from the OAuth server's client-credentials grant, as
an integrator gets them; a person's from the same token generator and `save_token`. Resources, bookings, categories and reports are made over
the HTTP API with a Flask test client. Nothing here needs pytest, so `python -m bench` can use it.
"""
import base64
import urllib.parse
import uuid
from types import SimpleNamespace

PASSWORD = "correct horse battery"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
RESOURCE = {"name": "Community room", "kind": "room", "capacity": 1, "slot_minutes": 60, "max_advance_days": 400,
            "opening_hours": {day: [{"start": "09:00", "end": "17:00"}] for day in WEEKDAYS}}
ATTENDEE = {"name": "Sam Citizen", "email": "sam@example.org", "phone": "020 7946 0018"}
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
    """A client of `tenant`; returns (client, its one-time secrets)."""
    from civic.gateway import service

    name = overrides.pop("name", "Test app")
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


def _oauth(app, path: str, *, form: dict, headers: dict, respond):
    """Run one OAuth server call as the endpoint at `path` would, and commit what it stored.

    The server is called directly rather than through the HTTP view, so that making a fixture
    spends nothing of the token endpoint's rate limit or lock-out counters (the test's own budget).
    """
    from civic.core.db import session
    from civic.core.tenancy import place_wide

    # The token endpoint looks credentials up before any tenant is known, as its view does.
    with app.test_request_context(path, method="POST", data=form, headers=headers), place_wide("gateway.credentials"):
        response = respond()
        if response.status_code >= 400:
            raise BuildFailed(f"{path} refused: {response.status_code} {response.get_data(as_text=True)}")
        session.commit()
        return response


def mint_token(app, client, secret: str, scopes=None, *, user=None) -> str:
    """An access token for `client`: the token endpoint's client-credentials grant, or a person's token.

    With `user`, see `store_token`: the same generator and `save_token` as the authorization-code
    grant, without its sign-in and consent pages.
    """
    from civic.gateway.oauth import server

    if user is not None:
        return store_token(app, client, scopes or (), user=user)
    # None asks for nothing (so gets all the client's scopes); an empty list asks, explicitly, for none.
    scope = None if scopes is None else " ".join(scopes) or " "
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope is not None else {})}
    response = _oauth(app, "/oauth/token", form=form, headers=_basic(client, secret), respond=server.create_token_response)
    return response.get_json()["access_token"]


def store_token(app, client, scopes=(), *, user=None) -> str:
    """Test-only: a token made by the endpoint's generator and stored by its `save_token`, with no grant's checks.

    For a person's token: it says exactly `scopes`, as one issued before a demotion still does (the
    API narrows it to the person's current role on every request). Also for races a grant would
    refuse today, such as a token written just after its person was disabled.
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
