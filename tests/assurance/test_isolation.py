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


# What an answer says of the moment it was made, not of the object: a subject access export's time, and its
# audit trail, which the snapshot's own reads of the same records lengthen.
MOMENTARY = ("generated_at", "access_log")


def snapshot(world, ops, values_by_path) -> dict:
    """What tenant A (or the steward) sees of each object, read back through the API."""
    seen = {}
    for op in ops:
        if op.method == "GET" and op.path in values_by_path:
            response = world.client.get(url_for(op, values_by_path[op.path]), headers=world.owner_of(op))
            assert response.status_code == 200, f"{op}: the owner cannot read its own object"
            if response.is_json:  # calendars carry the time they were made (DTSTAMP)
                answer = response.get_json()
                seen[str(op)] = {k: v for k, v in answer.items() if k not in MOMENTARY} if isinstance(answer, dict) \
                    else answer
    return seen


def test_every_route_with_an_object_id_has_a_creator(app):
    missing = [f"add a creator for {op.path} in tests/assurance/world.py CREATORS"
               for op in operations(app) if op.has_id and op.path not in CREATORS]
    assert missing == []


def test_another_tenant_gets_404_on_every_route_with_an_object_id(app, world):
    ops = [op for op in operations(app) if op.has_id and op.protected and not op.steward_only]
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


def test_a_public_route_naming_a_tenants_object_without_its_proof_changes_nothing(app, world):
    """Webhooks, receipts and signed links are public but prove themselves (a signature, a callback token, a
    signed link). Naming A's organisation or link with B's platform token, with no proof, or with a forged one is
    refused with a problem, names nothing of A's, and leaves every object of A as it was."""
    public_ops = [op for op in operations(app) if op.self_authenticated]
    assert {op.path for op in public_ops} >= {"/v1/payments/webhooks/stripe/<tenant>",
                                              "/v1/notify/callbacks/<tenant_id>", "/v1/notify/unsubscribe/<token>"}
    owned = [op for op in operations(app) if op.has_id and op.protected and not op.steward_only]
    values_by_path = {op.path: CREATORS[op.path](world) for op in owned + public_ops}
    before = snapshot(world, owned, values_by_path)
    secrets, failures = world.secrets(), []
    for op in public_ops:
        values = values_by_path[op.path]
        forged = {name: (value[:-4] + "AAAA" if name == "token" else value) for name, value in values.items()}
        for what, url, headers in (
                ("B's token", op.url(values), world.headers(world.b, TENANT_SCOPES)),
                ("no proof", op.url(values), {}),
                ("a forged proof", op.url(forged), {"Authorization": "Bearer callback-token-forged",
                                                    "Stripe-Signature": "t=1,v1=" + "0" * 64})):
            if op.path.startswith("/v1/privacy/transparency/"):
                continue  # an organisation's privacy notice is public by law and names no person, by design
            if op.path.endswith("/unsubscribe/<token>") and what != "a forged proof":
                continue  # the signed link is its own proof: whoever holds it may use it, by design
            response = world.client.open(url, method=op.method, json=body_for(world, op), headers=headers)
            if response.status_code < 400 or response.status_code >= 500 or \
                    response.mimetype != "application/problem+json":
                failures.append(f"{op} with {what}: {response.status_code} {response.data[:200]!r}")
            if leaks(response.data, secrets):
                failures.append(f"{op} with {what}: the answer names A's data {leaks(response.data, secrets)}")
    assert failures == []
    assert snapshot(world, owned, values_by_path) == before, "an unproven public call changed A's objects"
    print(f"isolation: {len(public_ops)} self-authenticated public routes refused callers without their proof")


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
