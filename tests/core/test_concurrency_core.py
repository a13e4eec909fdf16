"""Concurrency in the core: locked reads are fresh and lock one row, races are 409s, transient failures are retried."""
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from flask.views import MethodView

from tests.assurance.world import World
from tests.conftest import postgres_only
from tests.core.conftest import assert_problem, count


def scoped_view(app_with_route, body):
    """An app with POST /v1/probe running `body()` behind `@require("reporting:write")`."""
    from civic.core.auth import require

    class Probe(MethodView):
        @require("reporting:write")
        def post(self):
            return body()

    return app_with_route("/v1/probe", Probe)


@postgres_only
def test_a_locked_read_sees_the_row_as_committed_not_as_the_session_remembers_it(app, app_with_route, make):
    from civic.core.auth import current_tenant_id
    from civic.core.tenancy import get_scoped
    from civic.reporting.models import Category

    world = World(app.test_client(), make)
    code = world.category()["code"]
    category_id = app.test_client().get(f"/v1/reporting/categories/{code}", headers=world.as_a()).get_json()["id"]
    other = app.extensions["civic.engine"]

    def body():
        stale = get_scoped(Category, current_tenant_id(), category_id)  # now in the session's identity map
        before = stale.name
        with other.begin() as conn:  # another request renames it and commits
            conn.execute(sa.text("UPDATE reporting_category SET name = 'Renamed meanwhile' WHERE id = :id"),
                         {"id": uuid.UUID(category_id)})
        locked = get_scoped(Category, current_tenant_id(), category_id, lock=True)
        assert locked is stale
        return {"before": before, "locked": locked.name}, 200

    probe = scoped_view(app_with_route, body)
    response = probe.test_client().post("/v1/probe", headers=world.as_a())
    assert response.get_json() == {"before": f"{world.marker} pothole", "locked": "Renamed meanwhile"}


@postgres_only
def test_locking_a_report_does_not_lock_its_category(app, app_with_route, make):
    """Two transfers crossing through one category deadlocked when the joined category row was locked too."""
    from civic.core.auth import current_tenant_id
    from civic.core.tenancy import get_scoped
    from civic.reporting.models import Report

    world = World(app.test_client(), make)
    report_id = world.report()["report_id"]
    other = app.extensions["civic.engine"]

    def locked_elsewhere(table: str, row_id) -> bool:
        with other.connect() as conn:
            try:
                conn.execute(sa.text(f"SELECT id FROM {table} WHERE id = :id FOR UPDATE NOWAIT"), {"id": row_id})
                return False
            except sa.exc.OperationalError:
                return True
            finally:
                conn.rollback()

    def body():
        report = get_scoped(Report, current_tenant_id(), report_id, lock=True)
        return {"report": locked_elsewhere("reporting_report", report.id),
                "category": locked_elsewhere("reporting_category", report.category_id)}, 200

    probe = scoped_view(app_with_route, body)
    response = probe.test_client().post("/v1/probe", headers=world.as_a())
    assert response.get_json() == {"report": True, "category": False}


def test_a_unique_violation_during_a_flush_is_a_409_and_rolls_back(app, app_with_route, make):
    from civic.core.db import session
    from civic.core.tenancy import Tenant

    def body():
        session.add(Tenant(slug="twice-org", name="One"))
        session.flush()
        session.add(Tenant(slug="twice-org", name="Two"))
        session.flush()
        return {}, 201

    world = World(app.test_client(), make)
    tenants = count(app, "tenant")
    probe = scoped_view(app_with_route, body)
    response = probe.test_client().post("/v1/probe", headers={**world.as_a(), "Idempotency-Key": "twice"})
    assert_problem(response, 409, "conflict")
    assert count(app, "tenant") == tenants and count(app, "core_idempotency_key") == 0


def test_a_foreign_key_violation_during_a_flush_is_a_409(app, app_with_route, make):
    from civic.core.db import session
    from civic.reporting.models import Category

    def body():
        session.add(Category(tenant_id=uuid.uuid4(), code="orphan", name="Orphan"))
        session.flush()
        return {}, 201

    world = World(app.test_client(), make)
    response = scoped_view(app_with_route, body).test_client().post("/v1/probe", headers=world.as_a())
    assert_problem(response, 409, "conflict")


def test_twenty_creates_of_the_same_category_at_once_are_one_201_and_409s(app, make, live_server):
    import requests

    world = World(app.test_client(), make)
    headers = world.as_a()
    server = live_server(workers=4)
    barrier = threading.Barrier(20)

    def send(_):
        barrier.wait()
        return requests.post(server.url + "/v1/reporting/categories", json={"code": "potholes", "name": "Potholes"},
                             headers=headers, timeout=60)

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(send, range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 19, [(r.status_code, r.text[:200]) for r in responses if r.status_code != 409]
    for conflict in (r for r in responses if r.status_code == 409):
        assert conflict.headers["Content-Type"] == "application/problem+json"
        assert conflict.json()["code"] in ("category_exists", "conflict")
    assert "Traceback" not in server.logs()


def raise_sqlstate(sqlstate: str) -> None:
    """Have PostgreSQL itself fail the statement with this SQLSTATE."""
    from civic.core.db import session

    session.execute(sa.text(f"DO $$ BEGIN RAISE EXCEPTION 'induced' USING ERRCODE = '{sqlstate}'; END $$"))


@postgres_only
@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_a_deadlock_or_serialization_failure_is_retried_once(app, app_with_route, make, sqlstate):
    from civic.core.auth import current_tenant_id
    from civic.core.db import session
    from civic.reporting.models import Category

    attempts = []

    def body():
        attempts.append(1)
        session.add(Category(tenant_id=current_tenant_id(), code=f"attempt-{len(attempts)}", name="Try"))
        session.flush()
        if len(attempts) == 1:
            raise_sqlstate(sqlstate)
        return {"attempt": len(attempts)}, 201

    world = World(app.test_client(), make)
    client = scoped_view(app_with_route, body).test_client()
    headers = {**world.as_a(), "Idempotency-Key": f"retry-{sqlstate}"}
    response = client.post("/v1/probe", headers=headers)
    assert response.status_code == 201 and response.get_json() == {"attempt": 2}
    codes = app.test_client().get("/v1/reporting/categories", headers=world.as_a()).get_json()["items"]
    assert "attempt-1" not in {c["code"] for c in codes} and "attempt-2" in {c["code"] for c in codes}
    replay = client.post("/v1/probe", headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true" and len(attempts) == 2


@postgres_only
def test_a_second_deadlock_is_a_409_to_retry_later(app, app_with_route, make):
    attempts = []

    def body():
        attempts.append(1)
        raise_sqlstate("40P01")

    world = World(app.test_client(), make)
    response = scoped_view(app_with_route, body).test_client().post("/v1/probe", headers=world.as_a())
    problem = assert_problem(response, 409, "concurrent_change")
    assert response.headers["Retry-After"] and problem["detail"]
    assert len(attempts) == 2
