"""A caseworker signs in through the real page, in a real (headless) browser."""
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser import chromium_page
from tests.gateway.helpers import authorize_url, pkce

REDIRECT = "http://127.0.0.1:9/callback"
PASSWORD = "correct horse battery"


@pytest.fixture
def page_url(live_server, make):
    tenant = make.tenant("browser-org")
    app_client, _ = make.client(tenant, ["booking:read"], redirect_uris=[REDIRECT])
    make.user(tenant, email="casey@example.org", role="caseworker", password=PASSWORD)
    srv = live_server()
    _, challenge = pkce()
    return srv.url + authorize_url(app_client.client_id, REDIRECT, challenge)


def test_staff_user_signs_in_consents_and_is_sent_back_with_a_code(page_url):
    with chromium_page() as page:
        page.goto(page_url)
        assert page.title().startswith("Sign in")
        page.get_by_label("Email address").fill("casey@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("#approve")
        assert "casey@example.org" in page.content()
        with page.expect_request("http://127.0.0.1:9/**") as sent_back:
            page.get_by_role("button", name="Allow").click()
        query = parse_qs(urlparse(sent_back.value.url).query)
        assert query["state"] == ["xyz"] and query["code"][0]


def test_wrong_password_is_explained_on_the_page(page_url):
    with chromium_page() as page:
        page.goto(page_url)
        page.get_by_label("Email address").fill("casey@example.org")
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        alert = page.get_by_role("alert")
        assert "The email or password is not right." in alert.inner_text()
        assert page.get_by_label("Email address").input_value() == "casey@example.org"


def test_a_stale_form_is_explained_on_the_page(page_url):
    with chromium_page() as page:
        page.goto(page_url)
        page.eval_on_selector("input[name=csrf]", "el => el.value = 'stale'")
        page.get_by_label("Email address").fill("casey@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        assert "Your session expired or the form was sent from elsewhere" in page.get_by_role("alert").inner_text()
