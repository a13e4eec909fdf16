"""One organisation can never see or touch another's objects, and every route checks its scopes.

Walks the URL map: every route with an object id is called, with every method it has,
by tenant B on an object tenant A made. B's token carries every scope the route needs,
so the only thing standing between B and A's data is tenant isolation.
"""
import pytest

from tests.assurance.catalogue import as_json, leaks, operations, random_values
from tests.assurance.world import CREATORS, TENANT_SCOPES, body_for, url_for


def assert_problem(response, status: int, code: str | None = None, context: str = ""):
    assert response.status_code == status, f"{context}: {response.status_code} {response.data[:300]!r}"
    assert response.mimetype == "application/problem+json", context
    if code:
        assert as_json(response)["code"] == code, f"{context}: {as_json(response)}"


def snapshot(world, ops, values_by_path) -> dict:
    """What tenant A (or the steward) sees of each object, read back through the API."""
    seen = {}
    for op in ops:
        if op.method == "GET" and op.path in values_by_path:
            response = world.client.get(url_for(op, values_by_path[op.path]), headers=world.owner_of(op))
            assert response.status_code == 200, f"{op}: the owner cannot read its own object"
            if response.is_json:  # calendars carry the time they were made (DTSTAMP)
                seen[str(op)] = response.get_json()
    return seen


def test_every_route_with_an_object_id_has_a_creator(app):
    missing = [f"add a creator for {op.path} in tests/assurance/world.py CREATORS"
               for op in operations(app) if op.has_id and op.path not in CREATORS]
    assert missing == []


def test_another_tenant_gets_404_on_every_route_with_an_object_id(app, world):
    ops = [op for op in operations(app) if op.has_id and not op.steward_only]
    values_by_path = {op.path: CREATORS[op.path](world) for op in ops}
    before = snapshot(world, ops, values_by_path)
    secrets = world.secrets()
    checked, failures = 0, []
    for op in ops:
        response = world.client.open(url_for(op, values_by_path[op.path]), method=op.method, json=body_for(world, op),
                                     headers=world.headers(world.b, op.tenant_scopes()))
        if response.status_code != 404 or response.mimetype != "application/problem+json":
            failures.append(f"{op}: {response.status_code} {response.data[:200]!r}")
        if leaks(response.data, secrets):
            failures.append(f"{op}: the answer names A's data {leaks(response.data, secrets)}")
        checked += 1
    assert failures == []
    assert snapshot(world, ops, values_by_path) == before, "B's calls changed A's objects"
    assert checked >= 25
    print(f"isolation: {checked} route x method pairs answered 404 to another tenant, {len(before)} objects unchanged")


def test_without_a_token_a_real_object_is_a_401_that_names_nothing(app, world):
    ops = [op for op in operations(app) if op.has_id and op.protected]
    values_by_path = {op.path: CREATORS[op.path](world) for op in ops}
    secrets = world.secrets()
    for op in ops:
        response = world.client.open(url_for(op, values_by_path[op.path]), method=op.method, json=body_for(world, op))
        assert_problem(response, 401, "unauthenticated", str(op))
        assert leaks(response.data, secrets) == [], str(op)
    print(f"isolation: {len(ops)} route x method pairs on real objects answered 401 without a token")


def test_steward_routes_refuse_an_organisation_with_every_other_scope(app, world):
    ops = [op for op in operations(app) if op.steward_only]
    values_by_path = {op.path: CREATORS[op.path](world) for op in ops if op.has_id}
    before = snapshot(world, ops, values_by_path)
    tenant_token = world.headers(world.b, TENANT_SCOPES)
    for op in ops:
        response = world.client.open(url_for(op, values_by_path.get(op.path, {})), method=op.method,
                                     json=body_for(world, op), headers=tenant_token)
        assert_problem(response, 403, "insufficient_scope", str(op))
        assert leaks(response.data, world.secrets()) == [], str(op)
    assert snapshot(world, ops, values_by_path) == before
    assert any(op.path.startswith("/v1/admin/tenants/") for op in ops)
    print(f"isolation: {len(ops)} steward-only route x method pairs answered 403 to a non-steward")


def test_a_token_missing_the_routes_scope_is_a_403(app, client, make):
    tenant = make.tenant()
    tokens: dict = {}
    checked = 0
    for op in operations(app):
        if not op.protected:
            continue
        for scopes in op.tokens_missing_a_scope():
            if scopes not in tokens:
                tokens[scopes] = make.headers(tenant, *sorted(scopes))
            response = client.open(op.url(random_values(op)), method=op.method, json={} if op.writes else None,
                                   headers=tokens[scopes])
            assert_problem(response, 403, "insufficient_scope", f"{op} without {set(op.alternatives[0]) - scopes}")
            checked += 1
    assert checked >= 50
    print(f"scopes: {checked} route x method x missing-scope cases answered 403 insufficient_scope")


@pytest.mark.parametrize("what", ["report", "category"])
def test_a_private_report_is_not_shown_on_the_public_open311_routes(app, client, world, what):
    """Open311 is public by design, but a non-public category and its reports are never on it."""
    values = world.report() if what == "report" else world.category()
    url = (f"/open311/v2/requests/{values['report_id']}.json" if what == "report"
           else f"/open311/v2/services/{world.a.slug}:{values['code']}.json")
    response = client.get(url)
    assert response.status_code == 404
    # the caller's own code may be echoed back; A's names and descriptions never
    assert f"{world.marker} " not in response.get_data(as_text=True)
