"""Helpers for gateway tests: getting tokens the way an integrator would."""
import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlparse


def basic(client_id: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def client_credentials(http, client_id: str, secret: str, scope: str | None = None):
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    return http.post("/oauth/token", data=data, headers=basic(client_id, secret))


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def authorize_url(client_id: str, redirect_uri: str, challenge: str | None, *, method: str | None = "S256",
                  scope: str | None = None, state: str = "xyz") -> str:
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "state": state}
    if challenge is not None:
        params["code_challenge"] = challenge
    if method is not None:
        params["code_challenge_method"] = method
    if scope:
        params["scope"] = scope
    return "/oauth/authorize?" + urlencode(params)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def sign_in_and_approve(http, url: str, email: str, password: str):
    """Drive the sign-in and consent page with a Flask test client; returns the final response."""
    page = http.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)
    csrf = csrf_of(page.get_data(as_text=True))
    consent = http.post(url, data={"csrf": csrf, "action": "signin", "email": email, "password": password})
    assert consent.status_code == 200, consent.get_data(as_text=True)
    # Signing in starts a new session, with a new CSRF token on the consent page.
    return http.post(url, data={"csrf": csrf_of(consent.get_data(as_text=True)), "action": "approve"})


def code_from(response) -> str:
    location = response.headers["Location"]
    return parse_qs(urlparse(location).query)["code"][0]
