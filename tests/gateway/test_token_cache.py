"""Validated tokens are cached per process, yet every change that takes access away counts in every process at once.

Two `civic serve` workers each hold the token in their cache; a change committed elsewhere (here, by the
test's own app, as an admin's request or the command line would) must reach both within a second (the
caches' maximum age, the backstop, is longer: a test passing on that alone would wait 5 s).
"""
import time

import pytest
import requests

from civic.core import caching
from tests.builders import bearer

SCOPES = ("reporting:read", "reporting:write", "booking:read")
PROBES = 24  # each on a new connection, so both workers answer some


def _operator(app, fn):
    from civic.core.db import unit_of_work
    from civic.core.tenancy import place_wide

    with app.app_context(), place_wide("platform.operator"), unit_of_work():
        fn()


def _revoke_token(app, world):
    from civic.gateway import service
    from civic.gateway.models import Token, digest

    def revoke():
        from civic.core.db import session

        token = session.scalars(service.sa.select(Token).where(Token.access_token_hash == digest(world["token"]))).one()
        service.revoke_token_family(family_id=token.family_id)

    _operator(app, revoke)


def _revoke_client(app, world):
    from civic.gateway import service

    _operator(app, lambda: service.revoke_client(client=service.get_client(client_ref=world["client"].client_id)))


def _suspend_tenant(app, world):
    from civic.gateway import service

    _operator(app, lambda: service.update_tenant(tenant_ref=world["tenant"].slug, status="suspended"))


def _switch_reporting_off(app, world):
    from civic.gateway import service

    _operator(app, lambda: service.update_tenant(tenant_ref=world["tenant"].slug, components=["booking"]))


def _user_change(**changes):
    def change(app, world):
        from civic.gateway import service

        _operator(app, lambda: service.update_user(user=service.get_user(tenant_id=None, user_id=world["user"].id),
                                                   **changes))

    return change


def _refused(response) -> bool:
    return response.status_code == 401


def _cannot_write(response) -> bool:
    return response.status_code == 200 and "reporting:write" not in response.json()["scopes"]


def _reporting_off(response) -> bool:
    return response.status_code == 403 and response.json()["code"] == "component_disabled"


CHANGES = {
    "token revoked": (_revoke_token, "/v1/whoami", _refused),
    "client revoked": (_revoke_client, "/v1/whoami", _refused),
    "tenant suspended": (_suspend_tenant, "/v1/whoami", _refused),
    "component switched off": (_switch_reporting_off, "/v1/reporting/reports", _reporting_off),
    "user disabled": (_user_change(status="disabled"), "/v1/whoami", _refused),
    "user demoted": (_user_change(role="viewer"), "/v1/whoami", _cannot_write),
}


def _world(make) -> dict:
    tenant = make.tenant()
    client, shown = make.client(tenant, SCOPES)
    user = make.user(tenant, role="caseworker")
    token = make.token_for(client, shown["client_secret"], SCOPES, user=user)
    return {"tenant": tenant, "client": client, "user": user, "token": token}


def _probe(server, path: str, token: str) -> list:
    return [requests.get(server.url + path, headers={**bearer(token), "Connection": "close"}, timeout=10)
            for _ in range(PROBES)]


@pytest.mark.parametrize("name", CHANGES)
def test_a_change_counts_in_both_workers_within_a_second(app, make, live_server, name):
    change, path, seen = CHANGES[name]
    world = _world(make)
    server = live_server(workers=2)
    before = _probe(server, path, world["token"])  # both workers validate, and cache, the token
    assert not any(seen(r) for r in before), [r.status_code for r in before]
    change(app, world)
    time.sleep(1.0)
    after = _probe(server, path, world["token"])
    assert all(seen(r) for r in after), [(r.status_code, r.text[:80]) for r in after if not seen(r)]


def test_a_token_is_served_from_the_cache(app, make):
    """The second check of a token sends no SQL at all (so the tests above test a cache that is there)."""
    from bench.harness import counting_queries

    world = _world(make)
    http = app.test_client()
    assert http.get("/v1/whoami", headers=bearer(world["token"])).status_code == 200
    with counting_queries(app.extensions["civic.engine"]) as count:
        assert http.get("/v1/whoami", headers=bearer(world["token"])).status_code == 200
    assert count[0] == 0


def test_an_expired_token_is_never_accepted_from_the_cache(app, make):
    app.config["ACCESS_TOKEN_TTL"] = 2  # read when a token is minted
    world = _world(make)
    http = app.test_client()
    assert http.get("/v1/whoami", headers=bearer(world["token"])).status_code == 200  # cached
    time.sleep(2.1)
    refused = http.get("/v1/whoami", headers=bearer(world["token"]))
    assert refused.status_code == 401 and "expired" in refused.json["detail"]


def test_a_change_rolled_back_keeps_the_cache_and_one_committed_drops_it(app, make):
    from civic.core.db import session, unit_of_work
    from civic.core.tenancy import Tenant, place_wide

    world = _world(make)
    with app.app_context():
        caches = caching.caches()
        caches.put("probe", "k", "v", caches.generation())
        assert caches.get("probe", "k") == "v"
        with place_wide("tests.inspection"):
            session.get(Tenant, world["tenant"].id).name = "Renamed, then rolled back"
            session.flush()
            session.rollback()
        assert caches.get("probe", "k") == "v"
        with place_wide("tests.inspection"), unit_of_work():
            session.get(Tenant, world["tenant"].id).name = "Renamed"
        assert caches.get("probe", "k") is None


def test_a_value_read_while_a_change_landed_is_not_stored(app):
    with app.app_context():
        caches = caching.caches()
        generation = caches.generation()
        caches.changed()  # another process's change, heard while the value was being read
        caches.put("probe", "k", "stale", generation)
        assert caches.get("probe", "k") is None
