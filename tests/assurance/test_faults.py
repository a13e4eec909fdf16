"""The database goes away under a running server and comes back: clean answers, then recovery without a restart.

(A worker killed mid-job is covered by tests/core/test_workers.py; an unreachable database
at start-up by tests/core/test_errors.py.)
"""
import threading
import time

import pytest
import requests
import sqlalchemy as sa

from tests.conftest import PG_URL, _psycopg_url, postgres_only

pytestmark = postgres_only
TERMINATE = ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
             "WHERE datname = :name AND pid <> pg_backend_pid()")


class Database:
    """Admin powers over the test's database, from a connection to another one."""

    def __init__(self, database_url: str):
        self.name = sa.engine.make_url(database_url).database
        self.admin = sa.create_engine(_psycopg_url(PG_URL), isolation_level="AUTOCOMMIT")

    def terminate_connections(self) -> int:
        with self.admin.connect() as conn:
            return len(conn.execute(sa.text(TERMINATE), {"name": self.name}).all())

    def allow_connections(self, allowed: bool) -> None:
        with self.admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS {str(allowed).lower()}'))


@pytest.fixture
def database(database_url):
    db = Database(database_url)
    yield db
    db.allow_connections(True)
    db.admin.dispose()


def assert_clean(response, context: str) -> None:
    """Success, or a 503 problem the caller can act on; never a 500, never a stack trace."""
    assert "Traceback" not in response.text and 'File "' not in response.text, context
    if response.status_code >= 400:
        assert response.status_code == 503, f"{context}: {response.status_code} {response.text[:300]}"
        assert response.headers["Content-Type"].startswith("application/problem+json"), context
        assert response.json()["code"] == "database_unavailable", context
        assert response.headers.get("Retry-After"), context


def test_terminated_connections_and_an_outage_give_clean_answers_and_the_server_recovers(live_server, make, database):
    tenant = make.tenant()
    headers = make.headers(tenant, "booking:read", "booking:write")
    server = live_server(workers=2)
    http = requests.Session()
    http.headers.update(headers)
    resources = server.url + "/v1/booking/resources"
    create = {"name": "Hall", "opening_hours": {"monday": [{"start": "09:00", "end": "17:00"}]}}
    assert http.post(resources, json=create, timeout=30).status_code == 201

    # 1. Connections are killed while requests keep coming.
    answers, stop = [], threading.Event()

    def load():
        while not stop.is_set():
            answers.append(http.get(resources, timeout=30))
            answers.append(http.post(resources, json=create, timeout=30))

    threads = [threading.Thread(target=load) for _ in range(2)]
    for thread in threads:
        thread.start()
    killed = 0
    while len(answers) < 40:  # keep killing the server's connections until 40 requests have been answered
        killed += database.terminate_connections()
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join()
    assert killed >= 5
    for answer in answers:
        assert_clean(answer, f"{answer.request.method} during terminations")

    # 2. The database refuses every connection: every request is a 503 problem, and readyz says so.
    database.allow_connections(False)
    database.terminate_connections()
    outage = [http.get(resources, timeout=30), http.post(resources, json=create, timeout=30)]
    for answer in outage:
        assert answer.status_code == 503, answer.text[:300]
        assert_clean(answer, f"{answer.request.method} during the outage")
    assert requests.get(server.url + "/readyz", timeout=30).status_code == 503
    assert server.process.poll() is None, "the server died with its database"

    # 3. The database is back: the same server process answers normally again.
    database.allow_connections(True)
    assert http.get(resources, timeout=30).status_code == 200
    assert http.post(resources, json=create, timeout=30).status_code == 201
    # Each worker drops its dead pool on the first failure it meets, so a probe may see one last 503
    # (as an orchestrator's readiness probe, which retries, would): ready again within seconds.
    # Two workers, each meeting its dead pool once, and a loaded machine: probe as an orchestrator does,
    # every 0.2 s, and expect ready within 10 s, then ready again on the next probe.
    ready, deadline = [], time.monotonic() + 10
    while (not ready or ready[-1] != 200) and time.monotonic() < deadline:
        if ready:
            time.sleep(0.2)
        ready.append(requests.get(server.url + "/readyz", timeout=30).status_code)
    assert ready[-1] == 200, ready
    assert requests.get(server.url + "/readyz", timeout=30).status_code == 200, ready
    assert server.process.poll() is None
    print(f"faults: {killed} connections terminated under load, {len(answers)} answers all clean; "
          f"outage answered 503; recovered without restart")
