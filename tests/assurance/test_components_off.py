"""A component switched off is unreachable: 403 `component_disabled` for that organisation, 404 when the platform drops it.

Walks the URL map: every /v1/<component>/... route of every component the app runs.
"""
from civic.app import create_app

from tests.assurance.catalogue import as_json, operations, random_values
from tests.builders import bearer
from tests.conftest import config_for


def component_of(path: str, components) -> str | None:
    part = path.split("/")[2] if path.count("/") >= 2 else ""
    return part if part in components else None


def by_component(app) -> dict[str, list]:
    found: dict[str, list] = {}
    for op in operations(app):
        name = component_of(op.path, app.config["COMPONENTS"])
        if name:
            found.setdefault(name, []).append(op)
    return found


def token_for(make, tenant, scopes) -> dict:
    """A token carrying `scopes` (whether or not the organisation has their component)."""
    client, shown = make.client(tenant, sorted(scopes))
    return bearer(make.token_for(client, shown["client_secret"], sorted(scopes)))


def test_an_organisation_without_a_component_is_refused_on_every_route_of_it(app, client, make):
    components = app.config["COMPONENTS"]
    ops_by_component = by_component(app)
    assert {"booking", "reporting"} <= set(ops_by_component)
    failures, checked = [], 0
    for name, ops in ops_by_component.items():
        tenant = make.tenant(components=[c for c in components if c != name])
        for op in (op for op in ops if op.protected):
            headers = token_for(make, tenant, op.tenant_scopes())
            response = client.open(op.url(random_values(op)), method=op.method, headers=headers)
            body = as_json(response) or {}
            if response.status_code != 403 or body.get("code") != "component_disabled":
                failures.append(f"{op}: {response.status_code} {body.get('code')}")
            checked += 1
    assert failures == []
    assert checked >= 30
    print(f"components off: {checked} route x method pairs answered 403 component_disabled")


def test_an_organisation_with_the_component_gets_past_the_check(app, client, make):
    """The control: the same tokens on an organisation that has every component are not refused for it."""
    tenant = make.tenant()
    for ops in by_component(app).values():
        for op in (op for op in ops if op.protected):
            response = client.open(op.url(random_values(op)), method=op.method,
                                   headers=token_for(make, tenant, op.tenant_scopes()))
            assert (as_json(response) or {}).get("code") != "component_disabled", str(op)


def test_a_component_the_platform_does_not_run_has_no_routes(app, database_url, make):
    components = app.config["COMPONENTS"]
    tenant = make.tenant()
    for name, ops in by_component(app).items():
        smaller = create_app(config_for(database_url, COMPONENTS=[c for c in components if c != name]))
        try:
            client = smaller.test_client()
            for op in ops:
                headers = token_for(make, tenant, op.tenant_scopes()) if op.protected else {}
                response = client.open(op.url(random_values(op)), method=op.method, headers=headers)
                assert response.status_code == 404, f"{op} without {name}: {response.status_code}"
                assert response.mimetype == "application/problem+json"
        finally:
            smaller.extensions["civic.engine"].dispose()
