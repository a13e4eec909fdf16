"""Test harness: a real database per test (SQLite by default, PostgreSQL when asked), no internet.

Run on PostgreSQL with CIVIC_TEST_BACKEND=postgres and CIVIC_TEST_POSTGRES_URL set
(`make test` does both passes). Each run creates its own database, so runs
cannot see each other's data.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pytest
import sqlalchemy as sa

BACKEND = os.environ.get("CIVIC_TEST_BACKEND", "sqlite")
PG_URL = os.environ.get("CIVIC_TEST_POSTGRES_URL", "")
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def _redis_url_for_this_pass(url: str) -> str:
    """CIVIC_TEST_REDIS_URL's database for this pass and this worker, so that no two runs side by side flush
    each other's counters: the SQLite pass takes the number given (`/15`), the PostgreSQL pass the one below
    (`/14`), and each further pytest-xdist worker (`gw1`, `gw2`...) two below the one before (`/13`, `/12`...)."""
    if not url:
        return url
    parsed = sa.engine.make_url(url.replace("redis://", "postgresql://", 1))
    base = int(parsed.database) if parsed.database else 15
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    number = (base - (BACKEND == "postgres") - 2 * worker) % 16
    return (url.rsplit("/", 1)[0] if parsed.database else url.rstrip("/")) + f"/{number}"


REDIS_URL = _redis_url_for_this_pass(os.environ.get("CIVIC_TEST_REDIS_URL", ""))

postgres_only = pytest.mark.skipif(
    BACKEND != "postgres",
    reason="PostgreSQL-only behaviour: runs in the PostgreSQL pass (set CIVIC_TEST_POSTGRES_URL; `make test` runs it)")


def pytest_report_header(config):
    return f"civic test database backend: {BACKEND}"


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1).replace("postgres://", "postgresql+psycopg://", 1)


# --- no internet -------------------------------------------------------------
_real_connect = socket.socket.connect


def _loopback_only(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and self.family in (socket.AF_INET, socket.AF_INET6):
        if not (host.startswith("127.") or host in ("::1", "localhost")):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def no_internet(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


# --- databases -----------------------------------------------------------------
def _migrate(url: str) -> None:
    from civic.core import db, migrate

    engine = db.create_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def database_server(tmp_path_factory):
    """Session-wide: a migrated template (SQLite file) or a fresh PostgreSQL database."""
    if BACKEND == "sqlite":
        folder = tmp_path_factory.mktemp("db")
        template = folder / "template.db"
        _migrate(f"sqlite:///{template}")
        yield {"backend": "sqlite", "template": template, "folder": folder}
        return
    if not PG_URL:
        pytest.exit("CIVIC_TEST_BACKEND=postgres needs CIVIC_TEST_POSTGRES_URL", returncode=3)
    admin = sa.create_engine(_psycopg_url(PG_URL), isolation_level="AUTOCOMMIT")
    name = f"civic_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(_psycopg_url(PG_URL)).set(database=name).render_as_string(hide_password=False)
    _migrate(url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        tables = [r[0] for r in conn.execute(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"))]
    engine.dispose()
    server = {"backend": "postgres", "url": url, "tables": tables}
    yield server
    if "engine" in server:
        server["engine"].dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(database_server, tmp_path):
    """A clean, migrated database for one test."""
    if database_server["backend"] == "sqlite":
        path = tmp_path / "civic.db"
        shutil.copy(database_server["template"], path)
        return f"sqlite:///{path}"
    # DELETE, not TRUNCATE: a test leaves few rows, and emptying 46 small tables by DELETE takes about 10 ms
    # where one TRUNCATE of them all takes about 150 ms (per test, in a pass of two thousand). Foreign keys
    # are not checked while emptying everything (replica mode, for this transaction only).
    engine = database_server.setdefault("engine", sa.create_engine(database_server["url"], poolclass=sa.pool.NullPool))
    with engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for table in database_server["tables"]:
            conn.execute(sa.text(f'DELETE FROM "{table}"'))
    return database_server["url"]


def config_for(database_url: str, **overrides) -> dict:
    return {"ENV": "test", "DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET, "LOG_LEVEL": "WARNING",
            "JOB_POLL_SECONDS": 0.05, **overrides}


@pytest.fixture
def app_config(database_url):
    """Override in a test module to change settings."""
    return {}


@pytest.fixture
def fake_notify():
    """A Notify-compatible server on loopback (point NOTIFY_BASE_URL at its `url`), stopped after the test."""
    from tests.notify.fake_notify import FakeNotify

    fake = FakeNotify()
    yield fake
    fake.stop()


@pytest.fixture
def app(database_url, app_config):
    from civic.app import create_app

    application = create_app(config_for(database_url, **app_config))
    yield application
    application.extensions["civic.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def worker(app):
    """Run due background jobs on demand: `worker.drain()`."""
    from civic.core.jobs import Worker

    return Worker(app)


# --- builders (tests/builders.py) ---------------------------------------------------
@pytest.fixture
def make(app):
    """`make.tenant()`, `make.headers(tenant, *scopes, user=..., sandbox=...)`, `make.resource(tenant)` ..."""
    from tests.builders import Builders

    return Builders(app)


@pytest.fixture
def steward(make):
    """Headers of a platform steward."""
    council = make.tenant("steward-council", kind="council")
    return make.headers(council, "platform:admin")


# --- a real server in another process -------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, database_url: str, workers: int = 1, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, "CIVIC_ENV": "test", "CIVIC_DATABASE_URL": database_url,
                       "CIVIC_SECRET_KEY": TEST_SECRET, "CIVIC_LOG_LEVEL": "WARNING", **(env or {})}
        # Logs go to a file: a pipe nobody reads fills up and stalls the server.
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "civic.cli", "serve", "--port", str(self.port), "--workers", str(workers)],
            env=environment, stdout=subprocess.DEVNULL, stderr=self.log)
        try:
            self._wait()
        except BaseException:
            self.stop()  # a server that failed to start must not outlive the test
            raise

    def _wait(self) -> None:
        import requests

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.logs()[-2000:]}")
            try:
                if requests.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.1)
        raise RuntimeError("server did not start in 60 s")

    def logs(self) -> str:
        """Everything the server wrote to stderr so far (kept after `stop`)."""
        if self.log.closed:
            return self._final_logs
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        if not self.log.closed:  # a file left to the garbage collector warns inside whichever test runs then
            self._final_logs = self.logs()
            self.log.close()


@pytest.fixture
def live_server(database_url):
    """`civic serve` in a subprocess on a free loopback port; call with workers=N."""
    servers = []

    def start(workers: int = 1, env: dict | None = None) -> LiveServer:
        server = LiveServer(database_url, workers=workers, env=env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
