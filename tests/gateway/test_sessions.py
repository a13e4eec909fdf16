"""Staff sign-in sessions end: on sign-out, password reset, disable, role change, and after a fixed lifetime."""
import time

import pytest

from tests.gateway.helpers import authorize_url, csrf_of, pkce

REDIRECT = "https://staff.example.org/callback"
PASSWORD = "correct horse battery"
EMAIL = "casey@example.org"


@pytest.fixture
def setup(make):
    tenant = make.tenant("session-org")
    app_client, _ = make.client(tenant, ["booking:read"], redirect_uris=[REDIRECT])
    user = make.user(tenant, email=EMAIL, role="caseworker", password=PASSWORD)
    _, challenge = pkce()
    return tenant, user, authorize_url(app_client.client_id, REDIRECT, challenge)


def sign_in(http, url) -> str:
    """Sign in through the page; returns the consent page's CSRF token."""
    csrf = csrf_of(http.get(url).get_data(as_text=True))
    consent = http.post(url, data={"csrf": csrf, "action": "signin", "email": EMAIL, "password": PASSWORD})
    assert consent.status_code == 200 and 'id="approve"' in consent.get_data(as_text=True)
    return csrf_of(consent.get_data(as_text=True))


def assert_session_ended(http, url, saved_cookie: str, csrf: str) -> None:
    """A saved cookie neither shows the consent page nor approves."""
    http.set_cookie("session", saved_cookie)
    page = http.get(url)
    assert page.status_code == 200 and 'id="approve"' not in page.get_data(as_text=True)
    assert "Sign in to" in page.get_data(as_text=True)
    http.set_cookie("session", saved_cookie)
    approved = http.post(url, data={"csrf": csrf, "action": "approve"})
    assert approved.status_code == 400 and "Location" not in approved.headers
    assert "Please sign in first." in approved.get_data(as_text=True)


def test_a_signed_in_session_reaches_the_consent_page_again(client, setup):
    _, _, url = setup
    sign_in(client, url)
    assert 'id="approve"' in client.get(url).get_data(as_text=True)


def test_sign_out_ends_the_session_even_for_a_saved_cookie(client, setup):
    _, _, url = setup
    csrf = sign_in(client, url)
    saved = client.get_cookie("session").value
    signed_out = client.post(url, data={"csrf": csrf, "action": "signout"})
    assert signed_out.status_code == 200 and "Sign in to" in signed_out.get_data(as_text=True)
    assert_session_ended(client, url, saved, csrf)


def test_a_password_reset_ends_the_session(client, make, setup):
    tenant, user, url = setup
    csrf = sign_in(client, url)
    saved = client.get_cookie("session").value
    admin = make.headers(tenant, "clients:manage")
    assert client.post(f"/v1/admin/users/{user.id}/reset-password", json={}, headers=admin).status_code == 200
    assert_session_ended(client, url, saved, csrf)


def test_disabling_the_user_ends_the_session_and_reenabling_does_not_revive_it(client, make, setup):
    tenant, user, url = setup
    csrf = sign_in(client, url)
    saved = client.get_cookie("session").value
    admin = make.headers(tenant, "clients:manage")
    assert client.patch(f"/v1/admin/users/{user.id}", json={"status": "disabled"}, headers=admin).status_code == 200
    assert client.patch(f"/v1/admin/users/{user.id}", json={"status": "active"}, headers=admin).status_code == 200
    assert_session_ended(client, url, saved, csrf)


def test_a_role_change_ends_the_session(client, make, setup):
    tenant, user, url = setup
    csrf = sign_in(client, url)
    saved = client.get_cookie("session").value
    admin = make.headers(tenant, "clients:manage")
    assert client.patch(f"/v1/admin/users/{user.id}", json={"role": "tenant_admin"}, headers=admin).status_code == 200
    assert_session_ended(client, url, saved, csrf)


def test_a_rename_does_not_end_the_session(client, make, setup):
    tenant, user, url = setup
    sign_in(client, url)
    admin = make.headers(tenant, "clients:manage")
    assert client.patch(f"/v1/admin/users/{user.id}", json={"name": "Casey Jones"}, headers=admin).status_code == 200
    assert 'id="approve"' in client.get(url).get_data(as_text=True)


def test_a_session_older_than_its_lifetime_has_ended(app, client, setup):
    """A cookie signed in nine hours ago (as the server would have written it then) is not accepted."""
    from civic.gateway.views import SESSION_LIFETIME

    _, _, url = setup
    csrf = sign_in(client, url)
    serializer = app.session_interface.get_signing_serializer(app)
    data = serializer.loads(client.get_cookie("session").value)
    assert set(data) >= {"user_id", "generation", "signed_in_at"}
    data["signed_in_at"] = int(time.time() - SESSION_LIFETIME.total_seconds() - 3600)
    assert_session_ended(client, url, serializer.dumps(data), csrf)
    assert SESSION_LIFETIME.total_seconds() == 8 * 3600


def test_the_session_cookie_is_http_only_and_same_site_lax(client, setup):
    _, _, url = setup
    client.get(url)
    header = client.get_cookie("session")
    assert header.http_only and header.same_site == "Lax" and not header.secure


def test_production_cookies_are_secure_and_every_answer_has_hsts(database_url, setup):
    from civic.app import create_app
    from tests.conftest import config_for

    _, _, url = setup
    keys = "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE="
    app = create_app(config_for(database_url, ENV="production", ENCRYPTION_KEYS=[keys], ISSUER="https://localhost"))
    try:
        http = app.test_client()
        page = http.get(url, base_url="https://localhost")
        cookie = page.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        for answer in (page, http.get("/healthz"), http.get("/v1/admin/clients")):
            assert "max-age=" in answer.headers.get("Strict-Transport-Security", "")
    finally:
        app.extensions["civic.engine"].dispose()


def test_development_answers_have_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


# --- login CSRF ---------------------------------------------------------------------
def test_a_cross_site_form_without_a_session_cookie_does_not_sign_anyone_in(client, setup):
    """An attacker's page posts its own credentials with a guessed CSRF value into a fresh browser."""
    _, _, url = setup
    for guess in ("-", ""):
        forged = client.post(url, data={"csrf": guess, "action": "signin", "email": EMAIL, "password": PASSWORD})
        assert forged.status_code == 400 and "form was sent from elsewhere" in forged.get_data(as_text=True)
        assert 'id="approve"' not in client.get(url).get_data(as_text=True)
        client.delete_cookie("session")


def test_signing_in_rotates_the_csrf_token(client, setup):
    _, _, url = setup
    before = csrf_of(client.get(url).get_data(as_text=True))
    after = sign_in(client, url)
    assert after != before
    stale = client.post(url, data={"csrf": before, "action": "approve"})
    assert stale.status_code == 400 and "Location" not in stale.headers


def test_a_csrf_value_that_is_not_ascii_is_refused_not_a_500(client, setup):
    _, _, url = setup
    client.get(url)
    page = client.post(url, data={"csrf": "é" * 43, "action": "signin", "email": EMAIL, "password": PASSWORD})
    assert page.status_code == 400 and "form was sent from elsewhere" in page.get_data(as_text=True)
