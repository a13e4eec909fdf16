"""Settings come from CIVIC_* variables; production refuses unsafe ones; CIVIC_COMPONENTS picks what loads."""
import importlib.util

import pytest

from civic import config
from civic.core.crypto import new_key
from tests.conftest import TEST_SECRET

INSTALLED = [name for name in config.ALL_COMPONENTS if importlib.util.find_spec(f"civic.{name}") is not None]


def clear_civic_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("CIVIC_"):
            monkeypatch.delenv(name)


def test_settings_come_from_civic_environment_variables(monkeypatch, tmp_path):
    clear_civic_env(monkeypatch)
    monkeypatch.setenv("CIVIC_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("CIVIC_COMPONENTS", "booking, reporting")
    monkeypatch.setenv("CIVIC_MAX_CONTENT_LENGTH", "2048")
    monkeypatch.setenv("CIVIC_EMBEDDED_WORKER", "false")
    monkeypatch.setenv("CIVIC_ENV", "test")
    values = config.load()
    assert values["DATABASE_URL"] == f"sqlite:///{tmp_path}/env.db"
    assert values["COMPONENTS"] == ["booking", "reporting"]
    assert values["MAX_CONTENT_LENGTH"] == 2048
    assert values["EMBEDDED_WORKER"] is False
    assert values["ENV"] == "test"


def test_defaults_are_a_development_sqlite_file_under_instance(monkeypatch, tmp_path):
    clear_civic_env(monkeypatch)
    monkeypatch.setenv("CIVIC_INSTANCE_PATH", str(tmp_path / "instance"))
    values = config.load()
    assert values["ENV"] == "development"
    assert values["DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'civic.db'}"
    assert values["COMPONENTS"] == list(config.ALL_COMPONENTS)
    assert values["MAX_CONTENT_LENGTH"] == 1024 * 1024


def test_every_setting_is_documented():
    for name, setting in config.all_settings().items():
        assert setting.doc.strip(), f"CIVIC_{name} has no description"


@pytest.mark.parametrize("secret", [config.DEFAULT_SECRET, "short"])
def test_production_refuses_a_default_or_short_secret(monkeypatch, secret):
    clear_civic_env(monkeypatch)
    monkeypatch.setenv("CIVIC_ENV", "production")
    monkeypatch.setenv("CIVIC_ENCRYPTION_KEYS", new_key())
    if secret != config.DEFAULT_SECRET:
        monkeypatch.setenv("CIVIC_SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="CIVIC_SECRET_KEY"):
        config.load()


def test_production_refuses_to_start_without_encryption_keys(monkeypatch):
    clear_civic_env(monkeypatch)
    monkeypatch.setenv("CIVIC_ENV", "production")
    monkeypatch.setenv("CIVIC_SECRET_KEY", TEST_SECRET)
    with pytest.raises(RuntimeError, match="CIVIC_ENCRYPTION_KEYS"):
        config.load()


def test_production_starts_with_a_real_secret_keys_and_issuer(monkeypatch, database_url):
    from civic.app import create_app

    clear_civic_env(monkeypatch)
    monkeypatch.setenv("CIVIC_ENV", "production")
    monkeypatch.setenv("CIVIC_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("CIVIC_ENCRYPTION_KEYS", new_key())
    monkeypatch.setenv("CIVIC_DATABASE_URL", database_url)
    monkeypatch.setenv("CIVIC_ISSUER", "https://platform.example.org")
    app = create_app()
    assert app.config["ENV"] == "production" and not app.config["TESTING"]
    app.extensions["civic.engine"].dispose()


def test_production_refuses_encryption_keys_that_are_not_fernet_keys(monkeypatch):
    clear_civic_env(monkeypatch)
    monkeypatch.setenv("CIVIC_ENV", "production")
    monkeypatch.setenv("CIVIC_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("CIVIC_ENCRYPTION_KEYS", "not-a-fernet-key")
    with pytest.raises(RuntimeError, match="CIVIC_ENCRYPTION_KEYS"):
        config.load()


def test_unknown_components_and_environments_are_refused(monkeypatch):
    clear_civic_env(monkeypatch)
    with pytest.raises(RuntimeError, match="unknown components: bokking"):
        config.load({"COMPONENTS": ["bokking"]})
    with pytest.raises(RuntimeError, match="CIVIC_ENV"):
        config.load({"ENV": "staging"})


# --- the component registry ------------------------------------------------------------
def rules(app) -> set[str]:
    return {rule.rule for rule in app.url_map.iter_rules()}


# Routes a component serves outside /v1/<component>.
OTHER_PREFIXES = {"reporting": ("/open311/",), "privacy": ("/privacy",)}


def owned_by(component: str, paths) -> set[str]:
    return {p for p in paths if p == f"/v1/{component}" or p.startswith(f"/v1/{component}/")
            or p.startswith(OTHER_PREFIXES.get(component, ()))}


@pytest.mark.parametrize("left_out", INSTALLED)
def test_each_component_can_be_left_out_and_the_rest_still_serve(new_app, make, left_out):
    everything = new_app()
    council = make.tenant("council", kind="council")
    steward = make.headers(council, "platform:admin")
    others = [name for name in config.ALL_COMPONENTS if name != left_out]
    app = new_app(COMPONENTS=others)
    client = app.test_client()

    assert left_out not in app.extensions["civic.components"]
    assert set(app.extensions["civic.components"]) == set(INSTALLED) - {left_out}
    assert not owned_by(left_out, rules(app)), f"{left_out} routes are served although it is switched off"
    for other in INSTALLED:
        if other != left_out:
            assert owned_by(other, rules(everything)) <= rules(app), f"{other} lost routes when {left_out} was left out"
    spec = client.get("/openapi.json").get_json()
    assert not owned_by(left_out, spec["paths"])
    full_spec = everything.test_client().get("/openapi.json").get_json()
    assert {p for p in full_spec["paths"] if not owned_by(left_out, [p])} == set(spec["paths"])

    # the gateway and the core still serve
    listed = client.get("/v1/admin/tenants", headers=steward)
    assert listed.status_code == 200 and [t["slug"] for t in listed.get_json()["items"]] == ["council"]
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_with_no_components_the_gateway_and_core_still_serve(new_app, make):
    app = new_app(COMPONENTS=[])
    council = make.tenant("council", kind="council")
    headers = make.headers(council, "platform:admin")
    assert app.extensions["civic.components"] == []
    assert not [r for r in rules(app) if any(owned_by(name, [r]) for name in config.ALL_COMPONENTS)]
    assert app.test_client().get("/v1/admin/tenants", headers=headers).status_code == 200
