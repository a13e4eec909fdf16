"""A grant matrix: every admin route that gives or changes power, called by every kind of caller.

The routes come from the app's URL map; each writing route under /v1/admin must be classified in
PROBES, so a new admin route fails here until someone says how it could be abused. Each probe tries
to give more than the caller holds; whatever the answer, nothing may end up beyond the caller's own:
scopes within its scopes, roles not above its level, rate limits not above its tenant's, no sandbox
caller reaching the live world or staff, and another tenant's client or user answering exactly as a
client or user that does not exist.
"""
import dataclasses
import uuid

import pytest

from tests.assurance.catalogue import operations

ROLES = ("viewer", "caseworker", "tenant_admin")  # lowest first
STEWARD_LEVEL = len(ROLES)
CEILING = "600 per minute"
PASSWORD = "correct horse battery staple"
UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@pytest.fixture
def app_config(services):
    return {**services, "RATELIMIT_DEFAULT": CEILING}


def per_second(rate: str) -> float:
    amount, _, unit = rate.split()
    return int(amount) / UNITS[unit]


@dataclasses.dataclass
class Caller:
    name: str
    headers: dict
    level: int  # index in ROLES a staff change may reach; -1: none
    sandbox: bool = False
    steward: bool = False
    scopes: frozenset = frozenset()


class Matrix:
    """Tenant A (the callers' own), tenant B (someone else's), and one caller of each kind."""

    def __init__(self, client, make):
        self.client, self.make = client, make
        self.a, self.b = make.tenant(), make.tenant()
        council = make.tenant(kind="council")
        user = lambda role: make.user(self.a, role=role)  # noqa: E731
        # Staff tokens say more than the role allows, as an app with broad scopes would ask for.
        broad = ("clients:manage", "booking:read", "booking:write")
        self.callers = [
            Caller("client with clients:manage", make.headers(self.a, "clients:manage", "booking:read"), 2),
            Caller("tenant admin user", make.headers(self.a, *broad, user=user("tenant_admin")), 2),
            Caller("caseworker", make.headers(self.a, *broad, user=user("caseworker")), 1),
            Caller("viewer", make.headers(self.a, *broad, user=user("viewer")), 0),
            Caller("sandbox client with clients:manage",
                   make.headers(self.a, "clients:manage", "booking:read", sandbox=True), -1, sandbox=True),
            Caller("steward", make.headers(council, "platform:admin"), STEWARD_LEVEL, steward=True),
        ]
        for caller in self.callers:
            caller.scopes = frozenset(client.get("/v1/whoami", headers=caller.headers).get_json()["scopes"])

    # --- targets -----------------------------------------------------------------------
    def a_client(self, caller, scopes=("booking:read",)) -> str:
        """A client of A in the caller's world (a sandbox caller may see only sandbox clients)."""
        made, _ = self.make.client(self.a, list(scopes), sandbox=caller.sandbox)
        return made.client_id

    def b_client(self) -> str:
        return self.make.client(self.b, ["booking:read"])[0].client_id

    def a_user(self, role: str) -> str:
        return str(self.make.user(self.a, role=role).id)

    def b_user(self) -> str:
        return str(self.make.user(self.b, role="viewer").id)

    def call(self, caller, method, path, body=None):
        response = self.client.open(path, method=method, json=body, headers=caller.headers)
        return response.status_code, response.get_json(silent=True) or {}

    def as_steward(self, path):
        return self.client.get(path, headers=self.callers[-1].headers).get_json()


# --- what a result may hold ---------------------------------------------------------------
def client_within(m: Matrix, caller: Caller, made: dict) -> list[str]:
    """What is wrong with a client a caller just made or changed."""
    wrong = []
    if caller.sandbox and not made["sandbox"]:
        wrong.append("a sandbox caller produced a live client")
    if caller.steward:
        return wrong
    if not set(made["scopes"]) <= caller.scopes:
        wrong.append(f"scopes {sorted(set(made['scopes']) - caller.scopes)} beyond the caller's")
    if made.get("can_introspect"):
        wrong.append("a non-steward let a client introspect")
    if made.get("rate_limit") and per_second(made["rate_limit"]) > per_second(CEILING):
        wrong.append(f"rate limit {made['rate_limit']} above the tenant's {CEILING}")
    if made["tenant"] != m.a.slug:
        wrong.append(f"a client made in another tenant ({made['tenant']})")
    return wrong


def role_within(caller: Caller, *roles: str) -> list[str]:
    if caller.sandbox:
        return ["a sandbox caller changed staff"]
    return [f"role {r} is above the caller's level" for r in roles if ROLES.index(r) > caller.level]


def looks_absent(m: Matrix, caller, method, template, body, real_id) -> list[str]:
    """Another tenant's object must answer exactly as an object that does not exist."""
    status, answer = m.call(caller, method, template.format(real_id), body)
    ghost_status, ghost = m.call(caller, method, template.format(uuid.uuid4()), body)
    if (status, answer.get("code")) != (ghost_status, ghost.get("code")):
        return [f"another tenant's object answered {status} {answer.get('code')}, a missing one {ghost_status}"]
    return []


# --- probes: fn(matrix, caller) -> what went wrong ---------------------------------------
def create_client(m, caller):
    wrong = []
    asks = [{"scopes": ["platform:admin"]}, {"scopes": ["booking:read", "booking:write", "reporting:write"]},
            {"scopes": ["booking:read"], "rate_limit": "100 per second"},
            {"scopes": ["booking:read"], "can_introspect": True}, {"scopes": ["booking:read"], "sandbox": False},
            {"scopes": ["booking:read"]}]
    for ask in asks:
        status, made = m.call(caller, "POST", "/v1/admin/clients", {"tenant": m.a.slug, "name": "Probe", **ask})
        if status < 300:
            wrong += [f"{ask}: {w}" for w in client_within(m, caller, made)]
    status, _ = m.call(caller, "POST", "/v1/admin/clients", {"tenant": m.b.slug, "name": "X", "scopes": ["booking:read"]})
    if status < 300 and not caller.steward:
        wrong.append("made a client in another tenant")
    return wrong


def update_client(m, caller):
    wrong = []
    for ask in ({"scopes": ["platform:admin"]}, {"scopes": ["booking:read", "booking:write", "casework:write"]},
                {"rate_limit": "100 per second"}, {"can_introspect": True}, {"name": "Renamed"}):
        status, made = m.call(caller, "PATCH", f"/v1/admin/clients/{m.a_client(caller)}", ask)
        if status < 300:
            wrong += [f"{ask}: {w}" for w in client_within(m, caller, made)]
    stronger = m.a_client(caller, ("booking:write", "reporting:write"))
    status, _ = m.call(caller, "PATCH", f"/v1/admin/clients/{stronger}", {"redirect_uris": ["https://evil.example/cb"]})
    if status < 300 and not caller.steward and not {"booking:write", "reporting:write"} <= caller.scopes:
        wrong.append("redirected a client stronger than the caller")
    live = m.make.client(m.a, ["booking:read"])[0].client_id
    if caller.sandbox and m.call(caller, "PATCH", f"/v1/admin/clients/{live}", {"name": "Mine"})[0] != 404:
        wrong.append("a sandbox caller reached a live client")
    if not caller.steward:
        wrong += looks_absent(m, caller, "PATCH", "/v1/admin/clients/{}", {"name": "Mine"}, m.b_client())
    return wrong


def rotate_client(m, caller):
    wrong = []
    for body in ({}, {"api_key": True}):
        stronger = m.a_client(caller, ("booking:write", "reporting:write"))
        status, _ = m.call(caller, "POST", f"/v1/admin/clients/{stronger}/rotate", body)
        if status < 300 and not caller.steward and not {"booking:write", "reporting:write"} <= caller.scopes:
            wrong.append(f"{body}: took the credentials of a client stronger than the caller")
        if not caller.steward:
            wrong += looks_absent(m, caller, "POST", "/v1/admin/clients/{}/rotate", body, m.b_client())
    return wrong


def revoke_client(m, caller):
    """Taking power away is no grant, but only within the caller's own tenant and world."""
    wrong = []
    if not caller.steward:
        theirs = m.b_client()
        wrong += looks_absent(m, caller, "POST", "/v1/admin/clients/{}/revoke", None, theirs)
        if m.as_steward(f"/v1/admin/clients/{theirs}")["status"] != "active":
            wrong.append("revoked another tenant's client")
    live = m.make.client(m.a, ["booking:read"])[0].client_id
    if caller.sandbox and m.call(caller, "POST", f"/v1/admin/clients/{live}/revoke")[0] != 404:
        wrong.append("a sandbox caller revoked a live client")
    return wrong


def create_user(m, caller):
    wrong = []
    for role in ROLES:
        body = {"tenant": m.a.slug, "email": f"{uuid.uuid4().hex[:8]}@example.org", "role": role, "password": PASSWORD}
        status, made = m.call(caller, "POST", "/v1/admin/users", body)
        if status < 300:
            wrong += [f"created a {role}: {w}" for w in role_within(caller, made["role"])]
    body = {"tenant": m.b.slug, "email": "x@example.org", "role": "viewer", "password": PASSWORD}
    if m.call(caller, "POST", "/v1/admin/users", body)[0] < 300 and not caller.steward:
        wrong.append("created a user in another tenant")
    return wrong


def update_user(m, caller):
    wrong = []
    for target in ROLES:
        # Promote to the top, demote to the bottom, disable: each may touch only roles up to the caller's.
        for ask in ({"role": ROLES[-1]}, {"role": ROLES[0]}, {"status": "disabled"}):
            status, _ = m.call(caller, "PATCH", f"/v1/admin/users/{m.a_user(target)}", ask)
            if status < 300:
                wrong += [f"{target} {ask}: {w}" for w in role_within(caller, target, ask.get("role", target))]
    if not caller.steward:
        theirs = m.b_user()
        wrong += looks_absent(m, caller, "PATCH", "/v1/admin/users/{}", {"status": "disabled"}, theirs)
        if m.as_steward(f"/v1/admin/users/{theirs}")["status"] != "active":
            wrong.append("disabled another tenant's user")
    return wrong


def reset_user(m, caller):
    wrong = []
    for target in ROLES:
        status, _ = m.call(caller, "POST", f"/v1/admin/users/{m.a_user(target)}/reset-password", {})
        if status < 300:
            wrong += [f"reset a {target}: {w}" for w in role_within(caller, target)]
    if not caller.steward:
        wrong += looks_absent(m, caller, "POST", "/v1/admin/users/{}/reset-password", {}, m.b_user())
    return wrong


def steward_only(method, template, body=None):
    """Routes only the steward may call: anyone else trying on their own tenant gets nothing."""

    def probe(m, caller):
        if caller.steward:
            ref = m.make.tenant().slug  # a fresh tenant, so suspending it harms no other probe
            status, answer = m.call(caller, method, template.format(ref), body)
            return [] if status < 300 else [f"the steward was refused: {status} {answer.get('code')}"]
        status, _ = m.call(caller, method, template.format(m.a.slug), body)
        return [f"{method} {template} answered {status} to a non-steward"] if status < 300 else []

    return probe


def not_a_grant(m, caller):
    """Retrying a job gives nobody anything, but it is still the steward's alone."""
    status, _ = m.call(caller, "POST", f"/v1/admin/jobs/{uuid.uuid4()}/retry")
    return [f"a non-steward reached a job: {status}"] if status != 403 and not caller.steward else []


PROBES = {
    ("POST", "/v1/admin/clients"): create_client,
    ("PATCH", "/v1/admin/clients/<client_ref>"): update_client,
    ("POST", "/v1/admin/clients/<client_ref>/rotate"): rotate_client,
    ("POST", "/v1/admin/clients/<client_ref>/revoke"): revoke_client,
    ("POST", "/v1/admin/users"): create_user,
    ("PATCH", "/v1/admin/users/<user_id>"): update_user,
    ("POST", "/v1/admin/users/<user_id>/reset-password"): reset_user,
    ("POST", "/v1/admin/tenants"): lambda m, c: steward_only("POST", "/v1/admin/tenants", {
        "slug": f"t-{uuid.uuid4().hex[:8]}", "name": "New", "rate_limit": "100000 per second"})(m, c),
    ("PATCH", "/v1/admin/tenants/<tenant_ref>"): steward_only("PATCH", "/v1/admin/tenants/{}",
                                                              {"rate_limit": "100000 per second"}),
    ("POST", "/v1/admin/tenants/<tenant_ref>/suspend"): steward_only("POST", "/v1/admin/tenants/{}/suspend"),
    ("POST", "/v1/admin/tenants/<tenant_ref>/reactivate"): steward_only("POST", "/v1/admin/tenants/{}/reactivate"),
    ("POST", "/v1/admin/jobs/<uuid:job_id>/retry"): not_a_grant,
}


def admin_writes(app) -> list[tuple[str, str]]:
    return [(op.method, op.path) for op in operations(app, "/v1/admin/") if op.method != "GET"]


def test_every_admin_route_that_changes_something_is_classified(app):
    unclassified = [f"classify {method} {path} in PROBES" for method, path in admin_writes(app)
                    if (method, path) not in PROBES]
    assert unclassified == []
    assert set(PROBES) <= set(admin_writes(app)), "PROBES names a route the app no longer has"


def test_nobody_gets_more_than_they_hold(app, client, make):
    matrix = Matrix(client, make)
    failures = []
    for route in admin_writes(app):
        for caller in matrix.callers:
            failures += [f"{route[0]} {route[1]} as {caller.name}: {w}" for w in PROBES[route](matrix, caller)]
    assert failures == []


def test_the_matrix_callers_hold_what_their_kind_allows(client, make):
    """The matrix means something only if the callers hold what they should: checked here."""
    matrix = Matrix(client, make)
    scopes = {c.name: c.scopes for c in matrix.callers}
    assert scopes["caseworker"] == {"booking:read", "booking:write"}
    assert scopes["viewer"] == {"booking:read"}
    assert "clients:manage" in scopes["tenant admin user"] and "platform:admin" not in scopes["tenant admin user"]
    allowed = {"client with clients:manage", "tenant admin user", "sandbox client with clients:manage", "steward"}
    for caller in matrix.callers:
        status, made = matrix.call(caller, "POST", "/v1/admin/clients",
                                   {"tenant": matrix.a.slug, "name": "Fine", "scopes": ["booking:read"]})
        assert (status == 201) == (caller.name in allowed), (caller.name, status, made)
        body = {"tenant": matrix.a.slug, "email": f"{uuid.uuid4().hex[:8]}@example.org", "role": "viewer",
                "password": PASSWORD}
        status, _ = matrix.call(caller, "POST", "/v1/admin/users", body)
        assert (status == 201) == (caller.name in allowed - {"sandbox client with clients:manage"}), (caller.name, status)
