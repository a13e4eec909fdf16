"""Idempotent replays: only to the caller who made the first request, never in clear at rest, never twice the work."""
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from flask.views import MethodView

from tests.builders import bearer
from tests.conftest import BACKEND, postgres_only
from tests.assurance.world import World, _slot
from tests.core.conftest import assert_problem

# The caller holds booking:read itself: nobody grants a scope they do not hold.
CLIENT_BODY = {"name": "Booking kiosk", "scopes": ["booking:read"]}


def tokens(make, tenant, scopes, *, users=(), subsets=()):
    """One client of `tenant` holding `scopes`; a token per user (all its scopes) and per scope subset."""
    client, shown = make.client(tenant, scopes)

    def issue(scope, user=None):
        return bearer(make.token_for(client, shown["client_secret"], scope, user=user))

    return [issue(scopes, user) for user in users] + [issue(subset) for subset in subsets]


def stored_rows(app) -> list[str]:
    with app.extensions["civic.engine"].connect() as conn:
        return [" ".join(str(v) for v in row) for row in conn.execute(sa.text("SELECT * FROM core_idempotency_key"))]


def test_a_token_without_the_scope_cannot_replay_the_first_answer(client, make):
    tenant = make.tenant()
    admin, reader = tokens(make, tenant, ("clients:manage", "booking:read"), subsets=[
        ("clients:manage", "booking:read"), ("booking:read",)])
    first = client.post("/v1/admin/clients", json=CLIENT_BODY, headers={**admin, "Idempotency-Key": "k1"})
    assert first.status_code == 201 and first.get_json()["client_secret"]
    replay = client.post("/v1/admin/clients", json=CLIENT_BODY, headers={**reader, "Idempotency-Key": "k1"})
    assert_problem(replay, 403, "insufficient_scope")
    assert first.get_json()["client_secret"] not in replay.get_data(as_text=True)


def test_another_staff_user_of_the_same_app_gets_a_fresh_answer(client, make):
    tenant = make.tenant()
    alice, bob = make.user(tenant, role="tenant_admin"), make.user(tenant, role="tenant_admin")
    as_alice, as_bob = tokens(make, tenant, ("booking:read", "clients:manage"), users=[alice, bob])
    first = client.post("/v1/admin/clients", json=CLIENT_BODY, headers={**as_alice, "Idempotency-Key": "k1"})
    assert first.status_code == 201
    again = client.post("/v1/admin/clients", json=CLIENT_BODY, headers={**as_alice, "Idempotency-Key": "k1"})
    assert again.headers.get("Idempotent-Replayed") == "true" and again.get_data() == first.get_data()
    other = client.post("/v1/admin/clients", json=CLIENT_BODY, headers={**as_bob, "Idempotency-Key": "k1"})
    assert other.status_code == 201 and "Idempotent-Replayed" not in other.headers
    assert other.get_json()["client_id"] != first.get_json()["client_id"]
    assert first.get_json()["client_secret"] not in other.get_data(as_text=True)


def test_a_public_route_keeps_no_idempotency_record(app, client, make):
    """Without the protection decorator there is no principal to own a key: nothing is stored or replayed."""
    response = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "nobody",
                                                 "client_secret": "x"}, headers={"Idempotency-Key": "k1"})
    assert response.status_code in (400, 401)
    assert stored_rows(app) == []


def test_stored_answers_hold_neither_secrets_nor_personal_data_in_clear(app, client, make):
    tenant = make.tenant()
    (admin,) = tokens(make, tenant, ("booking:read", "clients:manage"), subsets=[("booking:read", "clients:manage")])
    made = client.post("/v1/admin/clients", json=CLIENT_BODY, headers={**admin, "Idempotency-Key": "c1"})
    email = "pat.person@example.org"
    user = client.post("/v1/admin/users", json={"email": email, "role": "viewer", "name": "Pat Person",
                                                "password": "correct horse battery staple"},
                       headers={**admin, "Idempotency-Key": "u1"})
    assert made.status_code == 201 and user.status_code == 201, user.get_json()
    secret, client_id = made.get_json()["client_secret"], made.get_json()["client_id"]
    rows = stored_rows(app)
    assert len(rows) == 2
    for clear in (secret, email, "Pat Person", client_id, "correct horse"):
        assert not any(clear in row for row in rows), clear
    replay = client.post("/v1/admin/clients", json=CLIENT_BODY, headers={**admin, "Idempotency-Key": "c1"})
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.get_json()["client_secret"] == secret
    assert replay.headers.get("Location") == made.headers.get("Location")


def slow_app(app_with_route, outcome=lambda: ({"done": True}, 201)):
    """An app whose POST /v1/slow holds until released, counting the times its work ran."""
    from civic.core.auth import require

    started, release, runs = threading.Event(), threading.Event(), []

    class Slow(MethodView):
        @require("platform:admin")
        def post(self):
            runs.append(1)
            started.set()
            release.wait(60)
            return outcome()

    return app_with_route("/v1/slow", Slow), started, release, runs


def test_a_duplicate_during_a_long_request_never_takes_the_key_over(app_with_route, make, monkeypatch):
    """However long the first request runs, the duplicate waits or is refused: the work runs once."""
    from civic.core import idempotency

    monkeypatch.setattr(idempotency, "STALE_AFTER", dt.timedelta(0), raising=False)
    app, started, release, runs = slow_app(app_with_route)
    headers = {**make.headers(make.tenant(), "platform:admin"), "Idempotency-Key": "slow-1"}
    client = app.test_client()
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(client.post, "/v1/slow", json={"n": 1}, headers=headers)
        assert started.wait(30)
        if BACKEND == "postgres":  # waits a moment on the key, then is told to retry
            duplicate = client.post("/v1/slow", json={"n": 1}, headers=headers)
            release.set()
        else:  # SQLite serialises writers: the duplicate queues behind the first, then replays it
            duplicate = pool.submit(client.post, "/v1/slow", json={"n": 1}, headers=headers)
            release.set()
            duplicate = duplicate.result(60)
        first = first.result(60)
    assert first.status_code == 201 and len(runs) == 1
    if BACKEND == "postgres":
        assert_problem(duplicate, 409, "idempotency_in_progress")
        assert duplicate.headers["Retry-After"]
    else:
        assert duplicate.status_code == 201 and duplicate.headers["Idempotent-Replayed"] == "true"
    replay = client.post("/v1/slow", json={"n": 1}, headers=headers)
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true" and len(runs) == 1


def test_a_duplicate_waiting_behind_a_request_that_fails_does_the_work(app_with_route, make):
    """The first rolls back (so it is provably gone): the waiting duplicate is a fresh request."""
    from civic.core.errors import Problem

    answers = iter([Problem(409, "slot_unavailable", "Full."), None])

    def outcome():
        problem = next(answers)
        if problem:
            raise problem
        return {"done": True}, 201

    app, started, release, runs = slow_app(app_with_route, outcome)
    headers = {**make.headers(make.tenant(), "platform:admin"), "Idempotency-Key": "fail-1"}
    client = app.test_client()
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(client.post, "/v1/slow", json={"n": 1}, headers=headers)
        assert started.wait(30)
        duplicate = pool.submit(client.post, "/v1/slow", json={"n": 1}, headers=headers)
        release.set()
        first, duplicate = first.result(60), duplicate.result(60)
    assert_problem(first, 409, "slot_unavailable")
    assert duplicate.status_code == 201 and "Idempotent-Replayed" not in duplicate.headers
    assert len(runs) == 2


@postgres_only
def test_concurrent_duplicates_against_a_real_server_book_once(app, make, live_server):
    """Eight workers' worth of the same booking at once: one booking, the rest replays or 409s."""
    import requests

    world = World(app.test_client(), make)
    resource = world.resource()["resource_id"]
    body = {"resource_id": resource, "start": _slot(4),
            "attendee": {"name": "Pat Person"}}
    server = live_server(workers=4)
    barrier = threading.Barrier(8)

    def send(_):
        barrier.wait()
        return requests.post(server.url + "/v1/booking/bookings", json=body, timeout=60,
                             headers={**world.as_a(), "Idempotency-Key": "book-1"})

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(send, range(8)))
    assert {r.status_code for r in responses} <= {201, 409}, [r.text for r in responses]
    created = [r for r in responses if r.status_code == 201]
    assert len({r.json()["id"] for r in created}) == 1
    assert sum("Idempotent-Replayed" not in r.headers for r in created) == 1
    listing = requests.get(server.url + "/v1/booking/bookings", headers=world.as_a(), timeout=30).json()
    assert len(listing["items"]) == 1


WEBHOOK = {"url": "https://bookings.riverside-community.org.uk/hooks/civic", "event_types": ["civic.booking.*"]}


def test_a_narrower_token_cannot_replay_an_answer_that_a_service_check_guarded(client, make):
    # Defining a case type needs a tenant admin: for an app, `clients:manage`, which only the service asks
    # for, so the route's own scope check passes for both tokens; the replay must still be refused.
    from tests.casework.conftest import case_type

    tenant = make.tenant()
    admin, writer = tokens(make, tenant, ("casework:read", "casework:write", "clients:manage"), subsets=[
        ("casework:read", "casework:write", "clients:manage"), ("casework:write",)])
    body = case_type()
    first = client.post("/v1/casework/case-types", json=body, headers={**admin, "Idempotency-Key": "c1"})
    assert first.status_code == 201, first.get_json()
    fresh = client.post("/v1/casework/case-types", json=body, headers={**writer, "Idempotency-Key": "c2"})
    assert_problem(fresh, 403, "tenant_admin_required")  # what a fresh request gets
    replay = client.post("/v1/casework/case-types", json=body, headers={**writer, "Idempotency-Key": "c1"})
    assert_problem(replay, 403, "idempotency_access_changed")
    again = client.post("/v1/casework/case-types", json=body, headers={**admin, "Idempotency-Key": "c1"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]


def test_a_demoted_person_cannot_replay_what_their_old_role_was_answered(app, client, make):
    from civic.core.db import session
    from civic.core.tenancy import tenant_context
    from civic.gateway.models import StaffUser

    tenant = make.tenant()
    admin_user = make.user(tenant, role="tenant_admin")
    [headers] = tokens(make, tenant, ("flows:read", "flows:write"), users=[admin_user])
    first = client.post("/v1/flows/webhooks", json=WEBHOOK, headers={**headers, "Idempotency-Key": "d1"})
    assert first.status_code == 201, first.get_json()
    with app.app_context(), tenant_context(tenant.id):
        session.get(StaffUser, admin_user.id).role = "caseworker"
        session.commit()
    replay = client.post("/v1/flows/webhooks", json=WEBHOOK, headers={**headers, "Idempotency-Key": "d1"})
    assert_problem(replay, 403, "idempotency_access_changed")
    assert first.get_json()["secret"] not in replay.get_data(as_text=True)
