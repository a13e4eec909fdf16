"""A council developer's staff app signs caseworkers in: authorization code with PKCE, then refresh."""
import pytest

from tests.gateway.helpers import authorize_url, basic, bearer, code_from, csrf_of, pkce, sign_in_and_approve

REDIRECT = "https://staff.example.org/callback"
PASSWORD = "correct horse battery"


@pytest.fixture
def setup(make):
    tenant = make.tenant("housing-team", kind="housing")
    app_client, shown = make.client(tenant, ["booking:read", "booking:write", "clients:manage"],
                                    redirect_uris=[REDIRECT])
    user = make.user(tenant, email="casey@example.org", role="caseworker", password=PASSWORD)
    return tenant, app_client, shown["client_secret"], user


def exchange(http, app_client, secret, code, verifier, redirect=REDIRECT):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
    if verifier is not None:
        data["code_verifier"] = verifier
    return http.post("/oauth/token", data=data, headers=basic(app_client.client_id, secret))


def test_sign_in_consent_and_code_exchange(client, setup):
    _, app_client, secret, user = setup
    verifier, challenge = pkce()
    url = authorize_url(app_client.client_id, REDIRECT, challenge, scope="booking:read booking:write clients:manage")
    approved = sign_in_and_approve(client, url, "casey@example.org", PASSWORD)
    assert approved.status_code == 302
    assert approved.headers["Location"].startswith(REDIRECT + "?code=") and "state=xyz" in approved.headers["Location"]
    token = exchange(client, app_client, secret, code_from(approved), verifier)
    assert token.status_code == 200, token.json
    body = token.json
    # A caseworker may read and write, but cannot manage clients even if the app asks.
    assert body["scope"] == "booking:read booking:write"
    assert body["refresh_token"].startswith("rt_")
    introspected_user = client.get("/v1/admin/clients", headers=bearer(body["access_token"]))
    assert introspected_user.status_code == 403  # no clients:manage for a caseworker


def test_a_viewer_only_gets_read_scopes(client, make, setup):
    tenant, app_client, secret, _ = setup
    make.user(tenant, email="vera@example.org", role="viewer", password=PASSWORD)
    verifier, challenge = pkce()
    approved = sign_in_and_approve(client, authorize_url(app_client.client_id, REDIRECT, challenge,
                                                         scope="booking:read booking:write"), "vera@example.org", PASSWORD)
    assert exchange(client, app_client, secret, code_from(approved), verifier).json["scope"] == "booking:read"


def test_the_token_carries_the_staff_user(app, client, setup):
    from civic.core.auth import current_principal

    _, app_client, secret, user = setup
    verifier, challenge = pkce()
    approved = sign_in_and_approve(client, authorize_url(app_client.client_id, REDIRECT, challenge), "casey@example.org", PASSWORD)
    access = exchange(client, app_client, secret, code_from(approved), verifier).json["access_token"]
    with app.test_request_context(headers=bearer(access)):
        app.preprocess_request()  # the core's before_request step validates the token
        principal = current_principal()
        assert principal.user_id == user.id and principal.actor == f"user:{user.id}"


def test_deny_redirects_with_access_denied(client, setup):
    _, app_client, _, _ = setup
    _, challenge = pkce()
    url = authorize_url(app_client.client_id, REDIRECT, challenge)
    page = client.get(url)
    csrf = csrf_of(page.get_data(as_text=True))
    consent = client.post(url, data={"csrf": csrf, "action": "signin", "email": "casey@example.org", "password": PASSWORD})
    denied = client.post(url, data={"csrf": csrf_of(consent.get_data(as_text=True)), "action": "deny"})
    assert denied.status_code == 302 and "error=access_denied" in denied.headers["Location"]


def test_refresh_rotates_and_reuse_revokes_the_family(client, setup):
    _, app_client, secret, _ = setup
    verifier, challenge = pkce()
    approved = sign_in_and_approve(client, authorize_url(app_client.client_id, REDIRECT, challenge), "casey@example.org", PASSWORD)
    first = exchange(client, app_client, secret, code_from(approved), verifier).json
    refreshed = client.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
                            headers=basic(app_client.client_id, secret))
    assert refreshed.status_code == 200, refreshed.json
    second = refreshed.json
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get("/v1/admin/clients", headers=bearer(second["access_token"])).status_code == 403  # valid token, no scope
    # The old refresh token is replayed (stolen?): the whole family dies, including the new tokens.
    replay = client.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
                         headers=basic(app_client.client_id, secret))
    assert replay.status_code == 400 and replay.json["error"] == "invalid_grant"
    assert client.get("/v1/admin/clients", headers=bearer(second["access_token"])).status_code == 401
    again = client.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
                        headers=basic(app_client.client_id, secret))
    assert again.status_code == 400


def test_a_code_works_once_and_a_second_use_revokes_the_first_tokens(client, setup):
    _, app_client, secret, _ = setup
    verifier, challenge = pkce()
    approved = sign_in_and_approve(client, authorize_url(app_client.client_id, REDIRECT, challenge), "casey@example.org", PASSWORD)
    code = code_from(approved)
    first = exchange(client, app_client, secret, code, verifier)
    assert first.status_code == 200
    second = exchange(client, app_client, secret, code, verifier)
    assert second.status_code == 400 and second.json["error"] == "invalid_grant"
    assert client.get("/v1/admin/clients", headers=bearer(first.json["access_token"])).status_code == 401


def test_public_client_uses_pkce_without_a_secret(client, make):
    tenant = make.tenant("mobile-org")
    app_client, shown = make.client(tenant, ["booking:read"], confidential=False, redirect_uris=["http://127.0.0.1:8765/cb"])
    assert "client_secret" not in shown
    make.user(tenant, email="pat@example.org", password=PASSWORD)
    verifier, challenge = pkce()
    approved = sign_in_and_approve(client, authorize_url(app_client.client_id, "http://127.0.0.1:8765/cb", challenge),
                                   "pat@example.org", PASSWORD)
    token = client.post("/oauth/token", data={"grant_type": "authorization_code", "code": code_from(approved),
                                              "redirect_uri": "http://127.0.0.1:8765/cb", "client_id": app_client.client_id,
                                              "code_verifier": verifier})
    assert token.status_code == 200, token.json


def test_wrong_password_shows_a_readable_message(client, setup):
    _, app_client, _, _ = setup
    _, challenge = pkce()
    url = authorize_url(app_client.client_id, REDIRECT, challenge)
    csrf = csrf_of(client.get(url).get_data(as_text=True))
    page = client.post(url, data={"csrf": csrf, "action": "signin", "email": "casey@example.org", "password": "nope nope nope"})
    assert page.status_code == 401
    assert "The email or password is not right." in page.get_data(as_text=True)


def test_a_form_without_the_csrf_token_is_refused(client, setup):
    _, app_client, _, _ = setup
    _, challenge = pkce()
    url = authorize_url(app_client.client_id, REDIRECT, challenge)
    client.get(url)
    page = client.post(url, data={"csrf": "forged", "action": "signin", "email": "casey@example.org", "password": PASSWORD})
    assert page.status_code == 400 and "form was sent from elsewhere" in page.get_data(as_text=True)


def test_a_user_of_another_tenant_cannot_sign_in_to_this_app(client, make, setup):
    _, app_client, _, _ = setup
    other = make.tenant("other-org")
    make.user(other, email="olive@example.org", password=PASSWORD)
    _, challenge = pkce()
    url = authorize_url(app_client.client_id, REDIRECT, challenge)
    csrf = csrf_of(client.get(url).get_data(as_text=True))
    page = client.post(url, data={"csrf": csrf, "action": "signin", "email": "olive@example.org", "password": PASSWORD})
    assert page.status_code == 401
