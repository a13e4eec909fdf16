"""The documented limits hold on every route: page size, body size and request rate."""
import json

import pytest

from tests.assurance.catalogue import as_json, operations, random_values
from tests.assurance.world import body_for, url_for, values_for

BODY_LIMIT = 2048


@pytest.fixture
def app_config(request, services):
    return {**services, **getattr(request, "param", {"MAX_CONTENT_LENGTH": BODY_LIMIT})}


def list_operations(app, spec) -> list:
    """GET routes that take a `limit`, as the spec documents them."""
    return [op for op in operations(app) if op.method == "GET" and any(
        p["name"] == "limit" and p["in"] == "query" for p in (spec.operation(op) or {}).get("parameters", []))]


def assert_problem(response, status: int, code: str, context: str) -> dict:
    assert response.status_code == status, f"{context}: {response.status_code} {response.data[:200]!r}"
    assert response.mimetype == "application/problem+json", context
    body = as_json(response)
    assert body["code"] == code, f"{context}: {body}"
    return body


@pytest.mark.parametrize("limit", [0, 101])
def test_every_list_refuses_a_page_size_out_of_range(app, world, spec, limit):
    lists = list_operations(app, spec)
    for op in lists:
        url = url_for(op, values_for(world, op))
        response = world.client.get(url + ("&" if "?" in url else "?") + f"limit={limit}", headers=world.owner_of(op))
        body = assert_problem(response, 422, "validation_failed", f"{op} limit={limit}")
        assert "limit" in body["errors"], f"{op}: {body}"
        within = world.client.get(url + ("&" if "?" in url else "?") + "limit=100", headers=world.owner_of(op))
        assert within.status_code == 200, f"{op} limit=100: {within.status_code}"
    assert len(lists) >= 10
    print(f"limits: {len(lists)} list routes refuse limit={limit} with 422 and accept limit=100")


def test_every_writing_route_refuses_a_body_over_the_limit(app, world):
    writers = [op for op in operations(app) if op.writes]
    for op in writers:
        values, headers = values_for(world, op), world.owner_of(op)
        body = {**(body_for(world, op) or {}), "metadata": {"padding": "x" * BODY_LIMIT}}
        assert len(json.dumps(body)) > BODY_LIMIT
        response = world.client.open(url_for(op, values), method=op.method, json=body, headers=headers)
        assert_problem(response, 413, "body_too_large", str(op))
    assert len(writers) >= 20
    print(f"limits: {len(writers)} writing routes refuse a body over {BODY_LIMIT} bytes with 413")


@pytest.mark.parametrize("app_config", [{"RATELIMIT_DEFAULT": "5 per minute"}], indirect=True)
def test_too_many_requests_are_a_429_with_retry_after_on_list_and_writing_routes(app, client, make, spec):
    tenant = make.tenant()
    routes = [op for op in operations(app) if op.writes or op in list_operations(app, spec)]
    for op in routes:
        headers = make.headers(tenant, *sorted(op.tenant_scopes()))  # its own client: its own counter
        url = op.url(random_values(op))
        answers = [client.open(url, method=op.method, json={} if op.writes else None, headers=headers)
                   for _ in range(6)]
        assert all(a.status_code != 429 for a in answers[:5]), f"{op}: limited before the 6th request"
        assert_problem(answers[5], 429, "rate_limited", str(op))
        assert int(answers[5].headers["Retry-After"]) > 0, str(op)
    assert len(routes) >= 30
    print(f"limits: {len(routes)} list and writing routes answer the 6th request in a minute with 429 and Retry-After")
