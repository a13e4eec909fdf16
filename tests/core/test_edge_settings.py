"""The settings between the platform and the network: issuer, metrics, default secret, request ids."""
import logging
from pathlib import Path

import pytest

from civic import config
from civic.core.auth import PUBLIC_ATTR, SCOPES_ATTR
from civic.core.crypto import new_key
from tests.conftest import TEST_SECRET, free_port
from tests.core.conftest import civic, civic_env
from tests.core.test_app_config import clear_civic_env

EDGE_SETTINGS = ["RATELIMIT_ANONYMOUS", "PROXY_X_FOR", "PROXY_X_PROTO", "PROXY_X_HOST", "ALLOWED_HOSTS",
                 "ISSUER", "METRICS_PUBLIC", "METRICS_TOKEN"]
README = (Path(__file__).parent.parent.parent / "README.md").read_text()
METRICS_SECRET = "metrics-scraper-secret-0123456789abcdef"


def production(monkeypatch, database_url=None, **extra):
    clear_civic_env(monkeypatch)
    values = {"ENV": "production", "SECRET_KEY": TEST_SECRET, "ENCRYPTION_KEYS": new_key(), **extra}
    if database_url:
        values["DATABASE_URL"] = database_url
    for name, value in values.items():
        monkeypatch.setenv(f"CIVIC_{name}", value)


# --- 6: every new setting is declared and documented ------------------------------------------
@pytest.mark.parametrize("name", EDGE_SETTINGS)
def test_each_edge_setting_is_declared_and_in_the_readme_table(name):
    parse, _default, doc, _shown = config.SETTINGS[name]
    assert callable(parse) and doc.strip()
    table = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    assert f"| `CIVIC_{name}` |" in table


def test_edge_settings_are_parsed_from_the_environment(monkeypatch):
    clear_civic_env(monkeypatch)
    monkeypatch.setenv("CIVIC_PROXY_X_FOR", "2")
    monkeypatch.setenv("CIVIC_ALLOWED_HOSTS", "civic.example, api.civic.example")
    monkeypatch.setenv("CIVIC_METRICS_PUBLIC", "false")
    values = config.load()
    assert values["PROXY_X_FOR"] == 2 and values["PROXY_X_PROTO"] == 0 and values["PROXY_X_HOST"] == 0
    assert values["ALLOWED_HOSTS"] == ["civic.example", "api.civic.example"]
    assert values["METRICS_PUBLIC"] is False


# --- 2: production needs an issuer ----------------------------------------------------------
def test_production_refuses_to_start_without_an_issuer(monkeypatch):
    production(monkeypatch)
    with pytest.raises(RuntimeError, match="CIVIC_ISSUER"):
        config.load()


def test_production_allows_only_the_issuers_host_by_default(monkeypatch, database_url):
    from civic.app import create_app

    production(monkeypatch, database_url, ISSUER="https://civic.example")
    app = create_app()
    client = app.test_client()
    assert client.get("/v1/whoami", headers={"Host": "evil.example"}).json["code"] == "host_not_allowed"
    assert client.get("/v1/whoami", headers={"Host": "civic.example"}).status_code == 401
    assert client.get("/healthz", headers={"Host": "10.0.0.7:8000"}).status_code == 200  # probes use addresses
    app.extensions["civic.engine"].dispose()


# --- 3: metrics ---------------------------------------------------------------------------
def test_metrics_are_public_by_default_outside_production(monkeypatch):
    clear_civic_env(monkeypatch)
    assert config.load()["METRICS_PUBLIC"] is True
    assert config.load({"ENV": "test"})["METRICS_PUBLIC"] is True


def test_metrics_are_not_public_in_production(monkeypatch, database_url):
    from civic.app import create_app

    production(monkeypatch, database_url, ISSUER="https://civic.example")
    assert config.load()["METRICS_PUBLIC"] is False
    app = create_app()
    answer = app.test_client().get("/metrics", headers={"Host": "civic.example"})
    assert answer.status_code == 401 and answer.mimetype == "application/problem+json"
    app.extensions["civic.engine"].dispose()


@pytest.fixture
def app_config():
    return {"METRICS_PUBLIC": False, "METRICS_TOKEN": METRICS_SECRET}


def test_private_metrics_need_a_stewards_token_or_the_metrics_secret(app, client, make):
    view = app.view_functions["health.metrics"]
    assert getattr(view, SCOPES_ATTR, None) and not getattr(view, PUBLIC_ATTR, False)  # protected, not public
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong-secret"}).status_code == 401
    assert client.get("/metrics", headers=make.headers(make.tenant(), "booking:read")).status_code == 403
    steward = client.get("/metrics", headers=make.headers(make.tenant(kind="council"), "platform:admin"))
    assert steward.status_code == 200 and b"civic_http_requests_total" in steward.data
    scraper = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_SECRET}"})
    assert scraper.status_code == 200 and b"civic_http_requests_total" in scraper.data


def test_public_metrics_stay_on_the_public_list(new_app):
    app = new_app(METRICS_PUBLIC=True)
    assert getattr(app.view_functions["health.metrics"], PUBLIC_ATTR, False)
    assert app.test_client().get("/metrics").status_code == 200


# --- 4: the well-known development secret ---------------------------------------------------------
def test_the_default_secret_is_warned_about_at_start(monkeypatch, database_url, caplog):
    from civic.app import create_app

    clear_civic_env(monkeypatch)
    monkeypatch.setenv("CIVIC_DATABASE_URL", database_url)
    with caplog.at_level(logging.WARNING):
        app = create_app()
    assert any("CIVIC_SECRET_KEY" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    app.extensions["civic.engine"].dispose()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        app = create_app({"SECRET_KEY": TEST_SECRET})
    assert not any("CIVIC_SECRET_KEY" in r.getMessage() for r in caplog.records)
    app.extensions["civic.engine"].dispose()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_serve_refuses_a_public_address_with_the_default_secret(database_url, host):
    env = civic_env(database_url, CIVIC_ENV="development")
    del env["CIVIC_SECRET_KEY"]
    try:
        result = civic("serve", "--host", host, "--port", str(free_port()), env=env, timeout=30)
    except Exception as exc:  # it started serving instead of refusing
        pytest.fail(f"civic serve --host {host} did not refuse: {exc}")
    assert result.returncode != 0
    assert "CIVIC_SECRET_KEY" in result.stderr


def test_serve_on_loopback_with_the_default_secret_warns(live_server):
    server = live_server(env={"CIVIC_ENV": "development", "CIVIC_SECRET_KEY": config.DEFAULT_SECRET})
    assert "CIVIC_SECRET_KEY" in server.logs()


# --- 5: request ids ---------------------------------------------------------------------------
def test_a_callers_request_id_is_never_the_platforms(client, make, steward):
    app_client, _ = make.client(make.tenant(), ["booking:read"])
    sent = {**steward, "X-Request-ID": "chosen-by-the-caller"}
    answers = [client.patch(f"/v1/admin/clients/{app_client.client_id}", json={"name": name}, headers=sent)
               for name in ("First name", "Second name")]
    assert [a.status_code for a in answers] == [200, 200]
    ids = [a.headers["X-Request-ID"] for a in answers]
    assert len(set(ids)) == 2 and "chosen-by-the-caller" not in ids
    entries = client.get("/v1/admin/audit", headers=steward).json["items"]
    audited = [e["request_id"] for e in entries if e["action"] == "client.updated"]
    assert sorted(audited) == sorted(ids)
