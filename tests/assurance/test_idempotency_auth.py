"""An Idempotency-Key replays the first answer to its own caller only, and only after the same checks.

For every POST the spec documents: a successful request with a key, then the same request with the
same key from (a) a token of the same client and user without the needed scope, (b) another staff user
of the same client, (c) another organisation's client. Each is refused or answered as a fresh request
would be, never with the first answer (which may hold a client secret or a person's details).
"""
import uuid

from tests.assurance.catalogue import STEWARD, as_json, documented_operations, openapi_path, operations
from tests.assurance.world import SANDBOX_OWNED, TENANT_SCOPES, body_for, values_for
from tests.builders import bearer


class Caller:
    """One API client of an organisation, and tokens of it for its staff users and scope subsets."""

    def __init__(self, make, tenant, scopes, **client_overrides):
        self.make, self.scopes, self.overrides = make, frozenset(scopes), client_overrides
        self.client, self.secret = self._client(tenant)
        # No person holds platform:admin (the steward acts as a client), so for the steward the
        # "other caller" of the same organisation is a second client, not a second person.
        self.steward = STEWARD in self.scopes
        self.second_client, self.second_secret = self._client(tenant) if self.steward else (None, None)
        self.users = [None, None] if self.steward else [make.user(tenant, role="tenant_admin") for _ in range(2)]

    def _client(self, tenant):
        client, shown = self.make.client(tenant, sorted(self.scopes), **self.overrides)
        return client, shown["client_secret"]

    def headers(self, user=None, scopes=None) -> dict:
        return self._token(self.client, self.secret, user, scopes)

    def other_headers(self) -> dict:
        """Another caller of the same organisation: its second staff user (the steward: its second client)."""
        if self.steward:
            return self._token(self.second_client, self.second_secret, None, None)
        return self._token(self.client, self.secret, self.users[1], None)

    def _token(self, client, secret, user, scopes) -> dict:
        return bearer(self.make.token_for(client, secret, sorted(self.scopes if scopes is None else scopes), user=user))


def posts(app) -> list:
    documented = {(m, p) for m, p in documented_operations()}
    return [op for op in operations(app) if op.method == "POST" and ("POST", openapi_path(op.path)) in documented]


def without(op, scopes: frozenset) -> frozenset:
    """`scopes` less what `op` needs: every alternative loses at least one of its scopes."""
    removed = {sorted(alt)[0] for alt in op.alternatives}
    return scopes - removed


def test_a_replay_never_reaches_another_caller_or_a_token_without_the_scope(app, world, make):
    ops = [op for op in posts(app) if op.protected]
    assert len(ops) >= 15
    owners = {False: Caller(make, world.a, TENANT_SCOPES), True: Caller(make, world.council, (STEWARD,))}
    strangers = {False: Caller(make, world.b, TENANT_SCOPES), True: Caller(make, make.tenant(kind="council"), (STEWARD,))}
    sandboxed = (Caller(make, world.a, TENANT_SCOPES, sandbox=True), Caller(make, world.b, TENANT_SCOPES, sandbox=True))
    failures, checked = [], 0
    for op in ops:
        owner, stranger = owners[op.steward_only], strangers[op.steward_only]
        if op.path in SANDBOX_OWNED:  # objects only a sandbox client has: its sandbox clients are the callers
            owner, stranger = sandboxed
        url, body, key = op.url(values_for(world, op)), body_for(world, op), f"key-{uuid.uuid4().hex}"
        first_user = owner.users[0]

        def send(headers):
            return world.client.post(url, json=body, headers={**headers, "Idempotency-Key": key})

        first = send(owner.headers(first_user))
        if not 200 <= first.status_code < 300:
            failures.append(f"{op}: the first request failed {first.status_code} {first.data[:200]!r}")
            continue
        attempts = {
            "no scope": send(owner.headers(first_user, without(op, owner.scopes))),
            "other user": send(owner.other_headers()),
            "other organisation": send(stranger.headers(stranger.users[0])),
        }
        for who, response in attempts.items():
            # A fresh create makes a new object, so its answer differs; a fresh suspend may well not. A replay
            # repeats the status too: a 200 naming an object that already existed (an opt-out recorded
            # before) is that route's own answer, not the first one.
            if response.headers.get("Idempotent-Replayed") or (
                    first.status_code == 201 and response.status_code == 201 and response.data == first.data):
                failures.append(f"{op} ({who}): got the first answer back")
            if response.status_code >= 500:
                failures.append(f"{op} ({who}): {response.status_code}")
        refused = attempts["no scope"]
        if refused.status_code != 403 or (as_json(refused) or {}).get("code") != "insufficient_scope":
            failures.append(f"{op} (no scope): {refused.status_code} {refused.data[:120]!r}")
        again = send(owner.headers(first_user))  # the control: the key still replays to its own caller
        if again.headers.get("Idempotent-Replayed") != "true" or again.data != first.data:
            failures.append(f"{op} (same caller): no replay {again.status_code}")
        checked += 1
    assert failures == [], "\n".join(failures)
    print(f"idempotency: {checked} POST routes replay only to their own caller, after its checks")
