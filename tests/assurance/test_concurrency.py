"""The same change sent twice at once ends exactly as the same change sent twice in turn.

Every state-changing operation on an object that the spec documents (POST, PUT, PATCH, DELETE on
an id-bearing route) is tried against a real four-worker server on PostgreSQL. Each time there is a
fresh object (made in-process, on the same database), and the same request is sent twice. The first time
they are sent one after the other: that gives the answers, the state read back and the recorded history
(audit entries, events) of a correct, serialised run. Then, on fresh objects, the two are released
together. Each time the answers must be successes or problem+json refusals with a code (never a 5xx),
and answers, read-back and history must match the serialised run: no change counted twice,
no transition recorded twice, no place given back twice. A 404 is allowed only when the object
has gone from the caller (deleted, or transferred to another organisation).
"""
import re
import types

import pytest
import requests
import sqlalchemy as sa

from tests.assurance.catalogue import Spec, documented_operations, openapi_path, operations
from tests.assurance.world import World, body_for, url_for, values_for
from tests.builders import Builders
from tests.conftest import LiveServer, config_for, postgres_only
from tests.helpers import together

pytestmark = postgres_only
CHANGES = ("POST", "PUT", "PATCH", "DELETE")
REFUSALS = (409, 412, 422)
ROUNDS = 6  # concurrent rounds per operation, each on a fresh object (a race is not hit every time)


def _changing_operations() -> list:
    return [pytest.param(method, path, id=f"{method} {path}") for method, path in documented_operations()
            if method in CHANGES and "{" in path]


# --- one database, one app and one server for the whole module ------------------------------
@pytest.fixture(scope="module")
def stage(database_server):
    """The module's own run of the session database: emptied once, then shared by an app and a live server."""
    from civic.app import create_app

    url = database_server["url"]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in database_server["tables"]) + " CASCADE"))
    engine.dispose()
    from tests.notify.fake_notify import FakeNotify
    from tests.payments import stripe_server

    fake_notify = FakeNotify()  # the app and the live server talk to the same outside services
    services = {"NOTIFY_BASE_URL": fake_notify.url, "NOTIFY_TIMEOUT_SECONDS": 5.0,
                "PAYMENTS_STRIPE_API_BASE": stripe_server.url(), "PAYMENTS_STRIPE_TIMEOUT_SECONDS": 10.0,
                "PAYMENTS_STRIPE_RETRIES": 0,
                "RATELIMIT_DEFAULT": "1000000 per minute",  # hundreds of races from a few clients; limits: test_limits
                "FLOWS_MAX_ENDPOINTS": 100000}  # a fresh endpoint for each race, all one organisation's
    app = create_app(config_for(url, **services))
    # The races are between requests: the server runs no background jobs, which would otherwise settle a
    # fresh object (send a batch's message, say) in one run and not in the other (jobs: test_faults, notify).
    server = LiveServer(url, workers=4, env={**{f"CIVIC_{key}": str(value) for key, value in services.items()},
                                             "CIVIC_EMBEDDED_WORKER": "false"})
    try:
        client = app.test_client()
        yield types.SimpleNamespace(app=app, client=client, server=server,
                                    world=World(client, Builders(app), fake_notify),
                                    spec=client.get("/openapi.json").get_json())
    finally:
        server.stop()
        fake_notify.stop()
        app.extensions["civic.engine"].dispose()


def _suspend(world: World, values: dict) -> None:
    response = world.client.post(f"/v1/admin/tenants/{values['tenant_ref']}/suspend", headers=world.steward())
    assert response.status_code == 200, response.get_json()


# Some changes only mean something from another state: bring the fresh object there first.
PREPARE = {
    "POST /v1/admin/tenants/<tenant_ref>/reactivate": _suspend,
}


def answer_json(answer) -> dict:
    try:
        body = answer.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


# --- what a run leaves behind, made comparable across two fresh objects -----------------------
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HEX = re.compile(r"[0-9a-f]{6,}")
TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")


def normal(value, key: str = ""):
    """The value with what differs between two fresh objects (ids, times, random names) blanked out."""
    if isinstance(value, dict):
        return {k: normal(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normal(v, key) for v in value]
    if value is not None and (key == "id" or key.endswith(("_id", "ID", "Id"))):  # camelCase: a consent receipt's
        return "<id>"
    if value is not None and key.endswith(("_at", "At", "Timestamp")):
        return "<set>"
    if isinstance(value, str):  # a moment (a timeline's `at`, say) differs between two runs like an id
        return HEX.sub("<hex>", UUID.sub("<uuid>", TIME.sub("<time>", value)))
    return value


def off_enum(spec, value, schema, where: str = "$") -> list[str]:
    """Values the response schema's enums do not allow (a state the API does not have)."""
    schema = spec.resolve(schema)
    found = [f"{where}={value!r}"] if "enum" in schema and value not in schema["enum"] else []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in schema.get("properties", {}):
                found += off_enum(spec, item, schema["properties"][key], f"{where}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += off_enum(spec, item, schema["items"], f"{where}[{index}]")
    return found


def read_back(stage, values: dict) -> tuple[dict, set]:
    """{path: (status, normal JSON)} of every GET naming the object (following the ids it shows), and the ids seen."""
    spec, world = Spec(stage.spec), stage.world
    reads = [op for op in operations(stage.app) if op.method == "GET" and op.has_id]
    names = {name for op in reads for name in op.arguments}
    values, seen, ids = dict(values), {}, {str(v) for v in values.values()}
    while todo := [op for op in reads if op.path not in seen and set(op.arguments) <= set(values)]:
        for op in todo:
            response = world.client.get(url_for(op, values), headers=world.owner_of(op))
            assert response.status_code < 500, f"GET {op.path}: {response.status_code}"
            if not response.is_json:  # calendars carry the time they were made
                seen[op.path] = (response.status_code, response.mimetype)
                continue
            body = response.get_json()
            if response.status_code == 200 and isinstance(body, dict):
                assert off_enum(spec, body, spec.response_schema(op, 200) or {}) == [], f"GET {op.path}"
                for key, value in body.items():
                    if (key == "id" or key.endswith("_id")) and value:
                        ids.add(str(value))  # a client's public client_id names its audit entries
                    if key in names and isinstance(value, str):
                        values.setdefault(key, value)
            seen[op.path] = (response.status_code, normal(body))
    return seen, ids


def history(stage, ids: set) -> dict:
    """How many audit entries and events of each kind name one of these objects."""
    from civic.core.audit import AuditEntry
    from civic.core.db import session
    from civic.core.events import Event

    with stage.app.app_context():
        audits = session.execute(sa.select(AuditEntry.action, sa.func.count()).where(
            AuditEntry.subject_id.in_(ids)).group_by(AuditEntry.action))
        events = session.execute(sa.select(Event.type, sa.func.count()).where(
            Event.subject.in_(ids)).group_by(Event.type))
        return {**{f"audit {a}": n for a, n in audits}, **{f"event {t}": n for t, n in events}}


OVERBOOKED = sa.text("""
    SELECT s.id, s.used, r.capacity,
           (SELECT count(*) FROM booking_booking b WHERE b.slot_id = s.id AND b.status = 'confirmed')
         + (SELECT count(*) FROM booking_hold h WHERE h.slot_id = s.id AND h.status = 'held') AS taken
    FROM booking_slot s JOIN booking_resource r ON r.id = s.resource_id
""")


def miscounted_slots(stage) -> list:
    """Slots whose counter of places taken disagrees with their bookings and live holds."""
    from civic.core.db import session

    with stage.app.app_context():
        return [tuple(row) for row in session.execute(OVERBOOKED) if row.taken > row.capacity or row.taken != row.used]


# --- one run: a fresh object, the same request twice ---------------------------------------------
def run(stage, op, *, at_once: bool):
    world = stage.world
    try:
        values, body = values_for(world, op), body_for(world, op)
    except KeyError as missing:
        pytest.fail(f"{op} cannot be raced: add {missing} to CREATORS or BODIES in tests/assurance/world.py")
    PREPARE.get(str(op), lambda w, v: None)(world, values)
    headers = world.owner_of(op)
    url = stage.server.url + url_for(op, values)

    def send():
        return requests.request(op.method, url, json=body, headers=headers, timeout=120)

    answers = together(send, send) if at_once else [send(), send()]
    seen, ids = read_back(stage, values)
    outcome = sorted((a.status_code, answer_json(a).get("code") or "" if a.status_code >= 400 else "")
                     for a in answers)
    # Deleted, or handed over: a DELETE's object, or the object whose GET (the op's own path, or the
    # longest part of it that has one) now answers 404.
    own = max((path for path in seen if op.path.startswith(path)), key=len, default=None)
    gone = op.method == "DELETE" or (own is not None and seen[own][0] == 404)
    return types.SimpleNamespace(answers=answers, outcome=outcome, seen=seen, history=history(stage, ids), gone=gone)


def problems_with(op, result) -> list[str]:
    """Answers that are neither a success nor a documented refusal with a code."""
    found = []
    for answer in result.answers:
        status, body = answer.status_code, answer_json(answer)
        if 200 <= status < 300:
            continue
        refusal = status in REFUSALS or (status == 404 and result.gone)
        if not refusal or answer.headers.get("Content-Type", "").split(";")[0] != "application/problem+json" \
                or not body.get("code"):
            found.append(f"{op}: {status} {answer.text[:300]}")
    return found


def test_every_state_changing_route_is_documented_and_raced(stage):
    """The races below come from the spec: a changing route the spec leaves out would be missed."""
    documented = {(m, p) for m, p in documented_operations()}
    missing = [f"{op} is not in the spec, so it is never raced" for op in operations(stage.app)
               if op.method in CHANGES and op.has_id and (op.method, openapi_path(op.path)) not in documented]
    assert missing == []


@pytest.mark.parametrize("method, path", _changing_operations())
def test_the_same_change_twice_at_once_ends_as_it_does_twice_in_turn(stage, method, path):
    ops = [o for o in operations(stage.app) if o.method == method and openapi_path(o.path) == path]
    assert ops, f"{method} {path} is documented but not served"
    op = ops[0]
    serial = run(stage, op, at_once=False)
    assert problems_with(op, serial) == [], "even one after the other"
    for round_ in range(ROUNDS):
        raced = run(stage, op, at_once=True)
        context = f"{op}, round {round_ + 1}"
        assert problems_with(op, raced) == [], context
        assert raced.outcome == serial.outcome, f"{context}: answers differ from the same requests in turn"
        assert raced.seen == serial.seen, f"{context}: the object reads back differently"
        assert raced.history == serial.history, f"{context}: audit entries or events differ"
        assert miscounted_slots(stage) == [], f"{context}: a slot's count of places taken is wrong"
