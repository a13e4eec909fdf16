"""SQL statements per request on each benchmarked endpoint, and PostgreSQL round trips for a create.

The limits are the request path's budget (see bench/README.md): a cached token check sends nothing, a
read by id is one statement (and one more for the audit rows when it shows personal data), a create is
at most three round trips including the commit. A change that adds a query to the request path fails here.
"""
import contextlib

import pytest

from tests.builders import REPORTING, create_category, create_report
from tests.conftest import BACKEND

WHOAMI, READ_BY_ID, READ_PERSONAL, LIST_PAGE, CREATE_STATEMENTS, CREATE_ROUND_TRIPS = 0, 1, 2, 1, 5, 3
REPORT = {"description": "Deep pothole outside number 12", "lat": 51.5072, "long": -0.1276}


@contextlib.contextmanager
def counted(engine):
    """Statements sent (BEGIN and COMMIT aside) and, on PostgreSQL, round trips: a statement whose answer was
    awaited (a pipeline sync, or any statement outside a pipeline) counts one, a commit one more."""
    import psycopg
    from sqlalchemy import event

    seen = {"statements": 0, "round_trips": 0}
    real_sync = psycopg.Pipeline.sync

    def before(conn, _cursor, statement, *_args):
        if statement.strip().upper() not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT"):
            seen["statements"] += 1
            if "civic_pipeline" not in conn.connection.info:
                seen["round_trips"] += 1

    def sync(self):
        seen["round_trips"] += 1
        return real_sync(self)

    def commit(_conn):
        seen["round_trips"] += 1

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "commit", commit)
    psycopg.Pipeline.sync = sync
    try:
        yield seen
    finally:
        psycopg.Pipeline.sync = real_sync
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "commit", commit)


@pytest.fixture
def place(app, make):
    tenant = make.tenant()
    headers = {**make.headers(tenant, *REPORTING), "Content-Type": "application/json"}
    http = app.test_client()
    code = create_category(http, headers)["code"]
    plain = create_report(http, headers, category=code, **REPORT)
    personal = create_report(http, headers, category=code, reporter={"name": "Sam Citizen", "email": "sam@example.org"},
                             **REPORT)
    http.get("/v1/whoami", headers=headers)  # the token check is cached from here on
    return {"http": http, "headers": headers, "code": code, "plain": plain, "personal": personal,
            "engine": app.extensions["civic.engine"]}


def _count(place, method: str, path: str, status: int, **kwargs) -> dict:
    with counted(place["engine"]) as seen:
        response = place["http"].open(path, method=method, headers=place["headers"], **kwargs)
    assert response.status_code == status, response.get_json()
    return seen


def test_whoami_sends_no_sql(place):
    assert _count(place, "GET", "/v1/whoami", 200)["statements"] == WHOAMI


def test_a_read_by_id_is_one_statement(place):
    assert _count(place, "GET", f"/v1/reporting/reports/{place['plain']['id']}", 200)["statements"] == READ_BY_ID


def test_a_read_that_shows_personal_data_adds_only_its_audit_row(place):
    seen = _count(place, "GET", f"/v1/reporting/reports/{place['personal']['id']}", 200)
    assert seen["statements"] == READ_PERSONAL


def test_a_list_page_is_one_statement_and_one_for_its_audit_rows(place):
    assert _count(place, "GET", "/v1/reporting/reports?limit=20", 200)["statements"] == LIST_PAGE + 1  # 1 personal


def test_a_create_stays_within_its_statements(place):
    seen = _count(place, "POST", "/v1/reporting/reports", 201, json={"category": place["code"], **REPORT})
    assert seen["statements"] <= CREATE_STATEMENTS


@pytest.mark.skipif(BACKEND != "postgres", reason="round trips are PostgreSQL's (SQLite runs in the process)")
def test_a_create_is_at_most_three_round_trips_with_its_commit(place):
    seen = _count(place, "POST", "/v1/reporting/reports", 201, json={"category": place["code"], **REPORT})
    assert seen["round_trips"] <= CREATE_ROUND_TRIPS, seen
