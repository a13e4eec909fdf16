"""The steward's admin API: organisations, staff users, and the audit trail of every action."""
import pytest


def test_onboarding_validates_the_organisation(client, steward):
    bad = client.post("/v1/admin/tenants", json={"slug": "Bad Slug!", "name": "", "kind": "club"}, headers=steward)
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"slug", "name", "kind"}
    assert client.get("/v1/admin/tenants", headers=steward).json["items"][-1]["slug"] == "steward-council"


@pytest.mark.parametrize("field", ["id", "status", "tenant_id", "created_at", "colour"])
def test_fields_a_caller_may_not_set_are_rejected(client, steward, field):
    response = client.post("/v1/admin/tenants", json={"slug": "x-org", "name": "X", field: "active"}, headers=steward)
    assert response.status_code == 422 and field in response.json["errors"]


def test_a_slug_is_unique(client, steward):
    assert client.post("/v1/admin/tenants", json={"slug": "dup", "name": "One"}, headers=steward).status_code == 201
    again = client.post("/v1/admin/tenants", json={"slug": "dup", "name": "Two"}, headers=steward)
    assert again.status_code == 409 and again.json["code"] == "slug_taken"


def test_steward_changes_components_and_kind(client, steward):
    client.post("/v1/admin/tenants", json={"slug": "clinic", "name": "Clinic"}, headers=steward)
    changed = client.patch("/v1/admin/tenants/clinic", json={"kind": "nhs", "components": ["booking"]}, headers=steward)
    assert changed.status_code == 200 and changed.json["components"] == ["booking"] and changed.json["kind"] == "nhs"


def test_a_component_switched_off_for_one_tenant_is_refused_for_it_only(client, make, steward):
    only_reporting = make.tenant("reporting-only")
    everything = make.tenant("everything")
    client.patch("/v1/admin/tenants/reporting-only", json={"components": ["reporting"]}, headers=steward)
    refused = client.get("/v1/booking/resources", headers=make.headers(only_reporting, "booking:read"))
    assert refused.status_code == 403 and refused.json["code"] == "component_disabled"
    assert client.get("/v1/reporting/reports", headers=make.headers(only_reporting, "reporting:read")).status_code == 200
    assert client.get("/v1/booking/resources", headers=make.headers(everything, "booking:read")).status_code == 200


def test_tenant_admin_manages_their_staff_users(client, make):
    tenant = make.tenant("housing-assoc")
    admin = make.headers(tenant, "clients:manage")
    created = client.post("/v1/admin/users", json={"email": "Jo@Example.org", "role": "caseworker",
                                                   "password": "a long enough password"}, headers=admin)
    assert created.status_code == 201, created.json
    user = created.json
    assert user["email"] == "jo@example.org" and user["tenant"] == "housing-assoc" and "password" not in user
    disabled = client.patch(f"/v1/admin/users/{user['id']}", json={"status": "disabled"}, headers=admin)
    assert disabled.json["status"] == "disabled"
    reset = client.post(f"/v1/admin/users/{user['id']}/reset-password", json={}, headers=admin)
    assert len(reset.json["password"]) >= 12
    other_admin = make.headers(make.tenant("another-assoc"), "clients:manage")
    assert client.get(f"/v1/admin/users/{user['id']}", headers=other_admin).status_code == 404
    assert client.get("/v1/admin/users", headers=other_admin).json["items"] == []


def test_short_passwords_are_refused(client, make):
    admin = make.headers(make.tenant(), "clients:manage")
    response = client.post("/v1/admin/users", json={"email": "a@example.org", "role": "viewer", "password": "short"},
                           headers=admin)
    assert response.status_code == 422 and "password" in response.json["errors"]


def test_disabling_a_user_ends_their_sessions(app, client, make):
    tenant = make.tenant()
    user = make.user(tenant, role="tenant_admin")  # only a tenant admin's token may manage clients
    user_headers = make.headers(tenant, "clients:manage", user=user)
    assert client.get("/v1/admin/clients", headers=user_headers).status_code == 200
    admin = make.headers(tenant, "clients:manage")
    client.patch(f"/v1/admin/users/{user.id}", json={"status": "disabled"}, headers=admin)
    assert client.get("/v1/admin/clients", headers=user_headers).status_code == 401


def test_every_admin_action_is_in_the_audit_log_with_who_did_it(client, make, steward):
    client.post("/v1/admin/tenants", json={"slug": "audited", "name": "Audited"}, headers=steward)
    made = client.post("/v1/admin/clients", json={"tenant": "audited", "name": "A", "scopes": ["booking:read"]},
                       headers=steward).json
    client.post(f"/v1/admin/clients/{made['client_id']}/rotate", json={}, headers=steward)
    client.post(f"/v1/admin/clients/{made['client_id']}/revoke", headers=steward)
    client.post("/v1/admin/tenants/audited/suspend", headers=steward)
    client.post("/v1/admin/users", json={"tenant": "audited", "email": "u@example.org", "role": "viewer",
                                         "password": "a long enough password"}, headers=steward)
    entries = client.get("/v1/admin/audit?tenant=audited", headers=steward).json["items"]
    actions = [e["action"] for e in reversed(entries)]
    assert actions == ["tenant.created", "client.created", "client.secret_rotated", "client.revoked",
                       "tenant.suspended", "user.created"]
    actors = {e["actor"] for e in entries}
    assert len(actors) == 1 and actors.pop().startswith("client:")
    assert all(e["request_id"] for e in entries)
    assert not any("secret" in str(e["detail"]).lower() and "cs_" in str(e["detail"]) for e in entries)


def test_pagination_of_tenants(client, make, steward):
    for i in range(5):
        make.tenant(f"page-{i}")
    first = client.get("/v1/admin/tenants?limit=2", headers=steward).json
    second = client.get(f"/v1/admin/tenants?limit=2&after={first['next']}", headers=steward).json
    seen = [t["slug"] for t in first["items"] + second["items"]]
    assert len(seen) == len(set(seen)) == 4
    assert client.get("/v1/admin/tenants?limit=101", headers=steward).status_code == 422


def test_reading_staff_users_is_audited_by_id(client, app, make, steward):
    """Found by the attacker's review: staff names and emails were listed with no audit entry."""
    from civic.core.audit import AuditEntry
    from civic.core.db import session

    tenant = make.tenant()
    user = make.user(tenant, email="lee@example.org")
    assert client.get(f"/v1/admin/users?tenant={tenant.slug}", headers=steward).status_code == 200
    assert client.get(f"/v1/admin/users/{user.id}", headers=steward).status_code == 200
    with app.app_context():
        reads = session.query(AuditEntry).filter_by(action="staff_user.personal_data_read").all()
        assert [(r.subject_id, r.detail) for r in reads] == [(str(user.id), {}), (str(user.id), {})]
        assert all("lee@example.org" not in str(r.detail) for r in reads)
