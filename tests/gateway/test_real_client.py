"""An independent OAuth client library (Authlib's requests client) against a real server, over HTTP.

Endpoints are discovered from the RFC 8414 metadata, as a real integrator's library would.
"""
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from tests.gateway.helpers import pkce

REDIRECT = "http://127.0.0.1:9/callback"  # never contacted: we read the redirect's Location
PASSWORD = "correct horse battery"


@pytest.fixture
def server(live_server, make):
    tenant = make.tenant("real-client-org")
    confidential, shown = make.client(tenant, ["booking:read", "clients:manage"], redirect_uris=[REDIRECT],
                                      can_introspect=True)
    make.user(tenant, email="sam@example.org", role="tenant_admin", password=PASSWORD)
    srv = live_server()
    metadata = requests.get(srv.url + "/.well-known/oauth-authorization-server", timeout=10).json()
    return srv, metadata, confidential.client_id, shown["client_secret"]


def test_metadata_lists_s256_only_and_every_endpoint(server):
    srv, metadata, _, _ = server
    assert metadata["issuer"] == srv.url
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert set(metadata["grant_types_supported"]) == {"authorization_code", "client_credentials", "refresh_token"}
    assert "password" not in metadata["grant_types_supported"]
    for key in ("authorization_endpoint", "token_endpoint", "revocation_endpoint", "introspection_endpoint"):
        assert metadata[key].startswith(srv.url)
    assert "booking:read" in metadata["scopes_supported"]


def test_client_credentials_then_call_the_api(server):
    srv, metadata, client_id, secret = server
    session = OAuth2Session(client_id, secret, scope="clients:manage")
    token = session.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    listed = session.get(srv.url + "/v1/admin/clients", timeout=10)
    assert listed.status_code == 200 and listed.json()["items"][0]["client_id"] == client_id
    assert token["expires_in"] == 3600


def sign_in(browser: requests.Session, url: str) -> str:
    """Fill the sign-in and consent forms like a person; return the redirect with the code."""
    page = browser.get(url, timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    consent = browser.post(url, data={"csrf": csrf, "action": "signin", "email": "sam@example.org",
                                      "password": PASSWORD}, timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', consent.text).group(1)
    approved = browser.post(url, data={"csrf": csrf, "action": "approve"}, allow_redirects=False, timeout=10)
    assert approved.status_code == 302
    return approved.headers["Location"]


def test_authorization_code_with_pkce_refresh_revoke_and_introspect(server):
    srv, metadata, client_id, secret = server
    verifier, _ = pkce()
    oauth = OAuth2Session(client_id, secret, scope="booking:read", redirect_uri=REDIRECT,
                          code_challenge_method="S256")
    url, state = oauth.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier)
    callback = sign_in(requests.Session(), url)
    token = oauth.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    assert token["scope"] == "booking:read" and token["refresh_token"]

    introspection = oauth.introspect_token(metadata["introspection_endpoint"], token=token["access_token"]).json()
    assert introspection["active"] is True and introspection["scope"] == "booking:read"
    assert introspection["client_id"] == client_id and introspection["tenant"] == "real-client-org"

    refreshed = oauth.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]

    revoked = oauth.revoke_token(metadata["revocation_endpoint"], token=refreshed["access_token"])
    assert revoked.status_code == 200
    after = oauth.introspect_token(metadata["introspection_endpoint"], token=refreshed["access_token"]).json()
    assert after == {"active": False}


def test_a_hundred_concurrent_redemptions_of_one_code_exactly_one_wins(live_server, make):
    tenant = make.tenant("race-org")
    app_client, shown = make.client(tenant, ["booking:read"], redirect_uris=[REDIRECT])
    make.user(tenant, email="sam@example.org", role="caseworker", password=PASSWORD)
    srv = live_server(workers=4)
    verifier, challenge = pkce()
    oauth = OAuth2Session(app_client.client_id, shown["client_secret"], redirect_uri=REDIRECT,
                          code_challenge_method="S256")
    url, _ = oauth.create_authorization_url(srv.url + "/oauth/authorize", code_verifier=verifier)
    code = re.search(r"code=([^&]+)", sign_in(requests.Session(), url)).group(1)
    start = threading.Barrier(20)

    def redeem(_):
        try:
            start.wait(timeout=10)
        except threading.BrokenBarrierError:
            pass
        response = requests.post(srv.url + "/oauth/token", auth=(app_client.client_id, shown["client_secret"]),
                                 data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                                       "code_verifier": verifier}, timeout=60)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(redeem, range(100)))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(200) == 1, statuses
    # Losers are refused: invalid_grant, or 429 when more attempts are in flight than the lock-out limit
    # allows (each attempt is counted before its credentials are checked).
    assert all(status in (400, 429) for status in statuses if status != 200), statuses
    winner = next(body for status, body in results if status == 200)
    # Later redemptions revoked what the winner got.
    check = requests.get(srv.url + "/v1/admin/clients", headers={"Authorization": f"Bearer {winner['access_token']}"},
                         timeout=10)
    assert check.status_code == 401
