"""The must-reject suite: every way in that should not work, doesn't."""
import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from tests.gateway.helpers import (authorize_url, basic, bearer, client_credentials, code_from, pkce,
                                   sign_in_and_approve)
from civic.core.tenancy import place_wide

REDIRECT = "https://staff.example.org/callback"
PASSWORD = "correct horse battery"


@pytest.fixture
def org(make):
    tenant = make.tenant("org-a")
    app_client, shown = make.client(tenant, ["booking:read", "clients:manage"], redirect_uris=[REDIRECT])
    make.user(tenant, email="amy@example.org", role="tenant_admin", password=PASSWORD)
    return tenant, app_client, shown["client_secret"]


def token_of(http, app_client, secret, scope=None):
    response = client_credentials(http, app_client.client_id, secret, scope)
    assert response.status_code == 200, response.json
    return response.json["access_token"]


def assert_unauthenticated(response):
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert "Bearer" in response.headers["WWW-Authenticate"]


def run_db(app, statement):
    from civic.core.db import unit_of_work

    with app.app_context(), place_wide("tests.inspection"), unit_of_work() as s:
        s.execute(statement)


# --- client authentication ---------------------------------------------------------
@pytest.mark.parametrize("secret", ["cs_wrong", ""], ids=["wrong-secret", "empty-secret"])
def test_wrong_or_missing_secret(client, org, secret):
    _, app_client, _ = org
    response = client_credentials(client, app_client.client_id, secret)
    assert response.status_code == 401 and response.json["error"] == "invalid_client"


def test_no_client_authentication_at_all(client, org):
    response = client.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert response.status_code in (400, 401) and response.json["error"] in ("invalid_client", "invalid_request")


def test_unknown_client(client, org):
    assert client_credentials(client, "cl_nobody", "cs_nothing").status_code == 401


def test_old_secret_after_the_grace_period(client, org, steward):
    _, app_client, secret = org
    client.post(f"/v1/admin/clients/{app_client.client_id}/rotate", json={"grace_seconds": 0}, headers=steward)
    assert client_credentials(client, app_client.client_id, secret).status_code == 401


def test_revoked_client_cannot_get_a_token(client, org, steward):
    _, app_client, secret = org
    client.post(f"/v1/admin/clients/{app_client.client_id}/revoke", headers=steward)
    assert client_credentials(client, app_client.client_id, secret).status_code == 401


def test_suspended_tenant_cannot_get_a_token(client, org, steward):
    _, app_client, secret = org
    client.post("/v1/admin/tenants/org-a/suspend", headers=steward)
    assert client_credentials(client, app_client.client_id, secret).status_code == 401


def test_password_grant_is_not_supported(client, org):
    _, app_client, secret = org
    response = client.post("/oauth/token", data={"grant_type": "password", "username": "amy@example.org",
                                                 "password": PASSWORD}, headers=basic(app_client.client_id, secret))
    assert response.status_code == 400 and response.json["error"] == "unsupported_grant_type"


def test_scope_the_client_was_not_given(client, org):
    _, app_client, secret = org
    response = client_credentials(client, app_client.client_id, secret, scope="platform:admin")
    assert response.status_code == 400 and response.json["error"] == "invalid_scope"


def test_public_client_cannot_use_client_credentials(client, make):
    tenant = make.tenant()
    public, _ = make.client(tenant, ["booking:read"], confidential=False, redirect_uris=[REDIRECT])
    response = client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": public.client_id})
    assert response.status_code in (400, 401)
    assert "access_token" not in response.json


# --- bearer tokens -------------------------------------------------------------------
def test_no_token(client, org):
    assert_unauthenticated(client.get("/v1/admin/clients"))


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer not-a-token", "Basic abc", "bearer at_" + "x" * 43,
                                    "Token abc"])
def test_malformed_or_unknown_token(client, org, header):
    assert_unauthenticated(client.get("/v1/admin/clients", headers={"Authorization": header}))


def test_expired_token(app, client, org):
    from civic.gateway.models import Token

    _, app_client, secret = org
    token = token_of(client, app_client, secret)
    run_db(app, sa.update(Token).values(expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))
    response = client.get("/v1/admin/clients", headers=bearer(token))
    assert_unauthenticated(response)
    assert "expired" in response.json["detail"]


def test_token_revoked_through_the_revocation_endpoint(client, org):
    _, app_client, secret = org
    token = token_of(client, app_client, secret)
    revoked = client.post("/oauth/revoke", data={"token": token}, headers=basic(app_client.client_id, secret))
    assert revoked.status_code == 200
    assert_unauthenticated(client.get("/v1/admin/clients", headers=bearer(token)))


def test_revoked_clients_existing_tokens(client, org, steward):
    _, app_client, secret = org
    token = token_of(client, app_client, secret)
    client.post(f"/v1/admin/clients/{app_client.client_id}/revoke", headers=steward)
    assert_unauthenticated(client.get("/v1/admin/clients", headers=bearer(token)))


def test_suspended_tenants_existing_tokens(client, org, steward):
    _, app_client, secret = org
    token = token_of(client, app_client, secret)
    client.post("/v1/admin/tenants/org-a/suspend", headers=steward)
    assert_unauthenticated(client.get("/v1/admin/clients", headers=bearer(token)))


def test_missing_scope_is_403(client, org):
    _, app_client, secret = org
    token = token_of(client, app_client, secret, scope="booking:read")
    response = client.get("/v1/admin/clients", headers=bearer(token))
    assert response.status_code == 403 and response.json["code"] == "insufficient_scope"


def test_tenant_admin_cannot_reach_steward_routes(client, org):
    _, app_client, secret = org
    response = client.get("/v1/admin/tenants", headers=bearer(token_of(client, app_client, secret)))
    assert response.status_code == 403


# --- another tenant's objects ------------------------------------------------------------
@pytest.mark.parametrize("method,suffix", [("get", ""), ("patch", ""), ("post", "/rotate"), ("post", "/revoke")])
def test_tenant_admin_cannot_touch_another_tenants_client(client, make, org, method, suffix):
    _, app_client, secret = org
    other = make.tenant("org-b")
    theirs, their_shown = make.client(other, ["booking:read"])
    kwargs = {"json": {"name": "hijacked"}} if method == "patch" else ({"json": {}} if suffix == "/rotate" else {})
    response = getattr(client, method)(f"/v1/admin/clients/{theirs.client_id}{suffix}",
                                       headers=bearer(token_of(client, app_client, secret)), **kwargs)
    assert response.status_code == 404 and response.json["code"] == "not_found"
    assert client_credentials(client, theirs.client_id, their_shown["client_secret"]).status_code == 200


def test_tenant_admin_cannot_create_a_client_for_another_tenant(client, make, org):
    _, app_client, secret = org
    make.tenant("org-b")
    response = client.post("/v1/admin/clients", json={"tenant": "org-b", "name": "x", "scopes": ["booking:read"]},
                           headers=bearer(token_of(client, app_client, secret)))
    assert response.status_code == 404


def test_tenant_admin_lists_only_their_own_clients(client, make, org):
    _, app_client, secret = org
    make.client(make.tenant("org-b"), ["booking:read"])
    listed = client.get("/v1/admin/clients", headers=bearer(token_of(client, app_client, secret))).json
    assert [c["client_id"] for c in listed["items"]] == [app_client.client_id]


# --- the authorization endpoint -------------------------------------------------------------
@pytest.mark.parametrize("redirect", [
    REDIRECT + "/", REDIRECT.upper().replace("HTTPS", "https"), REDIRECT + "?extra=1", REDIRECT.replace("https", "http"),
    "https://evil.example.com/callback", "https://staff.example.org.evil.example.com/callback",
], ids=["trailing-slash", "case", "extra-query", "http", "other-host", "suffix-host"])
def test_redirect_uri_must_match_exactly(client, org, redirect):
    _, app_client, _ = org
    _, challenge = pkce()
    response = client.get(authorize_url(app_client.client_id, redirect, challenge))
    assert response.status_code == 400 and "Location" not in response.headers
    assert "not valid" in response.get_data(as_text=True)


@pytest.mark.parametrize("challenge,method", [("plain-challenge-" + "x" * 40, "plain"), (None, None), (None, "S256"),
                                              ("c" * 43, None)],
                         ids=["plain", "missing-challenge", "method-without-challenge", "challenge-without-method"])
def test_pkce_s256_is_required(client, org, challenge, method):
    _, app_client, _ = org
    response = client.get(authorize_url(app_client.client_id, REDIRECT, challenge, method=method))
    assert response.status_code == 400
    assert "code=" not in response.headers.get("Location", "")


def approved_code(client, app_client, challenge):
    approved = sign_in_and_approve(client, authorize_url(app_client.client_id, REDIRECT, challenge), "amy@example.org", PASSWORD)
    return code_from(approved)


def redeem(client, app_client, secret, code, verifier):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    if verifier is not None:
        data["code_verifier"] = verifier
    return client.post("/oauth/token", data=data, headers=basic(app_client.client_id, secret))


def test_wrong_verifier(client, org):
    _, app_client, secret = org
    _, challenge = pkce()
    other_verifier, _ = pkce()
    response = redeem(client, app_client, secret, approved_code(client, app_client, challenge), other_verifier)
    assert response.status_code == 400 and response.json["error"] == "invalid_grant"


def test_missing_verifier(client, org):
    _, app_client, secret = org
    _, challenge = pkce()
    response = redeem(client, app_client, secret, approved_code(client, app_client, challenge), None)
    assert response.status_code == 400 and "access_token" not in response.json


def test_verifier_without_challenge(app, client, org):
    """A code stored without a challenge (it cannot be made through /authorize) still never redeems."""
    from civic.gateway.models import AuthorizationCode, StaffUser, digest

    tenant, app_client, secret = org
    with app.app_context(), place_wide("tests.inspection"):
        from civic.core.db import session, unit_of_work

        with unit_of_work():
            user = session.scalars(sa.select(StaffUser)).first()
            session.add(AuthorizationCode(code_hash=digest("code-without-challenge"), tenant_id=tenant.id,
                                          client_pk=app_client.id, user_id=user.id, redirect_uri=REDIRECT, scope="",
                                          code_challenge="", code_challenge_method="",
                                          expires_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)))
    verifier, _ = pkce()
    response = redeem(client, app_client, secret, "code-without-challenge", verifier)
    assert response.status_code == 400 and "access_token" not in response.json


def test_code_reuse(client, org):
    _, app_client, secret = org
    verifier, challenge = pkce()
    code = approved_code(client, app_client, challenge)
    assert redeem(client, app_client, secret, code, verifier).status_code == 200
    assert redeem(client, app_client, secret, code, verifier).status_code == 400


def test_expired_code(app, client, org):
    from civic.gateway.models import AuthorizationCode

    _, app_client, secret = org
    verifier, challenge = pkce()
    code = approved_code(client, app_client, challenge)
    run_db(app, sa.update(AuthorizationCode).values(expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))
    assert redeem(client, app_client, secret, code, verifier).status_code == 400


def test_code_of_another_client(client, make, org):
    tenant, app_client, _ = org
    thief, thief_shown = make.client(tenant, ["booking:read"], redirect_uris=[REDIRECT])
    verifier, challenge = pkce()
    code = approved_code(client, app_client, challenge)
    assert redeem(client, thief, thief_shown["client_secret"], code, verifier).status_code == 400


def test_refresh_token_reuse(client, org):
    _, app_client, secret = org
    verifier, challenge = pkce()
    tokens = redeem(client, app_client, secret, approved_code(client, app_client, challenge), verifier).json
    data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert client.post("/oauth/token", data=data, headers=basic(app_client.client_id, secret)).status_code == 200
    assert client.post("/oauth/token", data=data, headers=basic(app_client.client_id, secret)).status_code == 400


def test_introspection_by_a_client_not_allowed_to(client, org):
    _, app_client, secret = org
    token = token_of(client, app_client, secret)
    response = client.post("/oauth/introspect", data={"token": token}, headers=basic(app_client.client_id, secret))
    assert response.status_code == 403 and response.json["code"] == "introspection_not_allowed"
    assert "active" not in response.json


def test_introspection_of_another_tenants_token_says_inactive(client, make, org):
    _, app_client, secret = org
    other = make.tenant("org-b")
    inspector, inspector_shown = make.client(other, ["booking:read"], can_introspect=True)
    token = token_of(client, app_client, secret)
    response = client.post("/oauth/introspect", data={"token": token},
                           headers=basic(inspector.client_id, inspector_shown["client_secret"]))
    assert response.status_code == 200 and response.json == {"active": False}


def test_unknown_tenant_slug_is_404(client, steward):
    assert client.get(f"/v1/admin/tenants/{uuid.uuid4()}", headers=steward).status_code == 404
    assert client.get("/v1/admin/tenants/no-such-org", headers=steward).status_code == 404
