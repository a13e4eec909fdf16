"""A steward names the organisation of a new client or user; an organisation's admin never has to."""
import pytest

BODIES = {"/v1/admin/clients": {"name": "Room booking app", "scopes": ["booking:read"]},
          "/v1/admin/users": {"email": "jo@example.org", "role": "caseworker", "password": "a long pass phrase"}}


@pytest.mark.parametrize("path", sorted(BODIES))
def test_a_steward_without_a_tenant_is_told_to_name_one_and_nothing_is_made(client, make, steward, path):
    refused = client.post(path, json=BODIES[path], headers=steward)
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert (refused.json["code"], refused.json["errors"]) == ("tenant_required", {"tenant": ["Required for stewards."]})
    assert refused.json["title"] == "Say which organisation"
    tenant = make.tenant()
    assert client.post(path, json={**BODIES[path], "tenant": tenant.slug}, headers=steward).status_code == 201
    admin = make.headers(tenant, "clients:manage", "booking:read")  # it grants only what it holds
    assert client.post(path, json={**BODIES[path], **({"email": "sam@example.org"} if "email" in BODIES[path] else {})},
                       headers=admin).status_code == 201
