"""The tests' builders: `make.thing(tenant, **overrides)` over the shared `create_*` builders in bench.builders.

Each builder commits its own unit of work (or makes its object over the HTTP API), so what it
returns exists for every later request. Tokens come from the OAuth server's grants (bench.builders.mint_token):
client credentials for an app, the authorization-code grant with PKCE for a person (`user=`).
"""
from bench import builders
from bench.builders import (PASSWORD, STAFF_APP, WEEKDAYS, BuildFailed, bearer, create_booking,  # noqa: F401
                            create_category, create_client, create_report, create_resource, create_tenant,
                            create_token, create_user, mint_token, person_token, post_booking, store_token)

BOOKING = ("booking:read", "booking:write")
REPORTING = ("reporting:read", "reporting:write")


class Builders:
    """Fixture builders in the style `make.resource(tenant, **overrides)`."""

    def __init__(self, app):
        self.app = app
        self.http = app.test_client()
        self._callers: dict = {}  # (tenant id, scopes) -> headers, for the component builders below

    def _run(self, fn):
        return builders._run(self.app, fn)

    # --- gateway ---------------------------------------------------------------------
    def tenant(self, slug: str | None = None, **overrides):
        return create_tenant(self.app, slug, **overrides)

    def client(self, tenant, scopes=("booking:read",), **overrides):
        """Returns (client, shown secrets)."""
        return create_client(self.app, tenant, scopes, **overrides)

    def user(self, tenant, email: str | None = None, role: str = "caseworker", password: str = PASSWORD):
        return create_user(self.app, tenant, email, role, password)

    def token(self, tenant, *scopes: str, user=None, **client_overrides) -> str:
        """A token of a fresh client of `tenant` holding `scopes` (a person's, with `user`)."""
        return create_token(self.app, tenant, *scopes, user=user, **client_overrides)

    def token_for(self, client, secret: str, scopes=None, *, user=None) -> str:
        """Another token of an existing client (a person's, with `user`)."""
        return mint_token(self.app, client, secret, scopes, user=user)

    def headers(self, tenant, *scopes: str, **kwargs) -> dict:
        """`Authorization` header for a fresh token of `tenant` with `scopes`."""
        return bearer(self.token(tenant, *scopes, **kwargs))

    def caller(self, tenant, scopes) -> dict:
        """Headers of one client per (tenant, scopes), made once per test: for builders, not for tests of clients."""
        key = (tenant.id, tuple(sorted(scopes)))
        if key not in self._callers:
            self._callers[key] = self.headers(tenant, *key[1])
        return self._callers[key]

    # --- components, over the API ---------------------------------------------------------
    def resource(self, tenant, **overrides) -> dict:
        return create_resource(self.http, self.caller(tenant, BOOKING), **overrides)

    def booking(self, tenant, resource: dict, start: str, **overrides) -> dict:
        return create_booking(self.http, self.caller(tenant, BOOKING), resource["id"], start, **overrides)

    def category(self, tenant, **overrides) -> dict:
        return create_category(self.http, self.caller(tenant, REPORTING), **overrides)

    def report(self, tenant, **overrides) -> dict:
        return create_report(self.http, self.caller(tenant, REPORTING), **overrides)
