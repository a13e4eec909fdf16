"""Nobody grants a scope, a role or a limit they do not hold; sandbox callers stay in the sandbox."""
import threading

import pytest
import requests

from tests.conftest import postgres_only
from tests.gateway.helpers import basic, client_credentials

PASSWORD = "a long enough password"


@pytest.fixture
def app_config():
    return {"RATELIMIT_DEFAULT": "600 per minute"}


def new_client(http, headers, **body):
    return http.post("/v1/admin/clients", json={"name": "App", "scopes": ["booking:read"], **body}, headers=headers)


# --- 1. scopes, limits, introspection, roles -----------------------------------------
def test_a_client_manager_cannot_create_a_steward(client, make):
    manager = make.headers(make.tenant(), "clients:manage")
    refused = new_client(client, manager, scopes=["platform:admin"])
    assert refused.status_code == 403 and refused.json["code"] == "scope_not_held"


def test_only_scopes_the_caller_holds_can_be_granted(client, make):
    tenant = make.tenant()
    manager = make.headers(tenant, "clients:manage", "booking:read")
    assert new_client(client, manager, scopes=["booking:read"]).status_code == 201
    refused = new_client(client, manager, scopes=["booking:read", "booking:write"])
    assert refused.status_code == 403 and refused.json["code"] == "scope_not_held"
    assert "booking:write" in refused.json["detail"]


def test_a_client_cannot_raise_its_own_scopes(client, make):
    tenant = make.tenant()
    me, shown = make.client(tenant, ["clients:manage"])
    token = client_credentials(client, me.client_id, shown["client_secret"]).json["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    for scopes in (["clients:manage", "platform:admin"], ["clients:manage", "booking:write"]):
        refused = client.patch(f"/v1/admin/clients/{me.client_id}", json={"scopes": scopes}, headers=auth)
        assert refused.status_code == 403 and refused.json["code"] == "scope_not_held"
    assert client.get(f"/v1/admin/clients/{me.client_id}", headers=auth).json["scopes"] == ["clients:manage"]


def test_a_client_manager_cannot_take_over_a_stronger_client_by_rotating_it(client, make):
    tenant = make.tenant()
    stronger, _ = make.client(tenant, ["booking:write"])
    manager = make.headers(tenant, "clients:manage")
    for path, body in (("/rotate", {}), ("/rotate", {"api_key": True}), ("", {"redirect_uris": ["https://evil.example/cb"]})):
        method = client.patch if path == "" else client.post
        refused = method(f"/v1/admin/clients/{stronger.client_id}{path}", json=body, headers=manager)
        assert refused.status_code == 403 and refused.json["code"] == "scope_not_held", (path, refused.json)
    # Taking power away is always allowed.
    assert client.post(f"/v1/admin/clients/{stronger.client_id}/revoke", headers=manager).status_code == 200


def test_the_steward_grants_anything_in_any_tenant(client, make, steward):
    tenant = make.tenant()
    made = new_client(client, steward, tenant=tenant.slug, scopes=["platform:admin", "booking:write"],
                      can_introspect=True, rate_limit="100 per second")
    assert made.status_code == 201, made.json
    assert made.json["can_introspect"] is True and made.json["rate_limit"] == "100 per second"


def test_rate_limits_cannot_be_raised_above_the_tenants(client, make, steward):
    tenant = make.tenant()
    manager = make.headers(tenant, "clients:manage", "booking:read")
    # No tenant limit: the platform default (600 per minute) is the ceiling; 100 per second is more.
    refused = new_client(client, manager, rate_limit="100 per second")
    assert refused.status_code == 403 and refused.json["code"] == "rate_limit_not_held"
    assert new_client(client, manager, rate_limit="600 per minute").status_code == 201
    assert new_client(client, manager, rate_limit="5 per second").status_code == 201  # 300 per minute
    made = new_client(client, manager, rate_limit="10 per minute").json
    raised = client.patch(f"/v1/admin/clients/{made['client_id']}", json={"rate_limit": "36001 per hour"}, headers=manager)
    assert raised.status_code == 403 and raised.json["code"] == "rate_limit_not_held"
    # The steward sets the tenant's limit; the tenant admin may then go up to it.
    client.patch(f"/v1/admin/tenants/{tenant.slug}", json={"rate_limit": "100 per second"}, headers=steward)
    assert client.patch(f"/v1/admin/clients/{made['client_id']}", json={"rate_limit": "100 per second"},
                        headers=manager).status_code == 200
    # The same average over a longer window allows a longer burst: 6000 in one second is more than 100.
    burst = client.patch(f"/v1/admin/clients/{made['client_id']}", json={"rate_limit": "6000 per minute"}, headers=manager)
    assert burst.status_code == 403 and burst.json["code"] == "rate_limit_not_held"


def test_a_per_day_limit_cannot_hide_a_burst(client, make):
    manager = make.headers(make.tenant(), "clients:manage", "booking:read")
    # 864000 a day averages the default 600 a minute, but could all be spent in one minute.
    refused = new_client(client, manager, rate_limit="864000 per day")
    assert refused.status_code == 403 and refused.json["code"] == "rate_limit_not_held"


def test_rotating_a_client_does_not_hand_over_what_the_steward_gave_it(client, make, steward):
    tenant = make.tenant()
    manager = make.headers(tenant, "clients:manage", "booking:read")
    for extra in ({"can_introspect": True}, {"rate_limit": "100000 per minute"}):
        made = client.post("/v1/admin/clients", json={"tenant": tenant.slug, "name": "Resource server",
                                                      "scopes": ["booking:read"], **extra}, headers=steward)
        assert made.status_code == 201, made.json
        rotated = client.post(f"/v1/admin/clients/{made.json['client_id']}/rotate", json={"grace_seconds": 0},
                              headers=manager)
        assert rotated.status_code == 403 and "client_secret" not in rotated.json, (extra, rotated.json)
        # Taking the right away is not giving it: the tenant admin may switch introspection off.
        if "can_introspect" in extra:
            off = client.patch(f"/v1/admin/clients/{made.json['client_id']}", json={"can_introspect": False},
                               headers=manager)
            assert off.status_code == 200 and off.json["can_introspect"] is False


def test_only_the_steward_lets_a_client_introspect(client, make, steward):
    tenant = make.tenant()
    manager = make.headers(tenant, "clients:manage", "booking:read")
    refused = new_client(client, manager, can_introspect=True)
    assert refused.status_code == 403 and refused.json["code"] == "introspection_not_held"
    made = new_client(client, manager).json
    patched = client.patch(f"/v1/admin/clients/{made['client_id']}", json={"can_introspect": True}, headers=manager)
    assert patched.status_code == 403 and patched.json["code"] == "introspection_not_held"
    assert client.patch(f"/v1/admin/clients/{made['client_id']}", json={"can_introspect": True},
                        headers=steward).json["can_introspect"] is True


def test_a_caseworker_cannot_make_or_become_a_tenant_admin(client, make):
    tenant = make.tenant()
    casey = make.user(tenant, role="caseworker")
    # Even a token that still says clients:manage gives a caseworker nothing of a tenant admin's.
    as_casey = make.headers(tenant, "clients:manage", user=casey)
    made = client.post("/v1/admin/users", json={"email": "boss@example.org", "role": "tenant_admin", "password": PASSWORD},
                       headers=as_casey)
    assert made.status_code == 403
    promoted = client.patch(f"/v1/admin/users/{casey.id}", json={"role": "tenant_admin"}, headers=as_casey)
    assert promoted.status_code == 403
    admin = make.headers(tenant, "clients:manage")
    assert client.get(f"/v1/admin/users/{casey.id}", headers=admin).json["role"] == "caseworker"


def test_a_tenant_admin_manages_staff_up_to_their_own_level(client, make):
    tenant = make.tenant()
    admin_user = make.user(tenant, role="tenant_admin")
    as_admin = make.headers(tenant, "clients:manage", user=admin_user)
    made = client.post("/v1/admin/users", json={"email": "deputy@example.org", "role": "tenant_admin",
                                                "password": PASSWORD}, headers=as_admin)
    assert made.status_code == 201, made.json
    demoted = client.patch(f"/v1/admin/users/{made.json['id']}", json={"role": "viewer"}, headers=as_admin)
    assert demoted.status_code == 200 and demoted.json["role"] == "viewer"


def test_another_tenants_clients_and_users_are_404(client, make):
    mine, theirs = make.tenant(), make.tenant()
    their_client, _ = make.client(theirs, ["booking:read"])
    their_user = make.user(theirs, role="viewer")
    manager = make.headers(mine, "clients:manage", "booking:read")
    assert new_client(client, manager, tenant=theirs.slug).status_code == 404
    assert client.patch(f"/v1/admin/clients/{their_client.client_id}", json={"name": "Mine"},
                        headers=manager).status_code == 404
    assert client.patch(f"/v1/admin/users/{their_user.id}", json={"role": "viewer"}, headers=manager).status_code == 404


# --- 3. sandbox callers -------------------------------------------------------------
def test_a_sandbox_client_creates_only_sandbox_clients(client, make):
    tenant = make.tenant()
    sandbox = make.headers(tenant, "clients:manage", "booking:read", sandbox=True)
    made = new_client(client, sandbox)
    assert made.status_code == 201 and made.json["sandbox"] is True
    refused = new_client(client, sandbox, sandbox=False)
    assert refused.status_code == 403 and refused.json["code"] == "sandbox_only"


def test_a_sandbox_client_sees_and_manages_only_sandbox_clients(client, make):
    tenant = make.tenant()
    live, _ = make.client(tenant, ["booking:read"])
    test_app, _ = make.client(tenant, ["booking:read"], sandbox=True)
    sandbox = make.headers(tenant, "clients:manage", "booking:read", sandbox=True)
    listed = [c["client_id"] for c in client.get("/v1/admin/clients?limit=100", headers=sandbox).json["items"]]
    assert test_app.client_id in listed and live.client_id not in listed
    assert all(c["sandbox"] for c in client.get("/v1/admin/clients?limit=100", headers=sandbox).json["items"])
    for method, path, body in (("get", "", None), ("patch", "", {"name": "Taken"}), ("post", "/rotate", {}),
                               ("post", "/revoke", None)):
        answer = getattr(client, method)(f"/v1/admin/clients/{live.client_id}{path}", json=body, headers=sandbox)
        assert answer.status_code == 404, (method, path, answer.json)
    assert client.patch(f"/v1/admin/clients/{test_app.client_id}", json={"name": "Renamed"},
                        headers=sandbox).status_code == 200


def test_a_sandbox_client_cannot_touch_staff(client, make):
    tenant = make.tenant()
    person = make.user(tenant, role="viewer")
    sandbox = make.headers(tenant, "clients:manage", sandbox=True)
    for method, path, body in (("post", "/v1/admin/users", {"email": "x@example.org", "role": "viewer", "password": PASSWORD}),
                               ("patch", f"/v1/admin/users/{person.id}", {"role": "caseworker"}),
                               ("patch", f"/v1/admin/users/{person.id}", {"status": "disabled"}),
                               ("post", f"/v1/admin/users/{person.id}/reset-password", {})):
        answer = getattr(client, method)(path, json=body, headers=sandbox)
        assert answer.status_code == 403 and answer.json["code"] == "sandbox_no_staff", (method, path, answer.json)
    admin = make.headers(tenant, "clients:manage")
    assert client.get(f"/v1/admin/users/{person.id}", headers=admin).json["status"] == "active"


def test_the_demo_council_client_cannot_touch_live_clients_or_staff(app, client, make):
    from civic.demo import seed

    with app.app_context():
        seed()
    token = client_credentials(client, "demo-borough-council", "demo-borough-council-secret").json["access_token"]
    council = {"Authorization": f"Bearer {token}"}
    assert new_client(client, council, sandbox=False).status_code == 403
    assert new_client(client, council).json["sandbox"] is True
    assert client.post("/v1/admin/users", json={"email": "x@example.org", "role": "tenant_admin", "password": PASSWORD},
                       headers=council).status_code == 403
    assert all(c["sandbox"] for c in client.get("/v1/admin/clients", headers=council).json["items"])


# --- 4. a revoked client's API key ----------------------------------------------------
def test_a_revoked_clients_api_key_cannot_be_rotated(client, make, steward):
    app_client, _ = make.client(make.tenant(), ["reporting:write"], with_api_key=True)
    assert client.post(f"/v1/admin/clients/{app_client.client_id}/revoke", headers=steward).status_code == 200
    refused = client.post(f"/v1/admin/clients/{app_client.client_id}/rotate", json={"api_key": True}, headers=steward)
    assert refused.status_code == 409 and refused.json["code"] == "client_revoked"
    assert client.post(f"/v1/admin/clients/{app_client.client_id}/rotate", json={},
                       headers=steward).json["code"] == "client_revoked"


# --- 6. the audit keeps ids and field names, not people's details ---------------------
def test_the_audit_records_field_names_not_personal_values(client, make, steward):
    tenant = make.tenant()
    admin = make.headers(tenant, "clients:manage", "booking:read")
    made = client.post("/v1/admin/users", json={"email": "sam.secret@example.org", "name": "Sam Secretname",
                                                "role": "viewer", "password": PASSWORD}, headers=admin).json
    client.patch(f"/v1/admin/users/{made['id']}", json={"name": "Samantha Hiddenname", "role": "caseworker"}, headers=admin)
    app = new_client(client, admin, name="Sam Secretname's app", metadata={"owner": "Sam Secretname"}).json
    client.patch(f"/v1/admin/clients/{app['client_id']}", json={"name": "Sam Hiddenname app", "reference": "Sam"},
                 headers=admin)
    entries = client.get(f"/v1/admin/audit?tenant={tenant.slug}", headers=steward).json["items"]
    text = str([e["detail"] for e in entries])
    for personal in ("Secretname", "Hiddenname", "sam.secret"):
        assert personal not in text
    updated = next(e for e in entries if e["action"] == "user.updated")
    assert updated["subject_id"] == made["id"] and sorted(updated["detail"]["fields"]) == ["name", "role"]


def test_the_audit_pages_with_a_cursor_newest_first(client, make, steward):
    tenant = make.tenant()
    for i in range(5):
        make.client(tenant, ["booking:read"], name=f"App {i}")
    first = client.get(f"/v1/admin/audit?tenant={tenant.slug}&limit=4", headers=steward).json
    assert len(first["items"]) == 4 and first["next"]
    second = client.get(f"/v1/admin/audit?tenant={tenant.slug}&limit=4&after={first['next']}", headers=steward).json
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 6 and second["next"] is None  # tenant.created and five client.created
    times = [e["time"] for e in first["items"] + second["items"]]
    assert times == sorted(times, reverse=True)
    assert [e["action"] for e in second["items"]][-1] == "tenant.created"
    assert client.get("/v1/admin/audit?after=nonsense", headers=steward).status_code == 422
    assert client.get("/v1/admin/audit", headers=make.headers(tenant, "clients:manage")).status_code == 403


# --- 5. rotations and revocations that race --------------------------------------------
# Many wrong secrets from one address are the point here, not an attack.
QUIET_THROTTLE = {"CIVIC_LOGIN_MAX_FAILURES": "1000", "CIVIC_RATELIMIT_TOKEN_ENDPOINT": "1000 per minute"}


def _race(*calls):
    """Run `calls` at the same moment, each in its own thread; their answers in order."""
    barrier, answers = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, call):
        barrier.wait()
        answers[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return answers


def _works(server, client_id, secret) -> bool:
    response = requests.post(server.url + "/oauth/token", data={"grant_type": "client_credentials"},
                             headers=basic(client_id, secret), timeout=30)
    assert response.status_code in (200, 401), response.text  # a lock-out would hide the answer
    return response.status_code == 200


@postgres_only
def test_racing_rotations_leave_only_the_secrets_the_api_announced(make, steward, live_server):
    server = live_server(workers=4, env=QUIET_THROTTLE)
    for _ in range(4):
        app_client, shown = make.client(make.tenant(), ["booking:read"])
        url = f"{server.url}/v1/admin/clients/{app_client.client_id}/rotate"
        quick, graceful = _race(lambda: requests.post(url, json={"grace_seconds": 0}, headers=steward, timeout=30),
                                lambda: requests.post(url, json={}, headers=steward, timeout=30))
        assert quick.status_code == graceful.status_code == 200, (quick.text, graceful.text)
        s0, sg = quick.json()["client_secret"], graceful.json()["client_secret"]
        working = {name for name, secret in (("original", shown["client_secret"]), ("quick", s0), ("graceful", sg))
                   if _works(server, app_client.client_id, secret)}
        # Either order is fine; what is not fine is the original secret surviving a zero-grace rotation.
        assert working in ({"quick", "graceful"}, {"quick"}), working


@postgres_only
def test_a_revoke_racing_a_rotation_leaves_the_client_revoked(make, steward, live_server):
    server = live_server(workers=4, env=QUIET_THROTTLE)
    for _ in range(4):
        app_client, shown = make.client(make.tenant(), ["booking:read"])
        base = f"{server.url}/v1/admin/clients/{app_client.client_id}"
        rotated, revoked = _race(lambda: requests.post(base + "/rotate", json={}, headers=steward, timeout=30),
                                 lambda: requests.post(base + "/revoke", headers=steward, timeout=30))
        assert revoked.status_code == 200 and rotated.status_code in (200, 409), rotated.text
        secrets = [shown["client_secret"]] + ([rotated.json()["client_secret"]] if rotated.status_code == 200 else [])
        assert not any(_works(server, app_client.client_id, s) for s in secrets)
        after = requests.get(base, headers=steward, timeout=30).json()
        assert after["status"] == "revoked"
        # The audit tells one story: nothing is rotated after the revocation.
        entries = requests.get(f"{server.url}/v1/admin/audit", params={"tenant": str(app_client.tenant_id)},
                               headers=steward, timeout=30).json()["items"]
        story = [e["action"] for e in reversed(entries) if e["action"].startswith("client.")]
        assert story in (["client.created", "client.revoked"],
                         ["client.created", "client.secret_rotated", "client.revoked"]), story


def test_an_unknown_scope_is_a_mistake_before_it_is_a_refusal(client, make):
    refused = new_client(client, make.headers(make.tenant(), "clients:manage"), scopes=["booking:fly"])
    assert refused.status_code == 422 and refused.json["code"] == "unknown_scope"


def test_a_sandbox_client_is_never_the_steward(client, make, steward):
    """Found by the attacker's review: the demo's sandboxed steward suspended a live organisation."""
    live = make.tenant()
    council = make.tenant(kind="council")
    sandboxed = make.headers(council, "platform:admin", sandbox=True)
    for method, url in (("post", f"/v1/admin/tenants/{live.slug}/suspend"), ("get", "/v1/admin/tenants"),
                        ("get", "/v1/admin/audit"), ("get", "/v1/admin/jobs")):
        answer = getattr(client, method)(url, headers=sandboxed)
        assert answer.status_code == 403 and answer.json["code"] == "insufficient_scope", (url, answer.json)
    assert client.get(f"/v1/admin/tenants/{live.slug}", headers=steward).json["status"] == "active"
    # Nor can the steward make one.
    made = client.post("/v1/admin/clients", headers=steward, json={
        "tenant": council.slug, "name": "x", "scopes": ["platform:admin"], "sandbox": True})
    assert made.status_code == 422 and made.json["code"] == "sandbox_not_steward"
