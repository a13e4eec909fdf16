"""Rate limits per client, and brute-force lock-outs on the token endpoint and the sign-in page."""
import os

import pytest

from tests.conftest import REDIS_URL
from tests.gateway.helpers import authorize_url, client_credentials, csrf_of, pkce


@pytest.fixture
def app_config():
    return {"RATELIMIT_DEFAULT": "1000 per minute", "LOGIN_MAX_FAILURES": 3}


def test_answers_carry_ratelimit_headers(client, make):
    headers = make.headers(make.tenant(), "clients:manage")
    response = client.get("/v1/admin/clients", headers=headers)
    assert response.headers["RateLimit-Limit"] == "1000"
    assert int(response.headers["RateLimit-Remaining"]) == 999
    assert 0 <= int(response.headers["RateLimit-Reset"]) <= 61  # one window, rounded up


def test_a_steward_can_lower_one_clients_limit(client, make, steward):
    tenant = make.tenant()
    app_client, shown = make.client(tenant, ["clients:manage"])
    assert client.patch(f"/v1/admin/clients/{app_client.client_id}", json={"rate_limit": "3 per minute"},
                        headers=steward).status_code == 200
    token = client_credentials(client, app_client.client_id, shown["client_secret"]).json["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    statuses = [client.get("/v1/admin/clients", headers=auth).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/v1/admin/clients", headers=auth)
    assert refused.mimetype == "application/problem+json" and refused.json["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    # Another client of the same organisation is not affected.
    assert client.get("/v1/admin/clients", headers=make.headers(tenant, "clients:manage")).status_code == 200


def test_bad_rate_limit_is_a_validation_error(client, make, steward):
    app_client, _ = make.client(make.tenant(), ["booking:read"])
    response = client.patch(f"/v1/admin/clients/{app_client.client_id}", json={"rate_limit": "lots"}, headers=steward)
    assert response.status_code == 422 and "rate_limit" in response.json["errors"]


def test_repeated_wrong_secrets_slow_down_the_client_id_briefly(client, make):
    app_client, shown = make.client(make.tenant(), ["booking:read"])
    for _ in range(2):  # from half the limit on, the next try must wait
        assert client_credentials(client, app_client.client_id, "cs_guess").status_code == 401
    locked = client_credentials(client, app_client.client_id, shown["client_secret"])
    assert locked.status_code == 429 and locked.json["code"] == "too_many_failures"
    assert int(locked.headers["Retry-After"]) > 0


def test_repeated_wrong_passwords_lock_the_sign_in(client, make):
    tenant = make.tenant()
    app_client, _ = make.client(tenant, ["booking:read"], redirect_uris=["https://app.example.org/cb"])
    make.user(tenant, email="kim@example.org", password="correct horse battery")
    _, challenge = pkce()
    url = authorize_url(app_client.client_id, "https://app.example.org/cb", challenge)
    csrf = csrf_of(client.get(url).get_data(as_text=True))
    for _ in range(3):
        client.post(url, data={"csrf": csrf, "action": "signin", "email": "kim@example.org", "password": "guess guess guess"})
    page = client.post(url, data={"csrf": csrf, "action": "signin", "email": "kim@example.org",
                                  "password": "correct horse battery"})
    assert page.status_code == 429 and "Too many failed sign-ins" in page.get_data(as_text=True)


def test_token_endpoint_has_its_own_limit(app, make):
    from civic.app import create_app  # the limit is read at start-up, so build an app with it
    from tests.conftest import config_for

    limited = create_app(config_for(app.config["DATABASE_URL"], RATELIMIT_TOKEN_ENDPOINT="2 per minute"))
    http = limited.test_client()
    app_client, shown = make.client(make.tenant(), ["booking:read"])
    statuses = [client_credentials(http, app_client.client_id, shown["client_secret"]).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited.extensions["civic.engine"].dispose()


@pytest.mark.skipif(not REDIS_URL and not os.environ.get("CIVIC_REQUIRE_ALL_TESTS"),
                    reason="set CIVIC_TEST_REDIS_URL (CI does) to test limits shared through Redis")
def test_limits_are_shared_between_processes_through_redis(database_url, make):
    """Two app instances (as two web processes would be) share one Redis counter."""
    import redis

    from civic.app import create_app
    from tests.conftest import config_for

    assert REDIS_URL, "CIVIC_TEST_REDIS_URL is required in CI"
    redis.Redis.from_url(REDIS_URL).flushdb()
    settings = config_for(database_url, RATELIMIT_STORAGE_URL=REDIS_URL, RATELIMIT_DEFAULT="4 per minute")
    first, second = create_app(settings), create_app(settings)
    headers = make.headers(make.tenant(), "clients:manage")
    statuses = [app.test_client().get("/v1/admin/clients", headers=headers).status_code
                for app in (first, second, first, second, first)]
    assert statuses == [200, 200, 200, 200, 429]
    for app in (first, second):
        app.extensions["civic.engine"].dispose()
