"""Every error the app can return is problem+json with a stable code, and nothing is written."""
import pytest

from tests.conftest import BACKEND, config_for
from tests.core.conftest import assert_problem, count

TENANT = {"slug": "food-bank", "name": "Food Bank", "kind": "voluntary"}


@pytest.fixture
def nothing_written(app):
    """Fails the test if any error below left a tenant or an audit entry behind."""
    before = count(app, "tenant"), count(app, "core_audit")
    yield
    assert (count(app, "tenant"), count(app, "core_audit")) == before


def test_unknown_url_is_a_404_problem(client, nothing_written):
    body = assert_problem(client.get("/v1/no-such-thing"), 404, "not_found")
    assert body["type"].endswith("/not_found") and body["title"]


def test_wrong_method_is_a_405_problem_with_allow(client, nothing_written):
    response = client.delete("/v1/admin/tenants")
    assert_problem(response, 405, "method_not_allowed")
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}


@pytest.fixture
def app_config():
    return {"MAX_CONTENT_LENGTH": 4096}


def test_a_body_over_the_limit_is_a_413_problem(client, steward, nothing_written):
    big = {**TENANT, "reference": "x" * 5000}
    assert_problem(client.post("/v1/admin/tenants", json=big, headers=steward), 413, "body_too_large")


def test_a_body_that_is_not_json_is_a_415_problem(client, steward, nothing_written):
    response = client.post("/v1/admin/tenants", data="slug=food-bank&name=Food", headers=steward,
                           content_type="application/x-www-form-urlencoded")
    assert_problem(response, 415, "unsupported_media_type")


def test_malformed_json_is_a_400_problem(client, steward, nothing_written):
    response = client.post("/v1/admin/tenants", data='{"slug": "food-bank", ', headers=steward,
                           content_type="application/json")
    assert_problem(response, 400, "malformed_json")


@pytest.mark.parametrize("field, value", [("colour", "red"), ("id", "4c4b4a0e-8f0b-4c39-9f55-0c0b8e0c1a11"),
                                          ("status", "suspended"), ("created_at", "2026-01-01T00:00:00Z")])
def test_unknown_and_read_only_fields_are_a_422_problem_naming_the_field(client, steward, nothing_written, field, value):
    response = client.post("/v1/admin/tenants", json={**TENANT, field: value}, headers=steward)
    body = assert_problem(response, 422, "validation_failed")
    assert list(body["errors"]) == [field]


def test_an_invalid_value_is_a_422_problem_by_field(client, steward, nothing_written):
    body = assert_problem(client.post("/v1/admin/tenants", json={**TENANT, "slug": "Not A Slug", "kind": "bank"},
                                      headers=steward), 422, "validation_failed")
    assert set(body["errors"]) == {"slug", "kind"}


def test_no_token_is_a_401_problem(client, nothing_written):
    response = client.post("/v1/admin/tenants", json=TENANT)
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_bad_token_is_a_401_problem(client, nothing_written):
    assert_problem(client.get("/v1/admin/tenants", headers={"Authorization": "Bearer nope"}), 401, "unauthenticated")


def test_a_token_without_the_scope_is_a_403_problem(app, client, make):
    headers = make.headers(make.tenant(), "booking:read")
    tenants = count(app, "tenant")
    assert_problem(client.post("/v1/admin/tenants", json=TENANT, headers=headers), 403, "insufficient_scope")
    assert count(app, "tenant") == tenants


def test_a_crash_is_a_500_problem_without_a_stack_trace(app_with_route):
    from civic.core import audit
    from civic.core.auth import public

    @public
    def explode():
        audit.record("boom.started", tenant_id=None, subject_type="test")
        raise RuntimeError("secret internals: password=hunter2")

    app = app_with_route("/v1/boom", explode, methods=["POST"])
    response = app.test_client().post("/v1/boom", json={})
    body = assert_problem(response, 500, "internal_error")
    assert "hunter2" not in response.get_data(as_text=True) and "RuntimeError" not in response.get_data(as_text=True)
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert count(app, "core_audit") == 0


def unreachable_database(tmp_path) -> str:
    if BACKEND == "postgres":
        return "postgresql+psycopg://postgres@127.0.0.1:1/civic?connect_timeout=2"
    return f"sqlite:///{tmp_path}/missing-folder/civic.db"


def test_an_unreachable_database_is_a_503_problem_and_readyz_says_so(tmp_path):
    from civic.app import create_app

    app = create_app(config_for(unreachable_database(tmp_path)))
    client = app.test_client()
    assert client.get("/healthz").status_code == 200  # the process itself is alive
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["database"] == "unreachable"
    response = client.get("/v1/admin/tenants", headers={"Authorization": "Bearer any-token"})
    body = assert_problem(response, 503, "database_unavailable")
    assert response.headers["Retry-After"]
    assert "psycopg" not in str(body) and "sqlite3" not in str(body)
    response = client.post("/v1/admin/tenants", json=TENANT, headers={"Authorization": "Bearer any-token",
                                                                       "Idempotency-Key": "k1"})
    assert_problem(response, 503, "database_unavailable")
    app.extensions["civic.engine"].dispose()


def test_a_conflict_found_only_at_commit_is_a_409_problem_with_the_usual_headers(app_with_route, make):
    """The view said 201, but the database refused the commit: the caller must not be told it worked."""
    from civic.core.auth import require
    from civic.core.db import session
    from civic.core.tenancy import Tenant

    @require("platform:admin")
    def add_duplicate():
        session.add(Tenant(slug="steward-of-late", name="Duplicate"))  # not flushed: fails at commit
        return {"ok": True}, 201

    app = app_with_route("/v1/late-conflict", add_duplicate, methods=["POST"])
    headers = make.headers(make.tenant("steward-of-late"), "platform:admin")
    tenants = count(app, "tenant")
    response = app.test_client().post("/v1/late-conflict", json={}, headers={**headers, "Idempotency-Key": "late-1"})
    assert_problem(response, 409, "conflict")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Request-ID"]
    assert count(app, "tenant") == tenants
    assert count(app, "core_idempotency_key") == 0  # the key is free for a retry


def test_a_declared_code_builds_its_problem_and_cannot_be_redeclared_differently():
    import pytest as _pytest

    from civic.core.errors import REGISTRY, declare

    full = declare("test_room_full", 409, "The room is full", means="m", action="a")
    problem = full("No places left on Friday.")
    assert (problem.status, problem.code, problem.title, problem.detail) == (409, "test_room_full", "The room is full",
                                                                             "No places left on Friday.")
    assert declare("test_room_full", 409, "The room is full", means="m", action="a") is full
    with _pytest.raises(ValueError):
        declare("test_room_full", 400, "Other", means="m", action="a")
    del REGISTRY["test_room_full"]
