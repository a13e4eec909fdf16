"""One rate limit per client across every route it calls, one per organisation when set, Open311 included."""
import os

import pytest
import requests
from tests.conftest import REDIS_URL

ROUTES = ["/v1/admin/clients", "/v1/whoami", "/v1/booking/resources"]
SCOPES = ("clients:manage", "booking:read")


@pytest.fixture
def app_config():
    return {"RATELIMIT_DEFAULT": "5 per minute", "RATELIMIT_ANONYMOUS": "3 per minute"}


def spread(client, headers, count):
    """`count` calls, round-robin over three different routes."""
    return [client.get(ROUTES[i % 3], headers=headers) for i in range(count)]


def test_calls_over_three_routes_exhaust_one_budget(client, make):
    answers = spread(client, make.headers(make.tenant(), *SCOPES), 6)
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 200, 429]
    assert answers[-1].json["code"] == "rate_limited" and int(answers[-1].headers["Retry-After"]) > 0


def test_headers_count_down_across_routes(client, make):
    answers = spread(client, make.headers(make.tenant(), *SCOPES), 5)
    assert [a.headers["RateLimit-Limit"] for a in answers] == ["5"] * 5
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["4", "3", "2", "1", "0"]
    assert "Retry-After" not in answers[0].headers  # only a refusal says when to come back


def test_an_organisations_limit_covers_all_its_clients_together(client, make):
    tenant = make.tenant(rate_limit="4 per minute")
    first, second = make.headers(tenant, *SCOPES), make.headers(tenant, *SCOPES)
    answers = [client.get(ROUTES[i % 3], headers=(first, second)[i % 2]) for i in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    # The headers describe the tighter, organisation-wide budget actually being spent.
    assert [a.headers["RateLimit-Limit"] for a in answers[:4]] == ["4"] * 4
    assert [a.headers["RateLimit-Remaining"] for a in answers[:4]] == ["3", "2", "1", "0"]
    # Another organisation is not affected.
    assert client.get(ROUTES[0], headers=make.headers(make.tenant(), *SCOPES)).status_code == 200


def test_a_clients_own_override_still_applies_under_the_organisations(client, make):
    tenant = make.tenant(rate_limit="100 per minute")
    headers = make.headers(tenant, *SCOPES, rate_limit="2 per minute")
    assert [a.status_code for a in spread(client, headers, 3)] == [200, 200, 429]


def test_open311_posts_with_an_api_key_are_limited_with_the_clients_budget(client, make):
    tenant = make.tenant()
    app_client, shown = make.client(tenant, ["reporting:read", "reporting:write"], with_api_key=True)
    form = {"api_key": shown["api_key"], "service_code": "no-such-service", "description": "Hole"}
    statuses = [client.post("/open311/v2/requests.json", data=form).status_code for _ in range(5)]
    assert 429 not in statuses
    refused = client.post("/open311/v2/requests.json", data=form)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    # Its API key and its tokens are one client: one budget.
    token = make.token_for(app_client, shown["client_secret"], ["reporting:read"])
    assert client.get("/v1/whoami", headers={"Authorization": f"Bearer {token}"}).status_code == 429


def test_open311_posts_count_against_the_organisations_limit(client, make):
    tenant = make.tenant(rate_limit="3 per minute")
    _, shown = make.client(tenant, ["reporting:read", "reporting:write"], with_api_key=True)
    form = {"api_key": shown["api_key"], "service_code": "no-such-service", "description": "Hole"}
    assert [client.post("/open311/v2/requests.json", data=form).status_code != 429 for _ in range(2)] == [True, True]
    colleague = make.headers(tenant, *SCOPES)  # another client of the same organisation
    assert client.get(ROUTES[0], headers=colleague).status_code == 200
    assert client.get(ROUTES[1], headers=colleague).status_code == 429
    assert client.post("/open311/v2/requests.json", data=form).status_code == 429


def test_anonymous_open311_reads_are_limited_per_address_with_their_own_setting(client):
    statuses = [client.get("/open311/v2/services.json").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get("/open311/v2/services.json", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 200


@pytest.mark.skipif(not REDIS_URL and not os.environ.get("CIVIC_REQUIRE_ALL_TESTS"),
                    reason="set CIVIC_TEST_REDIS_URL (CI does) to test limits shared through Redis")
def test_one_budget_across_routes_holds_across_workers_through_redis(live_server, make):
    assert REDIS_URL, "CIVIC_TEST_REDIS_URL is required in CI"
    server = live_server(workers=2, env={"CIVIC_RATELIMIT_STORAGE_URL": REDIS_URL,
                                         "CIVIC_RATELIMIT_DEFAULT": "6 per minute"})
    headers = {**make.headers(make.tenant(), *SCOPES), "Connection": "close"}  # new connection: any worker
    answers = [requests.get(server.url + ROUTES[i % 3], headers=headers, timeout=30) for i in range(8)]
    assert [a.status_code for a in answers] == [200] * 6 + [429] * 2
    assert [a.headers["RateLimit-Remaining"] for a in answers[:6]] == ["5", "4", "3", "2", "1", "0"]
