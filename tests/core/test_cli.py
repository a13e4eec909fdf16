"""The `civic` command: as a user runs it (a subprocess) where starting matters, in-process otherwise."""
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from civic.core import migrate

from tests.core.conftest import civic, civic_env
from civic.core.tenancy import place_wide

def civic_here(*args: str, database_url: str, **env: str):
    """Invoke the real `civic` command in this process (no interpreter start-up to wait for)."""
    from click.testing import CliRunner

    from civic.cli import main

    environment = {name: value for name, value in civic_env(database_url, **env).items() if name.startswith("CIVIC_")}
    return CliRunner().invoke(main, list(args), env=environment, catch_exceptions=False)


DEMO_SLUGS = {"borough-council", "food-bank", "community-health", "riverside-homes", "platform-steward"}


def test_help_lists_the_commands():
    result = civic("--help", env=civic_env("sqlite:///unused.db"))
    assert result.returncode == 0, result.stderr
    for command in ("db", "serve", "worker", "demo"):
        assert f"  {command} " in result.stdout


def test_db_upgrade_creates_a_fresh_sqlite_database(tmp_path):
    path = tmp_path / "new" / "folder" / "civic.db"
    result = civic("db", "upgrade", env=civic_env(f"sqlite:///{path}"))
    assert result.returncode == 0, result.stderr
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        heads = {r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version"))}
    engine.dispose()
    assert {"tenant", "core_job", "core_audit", "gateway_client"} <= tables
    assert heads == set(ScriptDirectory.from_config(migrate.alembic_config(None)).get_heads())  # every branch


def test_demo_seeds_the_place_once_and_prints_credentials(app, database_url):
    first = civic_here("demo", database_url=database_url)  # every component's demo hook runs too
    assert first.exit_code == 0, first.output
    assert "Riverside Food Bank (food-bank)" in first.stdout
    assert "client_id=demo-food-bank  client_secret=demo-food-bank-secret" in first.stdout
    second = civic_here("demo", database_url=database_url)
    assert second.exit_code == 0, second.output
    assert second.stdout == first.stdout
    with app.extensions["civic.engine"].connect() as conn:
        slugs = [r[0] for r in conn.execute(sa.text("SELECT slug FROM tenant"))]
        clients = [r[0] for r in conn.execute(sa.text("SELECT client_id FROM gateway_client"))]
    assert sorted(slugs) == sorted(DEMO_SLUGS)
    assert sorted(clients) == sorted(f"demo-{slug}" for slug in DEMO_SLUGS)


def test_the_demo_credentials_work(app, client, database_url):
    assert civic_here("demo", database_url=database_url, CIVIC_COMPONENTS="").exit_code == 0
    token = client.post("/oauth/token", data={"grant_type": "client_credentials", "scope": "platform:admin"},
                        auth=("demo-platform-steward", "demo-platform-steward-secret"))
    assert token.status_code == 200, token.get_json()
    listed = client.get("/v1/admin/tenants", headers={"Authorization": f"Bearer {token.get_json()['access_token']}"})
    assert {t["slug"] for t in listed.get_json()["items"]} == DEMO_SLUGS


def test_demo_refuses_production(app):
    import pytest

    from civic.demo import seed

    app.config["ENV"] = "production"
    with app.app_context(), pytest.raises(RuntimeError, match="never seeded in production"):
        seed()


def test_serve_starts_and_answers(live_server):
    import requests

    server = live_server()
    assert requests.get(server.url + "/readyz", timeout=10).json() == {"status": "ok", "database": "ok"}


def test_worker_once_runs_the_due_jobs_and_exits(app, database_url):
    from civic.core import jobs
    from civic.core.db import session, unit_of_work

    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        job_id = jobs.enqueue("core.noop", {}).id
    result = civic_here("worker", "--once", database_url=database_url)
    assert result.exit_code == 0, result.output
    with app.app_context(), place_wide("tests.inspection"):
        job = session.get(jobs.Job, job_id)
        assert (job.status, job.attempts) == ("done", 1)
