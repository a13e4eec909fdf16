"""A staff user's role change or disabling reaches every token of theirs at once, refresh included."""
from civic.core.tenancy import place_wide
from tests.gateway.helpers import authorize_url, basic, bearer, code_from, pkce, sign_in_and_approve

REDIRECT = "https://staff.example.org/callback"
PASSWORD = "correct horse battery"
SCOPES = ["booking:read", "booking:write"]


def signed_in(client, make, role="caseworker"):
    """A staff app, a person of `role` signed in through it, and their token response."""
    tenant = make.tenant()
    app_client, shown = make.client(tenant, SCOPES, redirect_uris=[REDIRECT])
    user = make.user(tenant, email="casey@example.org", role=role, password=PASSWORD)
    verifier, challenge = pkce()
    approved = sign_in_and_approve(client, authorize_url(app_client.client_id, REDIRECT, challenge, scope=" ".join(SCOPES)),
                                   "casey@example.org", PASSWORD)
    tokens = client.post("/oauth/token", data={"grant_type": "authorization_code", "code": code_from(approved),
                                               "redirect_uri": REDIRECT, "code_verifier": verifier},
                         headers=basic(app_client.client_id, shown["client_secret"])).json
    return tenant, app_client, shown["client_secret"], user, tokens


def refresh(client, app_client, secret, refresh_token):
    return client.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                       headers=basic(app_client.client_id, secret))


def test_a_demoted_caseworker_loses_write_at_once(client, make):
    tenant, _, _, user, tokens = signed_in(client, make)
    auth = bearer(tokens["access_token"])
    assert client.get("/v1/whoami", headers=auth).json["scopes"] == SCOPES
    admin = make.headers(tenant, "clients:manage")
    assert client.patch(f"/v1/admin/users/{user.id}", json={"role": "viewer"}, headers=admin).status_code == 200
    assert client.get("/v1/whoami", headers=auth).json["scopes"] == ["booking:read"]
    refused = client.post("/v1/booking/resources", json={"name": "Hall"}, headers=auth)
    assert refused.status_code == 403 and refused.json["code"] == "insufficient_scope"


def test_refresh_gives_only_what_the_current_role_allows(client, make):
    tenant, app_client, secret, user, tokens = signed_in(client, make)
    admin = make.headers(tenant, "clients:manage")
    client.patch(f"/v1/admin/users/{user.id}", json={"role": "viewer"}, headers=admin)
    refreshed = refresh(client, app_client, secret, tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.json
    assert refreshed.json["scope"] == "booking:read"
    # Promoting back does not widen beyond what the person first consented to.
    client.patch(f"/v1/admin/users/{user.id}", json={"role": "tenant_admin"}, headers=admin)
    again = refresh(client, app_client, secret, refreshed.json["refresh_token"]).json
    assert again["scope"] == "booking:read"


def test_refresh_cannot_restore_a_scope_taken_from_the_app(client, make, steward):
    _, app_client, secret, _, tokens = signed_in(client, make)
    client.patch(f"/v1/admin/clients/{app_client.client_id}", json={"scopes": ["booking:read"]}, headers=steward)
    assert refresh(client, app_client, secret, tokens["refresh_token"]).json["scope"] == "booking:read"


def test_a_token_of_a_disabled_user_is_refused_even_if_issued_after_the_disable(app, client, make):
    from civic.core.db import unit_of_work
    from civic.gateway import service
    from civic.gateway.models import StaffUser

    tenant, app_client, _, user, tokens = signed_in(client, make)
    admin = make.headers(tenant, "clients:manage")
    assert client.patch(f"/v1/admin/users/{user.id}", json={"status": "disabled"}, headers=admin).status_code == 200
    assert client.get("/v1/whoami", headers=bearer(tokens["access_token"])).status_code == 401
    # A refresh that read the user just before the disable committed writes its token just after it.
    with app.app_context(), place_wide("tests.inspection"), unit_of_work() as s:
        late = service.issue_token(client=app_client, scope="booking:read", user_id=s.get(StaffUser, user.id).id)
    refused = client.get("/v1/whoami", headers=bearer(late["access_token"]))
    assert refused.status_code == 401 and refused.json["code"] == "unauthenticated"
    assert client.patch(f"/v1/admin/users/{user.id}", json={"status": "active"}, headers=admin).status_code == 200
    # Re-enabling lets the late token work again: it was never the token that was wrong, the person was.
    assert client.get("/v1/whoami", headers=bearer(late["access_token"])).status_code == 200


def test_a_person_never_holds_more_than_their_role_through_any_client(client, make):
    tenant = make.tenant()
    viewer = make.user(tenant, role="viewer")
    headers = make.headers(tenant, "booking:read", "booking:write", "clients:manage", "platform:admin", user=viewer)
    assert client.get("/v1/whoami", headers=headers).json["scopes"] == ["booking:read"]
    assert client.get("/v1/admin/tenants", headers=headers).status_code == 403


def test_introspection_tells_resource_servers_the_same(client, make):
    tenant, _, _, user, tokens = signed_in(client, make)
    checker, shown = make.client(tenant, ["booking:read"], can_introspect=True)

    def introspect():
        return client.post("/oauth/introspect", data={"token": tokens["access_token"]},
                           headers=basic(checker.client_id, shown["client_secret"])).json

    assert introspect()["scope"] == "booking:read booking:write"
    admin = make.headers(tenant, "clients:manage")
    client.patch(f"/v1/admin/users/{user.id}", json={"role": "viewer"}, headers=admin)
    assert introspect()["scope"] == "booking:read"
    client.patch(f"/v1/admin/users/{user.id}", json={"status": "disabled"}, headers=admin)
    assert introspect()["active"] is False


def test_checking_a_persons_token_is_one_query(app, make):
    import sqlalchemy as sa

    from civic.gateway import service

    tenant = make.tenant()
    token = make.token(tenant, "booking:read", user=make.user(tenant, role="viewer"))
    statements = []
    engine = app.extensions["civic.engine"]
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    with app.app_context():
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            principal = service.principal_for(token)
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
    assert principal.scopes == {"booking:read"}
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
