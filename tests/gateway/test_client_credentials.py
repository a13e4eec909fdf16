"""A voluntary group's developer gets a token with one request and calls the API with it."""
import datetime as dt

import sqlalchemy as sa

from tests.gateway.helpers import basic, bearer, client_credentials
from civic.core.tenancy import place_wide


def test_client_credentials_gives_a_token_that_works(client, make):
    tenant = make.tenant("food-bank")
    app_client, shown = make.client(tenant, ["clients:manage"])
    response = client_credentials(client, app_client.client_id, shown["client_secret"])
    assert response.status_code == 200, response.json
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["scope"] == "clients:manage"
    assert "refresh_token" not in body
    listed = client.get("/v1/admin/clients", headers=bearer(body["access_token"]))
    assert listed.status_code == 200
    assert [c["client_id"] for c in listed.json["items"]] == [app_client.client_id]


def test_secret_may_also_be_sent_in_the_form(client, make):
    tenant = make.tenant()
    app_client, shown = make.client(tenant, ["booking:read"])
    response = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": app_client.client_id,
                                                 "client_secret": shown["client_secret"]})
    assert response.status_code == 200


def test_asking_for_a_subset_of_scopes_narrows_the_token(client, make):
    tenant = make.tenant()
    app_client, shown = make.client(tenant, ["booking:read", "booking:write"])
    response = client_credentials(client, app_client.client_id, shown["client_secret"], scope="booking:read")
    assert response.json["scope"] == "booking:read"


def test_a_token_of_a_suspended_tenant_stops_working_at_once(client, make, steward):
    tenant = make.tenant("lapsed-group")
    app_client, shown = make.client(tenant, ["clients:manage"])
    token = client_credentials(client, app_client.client_id, shown["client_secret"]).json["access_token"]
    assert client.get("/v1/admin/clients", headers=bearer(token)).status_code == 200
    assert client.post("/v1/admin/tenants/lapsed-group/suspend", headers=steward).status_code == 200
    refused = client.get("/v1/admin/clients", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.mimetype == "application/problem+json" and "suspended" in refused.json["detail"]
    assert client_credentials(client, app_client.client_id, shown["client_secret"]).status_code == 401
    assert client.post("/v1/admin/tenants/lapsed-group/reactivate", headers=steward).status_code == 200
    assert client.get("/v1/admin/clients", headers=bearer(token)).status_code == 200


def test_rotation_keeps_the_old_secret_for_the_grace_period(client, make, steward):
    tenant = make.tenant()
    app_client, shown = make.client(tenant, ["booking:read"])
    rotated = client.post(f"/v1/admin/clients/{app_client.client_id}/rotate", json={}, headers=steward)
    assert rotated.status_code == 200
    new_secret = rotated.json["client_secret"]
    expires = dt.datetime.fromisoformat(rotated.json["previous_secret_expires_at"])
    assert dt.timedelta(hours=23, minutes=59) < expires - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(hours=24)
    assert client_credentials(client, app_client.client_id, shown["client_secret"]).status_code == 200
    assert client_credentials(client, app_client.client_id, new_secret).status_code == 200


def test_rotation_with_zero_grace_stops_the_old_secret_at_once(client, make, steward):
    tenant = make.tenant()
    app_client, shown = make.client(tenant, ["booking:read"])
    rotated = client.post(f"/v1/admin/clients/{app_client.client_id}/rotate", json={"grace_seconds": 0}, headers=steward)
    assert client_credentials(client, app_client.client_id, shown["client_secret"]).status_code == 401
    assert client_credentials(client, app_client.client_id, rotated.json["client_secret"]).status_code == 200


def test_old_secret_fails_after_the_grace_period(app, client, make, steward):
    from civic.core.db import unit_of_work
    from civic.gateway.models import Client

    tenant = make.tenant()
    app_client, shown = make.client(tenant, ["booking:read"])
    client.post(f"/v1/admin/clients/{app_client.client_id}/rotate", json={"grace_seconds": 60}, headers=steward)
    with app.app_context(), place_wide("tests.inspection"), unit_of_work() as s:  # a minute later
        s.execute(sa.update(Client).where(Client.id == app_client.id).values(
            previous_secret_expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))
    assert client_credentials(client, app_client.client_id, shown["client_secret"]).status_code == 401


def test_revoking_a_client_kills_its_tokens_and_its_secret(client, make, steward):
    tenant = make.tenant()
    app_client, shown = make.client(tenant, ["clients:manage"])
    token = client_credentials(client, app_client.client_id, shown["client_secret"]).json["access_token"]
    revoked = client.post(f"/v1/admin/clients/{app_client.client_id}/revoke", headers=steward)
    assert revoked.status_code == 200 and revoked.json["status"] == "revoked"
    assert client.get("/v1/admin/clients", headers=bearer(token)).status_code == 401
    assert client_credentials(client, app_client.client_id, shown["client_secret"]).status_code == 401


def test_the_secret_is_shown_once_and_stored_hashed(app, client, make, steward):
    tenant = make.tenant("hashed-org")
    created = client.post("/v1/admin/clients", json={"tenant": "hashed-org", "name": "Rota app",
                                                     "scopes": ["booking:read"], "with_api_key": True}, headers=steward)
    assert created.status_code == 201, created.json
    secret, api_key = created.json["client_secret"], created.json["api_key"]
    again = client.get(f"/v1/admin/clients/{created.json['client_id']}", headers=steward).json
    assert "client_secret" not in again and "api_key" not in again and again["has_api_key"] is True
    with app.test_request_context(), place_wide("tests.inspection"):
        from civic.core.auth import api_key_client
        from civic.core.db import session
        from civic.gateway.models import Client

        row = session.scalars(sa.select(Client).where(Client.client_id == created.json["client_id"])).one()
        assert secret not in (row.secret_hash or "") and api_key not in (row.api_key_hash or "")
        assert api_key_client(api_key).client_id == created.json["client_id"]
        assert api_key_client("ak_wrong") is None
    assert tenant.slug == "hashed-org"
    assert client_credentials(client, created.json["client_id"], secret).status_code == 200


def test_sandbox_flag_reaches_the_principal(app, make):
    from civic.core.auth import current_principal

    tenant = make.tenant()
    headers = make.headers(tenant, "booking:read", sandbox=True)
    with app.test_request_context(headers=headers):
        app.preprocess_request()  # the core's before_request step validates the token
        assert current_principal().sandbox is True


def test_token_endpoint_basic_auth_wrong_secret_is_401_problem(client, make):
    tenant = make.tenant()
    app_client, _ = make.client(tenant, ["booking:read"])
    response = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                           headers=basic(app_client.client_id, "cs_wrong"))
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["error"] == "invalid_client" and response.json["code"] == "invalid_client"


def test_whoami_tells_a_developer_what_their_token_gives(client, make):
    tenant = make.tenant("youth-club", name="Riverside Youth Club")
    response = client.get("/v1/whoami", headers=make.headers(tenant, "booking:write", "booking:read", sandbox=True))
    assert response.status_code == 200
    assert response.json == {"tenant": "youth-club", "tenant_name": "Riverside Youth Club",
                             "client_id": response.json["client_id"], "scopes": ["booking:read", "booking:write"],
                             "user_id": None, "sandbox": True}
    assert client.get("/v1/whoami").status_code == 401
