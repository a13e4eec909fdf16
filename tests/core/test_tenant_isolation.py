"""Tenant isolation in the session: a query that forgets the tenant still sees only the caller's rows."""
import ast
import pathlib

import pytest
import sqlalchemy as sa

from civic.core.db import Base, session, unit_of_work
from civic.core.tenancy import PLACE_WIDE, NoTenantContext, TenantOwned, place_wide, scoped, tenant_context
from civic.reporting.models import Report
from tests.reporting.conftest import Place

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "platform").rglob("*.py"), *(ROOT / "gateway").rglob("*.py")])

# Tables with a tenant_id that are not filtered to one tenant, and why.
NOT_TENANT_OWNED = {
    "core_job": "the queue is shared; a job's tenant becomes the context its handler runs in",
    "core_event": "events are read through the catalogue and deliveries, which name their tenant",
    "core_audit": "the audit trail is read by tenant explicitly, or by a steward across the place",
    "reporting_weekly_count": "a place-wide pre-aggregate, read only by insight and open data",
    "reporting_area_weekly_count": "a place-wide pre-aggregate, read only by insight and open data",
}
# Core INSERTs on tenant-owned tables (the session's filter cannot see them), and why each is safe.
CORE_INSERTS = {
    ("platform/reporting/demo.py", "Report"): "the demo's bulk history: tenant_id from the seeded tenant",
    ("platform/reporting/demo.py", "ReportUpdate"): "the demo's bulk history: tenant_id from its report",
    ("platform/booking/slots.py", "Slot"): "a slot row takes tenant_id from its (already scoped) resource",
    ("platform/notify/batches.py", "Message"): "a batch's messages in bulk: tenant_id from the request's tenant",
}
# Raw connections and SQL text bypass the ORM's filter: only these, none on tenant-owned tables.
RAW_SQL = {
    "platform/core/idempotency.py": "reads and restores PostgreSQL's lock_timeout setting",
    "platform/core/observability.py": "the readiness probe's SELECT 1",
    "platform/core/db.py": "SQLite's BEGIN IMMEDIATE; PostgreSQL's advisory locks (lock_keys)",
    "platform/core/caching.py": "NOTIFY civic_cache, which reads and writes no table",
    "platform/core/migrate.py": "Alembic migrations and the schema comparison",
}


@pytest.fixture
def two_places(client, make):
    place = Place(client, make)
    ours = place.report(description="Ours: mattress on the pavement")
    theirs = place.report(headers=place.homes_rw, category="damp-mould", description="Theirs: damp in the flat")
    return place, ours, theirs


def test_a_query_that_forgets_the_tenant_sees_only_the_callers_rows(app, two_places):
    place, ours, theirs = two_places
    with app.test_request_context("/v1/reporting/reports", headers=place.council_rw):
        app.preprocess_request()  # the core authenticates the caller before the view
        rows = session.scalars(sa.select(Report)).all()
        assert [str(r.id) for r in rows] == [ours["id"]]
        assert session.scalar(sa.select(sa.func.count()).select_from(Report)) == 1
        # Joins and ORM-enabled UPDATEs are filtered too: tenant B's report is untouched.
        session.execute(sa.update(Report).values(description="changed"), execution_options={"synchronize_session": False})
    with app.app_context(), tenant_context(place.homes.id):
        assert [(str(r.id), r.description) for r in session.scalars(sa.select(Report))] == [
            (theirs["id"], "Theirs: damp in the flat")]


def test_a_sandbox_clients_query_that_forgets_the_world_sees_only_sandbox_rows(app, make, two_places):
    place, ours, theirs = two_places
    sandbox = make.headers(place.council, "reporting:read", "reporting:write", sandbox=True)
    test_record = place.report(headers=sandbox, description="A test record")
    with app.test_request_context("/v1/reporting/reports", headers=sandbox):
        app.preprocess_request()  # the core authenticates the caller before the view
        assert [str(r.id) for r in session.scalars(sa.select(Report))] == [test_record["id"]]
    with app.test_request_context("/v1/reporting/reports", headers=place.council_rw):
        app.preprocess_request()  # the core authenticates the caller before the view
        assert [str(r.id) for r in session.scalars(sa.select(Report))] == [ours["id"]]


def test_the_api_never_shows_another_organisations_report(client, two_places):
    place, ours, theirs = two_places
    assert client.get(f"/v1/reporting/reports/{theirs['id']}", headers=place.council_rw).status_code == 404
    listed = client.get("/v1/reporting/reports", headers=place.council_rw).get_json()
    assert [item["id"] for item in listed["items"]] == [ours["id"]]


def test_a_query_outside_any_tenant_context_raises(app, two_places):
    place, ours, theirs = two_places
    with app.app_context():
        for statement in (sa.select(Report), sa.update(Report).values(description="x"), sa.delete(Report)):
            with pytest.raises(NoTenantContext, match="reporting_report"):
                session.execute(statement)
            session.rollback()
        with pytest.raises(NoTenantContext):
            session.get(Report, ours["id"])
        # A statement that names its tenant, and a declared place-wide read, are fine.
        assert [str(r.id) for r in session.scalars(scoped(Report, place.homes.id))] == [theirs["id"]]
        with place_wide("reporting.open_data"):
            assert session.scalar(sa.select(sa.func.count()).select_from(Report)) == 2
    with app.test_request_context("/v1/reporting/reports"):  # a request with no token has no tenant
        with pytest.raises(NoTenantContext):
            session.scalars(sa.select(Report)).all()


def test_a_job_sees_only_its_own_tenants_rows(app, two_places, worker):
    from civic.core import jobs

    place, ours, theirs = two_places
    seen = []
    jobs.register(app, "test.count_reports", lambda payload, job: seen.append(
        [str(r.id) for r in session.scalars(sa.select(Report))]))
    with app.app_context(), unit_of_work():
        jobs.enqueue("test.count_reports", tenant_id=place.homes.id)
    worker.drain()
    assert seen == [[theirs["id"]]]


def test_an_unlisted_place_wide_reason_is_refused():
    with pytest.raises(KeyError):
        with place_wide("because"):
            pass


def _place_wide_uses() -> dict[str, list[str]]:
    """Every `place_wide("key")` (and the steward's `_listed("key")`) in the code and tests, by key."""
    uses: dict[str, list[str]] = {}
    for path in [*SOURCES, *(p for p in (ROOT / "tests").rglob("*.py") if p.name != pathlib.Path(__file__).name)]:
        defining = path.name == "tenancy.py" and path.parent.name == "core"
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in (
                    "place_wide", "_listed") and node.args:
                arg = node.args[0]
                key = arg.value if isinstance(arg, ast.Constant) else "<not a literal>"
                if defining and key == "<not a literal>":
                    continue  # where place_wide() itself checks its key
                uses.setdefault(key, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return uses


def test_the_place_wide_reads_are_exactly_the_listed_ones():
    uses = _place_wide_uses()
    assert "<not a literal>" not in uses, uses.get("<not a literal>")
    assert sorted(uses) == sorted(PLACE_WIDE), "add or remove the reason in civic.core.tenancy.PLACE_WIDE"
    assert all(reason.strip() for reason in PLACE_WIDE.values())


def test_every_table_with_a_tenant_is_tenant_owned_or_listed():
    owned, other = set(), set()
    for mapper in Base.registry.mappers:
        if "tenant_id" in mapper.local_table.c:
            (owned if issubclass(mapper.class_, TenantOwned) else other).add(mapper.local_table.name)
    assert other == set(NOT_TENANT_OWNED)
    assert {"reporting_report", "booking_booking", "gateway_client", "gateway_token"} <= owned


def _tenant_owned_names() -> set[str]:
    return {m.class_.__name__ for m in Base.registry.mappers if issubclass(m.class_, TenantOwned)}


def test_no_core_statement_bypasses_the_tenant_filter():
    """Core INSERTs on tenant-owned models, raw connections and SQL text only where listed.

    ORM-enabled UPDATE and DELETE (`session.execute(sa.update(Model))`) go through the session's
    filter, so only INSERT (which names its tenant_id) and raw SQL need the list.
    """
    names, inserts, raw = _tenant_owned_names(), set(), set()
    for path in SOURCES:
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            called = getattr(node.func, "id", getattr(node.func, "attr", None))
            if called == "insert" and node.args and getattr(node.args[0], "id", None) in names:
                inserts.add((where, node.args[0].id))
            if called in ("text", "exec_driver_sql", "connection", "connect", "raw_connection"):
                raw.add(where)
    assert inserts == set(CORE_INSERTS)
    assert raw <= set(RAW_SQL), raw - set(RAW_SQL)
