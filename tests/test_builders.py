"""The builders' tokens are the token endpoint's: what it refuses, a builder cannot mint either."""
import pytest

from tests.builders import BuildFailed
from tests.gateway.helpers import basic, client_credentials


def test_no_token_for_a_suspended_organisation(client, make, steward):
    tenant = make.tenant()
    suspended = client.post(f"/v1/admin/tenants/{tenant.slug}/suspend", headers=steward)
    assert suspended.status_code == 200, suspended.json
    with pytest.raises(BuildFailed, match="invalid_client"):
        make.headers(tenant, "booking:read")


def test_no_token_for_a_revoked_client_a_wrong_secret_or_a_scope_the_client_lacks(client, make, steward):
    tenant = make.tenant()
    app_client, shown = make.client(tenant, ["booking:read"])
    with pytest.raises(BuildFailed, match="invalid_scope"):
        make.token_for(app_client, shown["client_secret"], ["booking:write"])
    with pytest.raises(BuildFailed, match="invalid_client"):
        make.token_for(app_client, "cs_not-the-secret")
    assert client.post(f"/v1/admin/clients/{app_client.client_id}/revoke", headers=steward).status_code == 200
    with pytest.raises(BuildFailed, match="invalid_client"):
        make.token_for(app_client, shown["client_secret"])


def test_a_builders_token_introspects_like_one_from_the_endpoint(client, make):
    tenant = make.tenant()
    app_client, shown = make.client(tenant, ["booking:read", "booking:write"])
    checker, checker_shown = make.client(tenant, ["booking:read"], can_introspect=True)
    ours = make.token_for(app_client, shown["client_secret"])  # no scope asked: all the client's, as over HTTP
    theirs = client_credentials(client, app_client.client_id, shown["client_secret"]).json["access_token"]

    def introspect(token):
        answer = client.post("/oauth/introspect", data={"token": token},
                             headers=basic(checker.client_id, checker_shown["client_secret"])).json
        return {k: v for k, v in answer.items() if k not in ("iat", "exp")} | {"lifetime": answer["exp"] - answer["iat"]}

    assert introspect(ours) == introspect(theirs)
    assert introspect(ours)["scope"] == "booking:read booking:write" and introspect(ours)["active"] is True


def test_component_builders_make_real_objects_of_their_tenant_only(client, make):
    import datetime as dt

    from tests.booking.conftest import at, iso, next_weekday

    mine, theirs = make.tenant(), make.tenant()
    resource = make.resource(mine, capacity=2)
    start = at(next_weekday(1), "10:00")
    booking = make.booking(mine, resource, iso(start))
    category = make.category(mine, code="pothole")
    report = make.report(mine, category="pothole", description="Deep hole")
    assert (resource["capacity"], booking["resource_id"], category["code"], report["category"]) == (
        2, resource["id"], "pothole", "pothole")
    assert dt.datetime.fromisoformat(booking["start"]) == start
    reader = make.headers(theirs, "booking:read", "reporting:read")
    assert client.get(f"/v1/booking/bookings/{booking['id']}", headers=reader).status_code == 404
    assert client.get(f"/v1/reporting/reports/{report['id']}", headers=reader).status_code == 404


def test_a_persons_token_comes_from_the_authorization_code_grant(app, client, make):
    """It holds what the grant gives (the app's scopes the role allows), from a used code; none for a disabled person."""
    import sqlalchemy as sa

    from civic.core.db import session
    from civic.core.tenancy import place_wide
    from civic.gateway.models import AuthorizationCode, Token, digest

    tenant = make.tenant()
    app_client, shown = make.client(tenant, ["booking:read", "booking:write"])
    viewer = make.user(tenant, role="viewer")
    token = make.token_for(app_client, shown["client_secret"], ["booking:read", "booking:write"], user=viewer)
    assert client.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"}).json["scopes"] == ["booking:read"]
    with app.app_context(), place_wide("gateway.credentials"):
        row = session.scalars(sa.select(Token).where(Token.access_token_hash == digest(token))).one()
        code = session.get(AuthorizationCode, row.code_id)
        assert (row.user_id, row.scope, code.used_at is not None, code.code_challenge_method) == (
            viewer.id, "booking:read", True, "S256")
    admin = make.headers(tenant, "clients:manage")
    assert client.patch(f"/v1/admin/users/{viewer.id}", json={"status": "disabled"}, headers=admin).status_code == 200
    with pytest.raises(BuildFailed, match="invalid_grant"):
        make.token_for(app_client, shown["client_secret"], ["booking:read"], user=viewer)
