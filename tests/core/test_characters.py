"""A NUL character is refused at the edge with a clear 422 (PostgreSQL cannot store one in text)."""
import sqlalchemy as sa
from civic.core.tenancy import place_wide


def tenant_count(app) -> int:
    from civic.core.db import session
    from civic.core.tenancy import Tenant

    with app.app_context(), place_wide("tests.inspection"):
        return session.scalar(sa.select(sa.func.count()).select_from(Tenant))


def test_nul_in_a_json_field_is_a_422_naming_the_field(app, client, steward):
    before = tenant_count(app)
    response = client.post("/v1/admin/tenants", json={"slug": "nul-org", "name": "Food\u0000Bank"}, headers=steward)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert response.json["code"] == "invalid_character" and response.json["errors"] == {"name": ["Contains a NUL character."]}
    assert tenant_count(app) == before


def test_nul_deep_inside_a_body_is_found(client, steward):
    response = client.post("/v1/admin/tenants", json={"slug": "deep", "name": "Deep", "metadata": {"k": "\u0000"}},
                           headers=steward)
    assert response.status_code == 422 and list(response.json["errors"]) == ["metadata.k"]


def test_a_number_that_is_not_finite_is_a_422_naming_the_field(app, client, steward):
    before = tenant_count(app)
    for raw in ('{"slug": "inf-org", "name": "Inf", "metadata": {"k": 1e400}}',
                '{"slug": "nan-org", "name": "NaN", "metadata": {"k": NaN}}'):
        response = client.post("/v1/admin/tenants", data=raw, content_type="application/json", headers=steward)
        assert response.status_code == 422 and response.json["code"] == "validation_failed", response.json
        assert list(response.json["errors"]) == ["metadata.k"]
    assert tenant_count(app) == before


def test_nul_in_a_query_string_is_a_422(client, steward):
    response = client.get("/v1/admin/tenants?status=active%00", headers=steward)
    assert response.status_code == 422 and "status" in response.json["errors"]


def test_nul_in_a_form_post_is_refused_before_any_work(client):
    response = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "a\u0000b",
                                                 "client_secret": "x"})
    assert response.status_code == 422 and response.json["code"] == "invalid_character"


def test_a_call_that_takes_no_body_refuses_fields_in_one(client, make, steward):
    make.tenant("quiet-org")
    response = client.post("/v1/admin/tenants/quiet-org/suspend", json={"status": "active"}, headers=steward)
    assert response.status_code == 422 and response.json["code"] == "unexpected_body"
    assert response.json["errors"] == {"status": ["Unknown field."]}
    assert client.get("/v1/admin/tenants/quiet-org", headers=steward).json["status"] == "active"
    assert client.post("/v1/admin/tenants/quiet-org/suspend", headers=steward).status_code == 200
    assert client.post("/v1/admin/tenants/quiet-org/reactivate", json={}, headers=steward).status_code == 200
