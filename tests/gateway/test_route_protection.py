"""Protected by default: every route needs a token with scopes, unless it is on the public list."""
import importlib
import importlib.util
import uuid

import pytest

from civic.config import ALL_COMPONENTS
from civic.core.auth import PUBLIC_ATTR, SCOPES_ATTR

# Deliberately public. Adding to this list (or to a component's tests/<name>/public_routes.py)
# is a decision a reviewer should see.
PUBLIC_ENDPOINTS = {
    "health.healthz", "health.readyz", "health.metrics",
    "docs.page", "docs.asset", "api-docs.openapi_json", "docs.problems", "docs.problem",
    "docs.guide_list", "docs.guide",
    "oauth.token", "oauth.revoke", "oauth.introspect", "oauth.metadata", "oauth.authorize",
}
PUBLIC_PREFIXES: tuple[str, ...] = ()
for _name in ALL_COMPONENTS:
    if importlib.util.find_spec(f"tests.{_name}") is None or importlib.util.find_spec(f"tests.{_name}.public_routes") is None:
        continue
    _declared = importlib.import_module(f"tests.{_name}.public_routes")
    PUBLIC_ENDPOINTS |= set(getattr(_declared, "PUBLIC_ENDPOINTS", ()))
    PUBLIC_PREFIXES += tuple(getattr(_declared, "PUBLIC_PREFIXES", ()))


def view_methods(app, rule):
    view = app.view_functions[rule.endpoint]
    view_class = getattr(view, "view_class", None)
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        yield method, getattr(view_class, method.lower()) if view_class else view


def sample_url(rule) -> str:
    values = {arg: str(uuid.uuid4()) for arg in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def all_rules(app):
    return sorted(app.url_map.iter_rules(), key=lambda r: r.rule)


def test_every_route_is_protected_or_on_the_public_list(app):
    unprotected = []
    for rule in all_rules(app):
        for method, fn in view_methods(app, rule):
            public = getattr(fn, PUBLIC_ATTR, False) or getattr(app.view_functions[rule.endpoint], PUBLIC_ATTR, False)
            listed = rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.startswith(PUBLIC_PREFIXES)
            if getattr(fn, SCOPES_ATTR, None):
                continue
            if not (public and listed):
                unprotected.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert unprotected == []


def test_every_v1_route_declares_scopes(app):
    missing = [f"{m} {r.rule}" for r in all_rules(app) if r.rule.startswith("/v1/")
               for m, fn in view_methods(app, r)
               if not getattr(fn, SCOPES_ATTR, None) and not r.endpoint.startswith(PUBLIC_PREFIXES)]
    assert missing == []


def test_every_protected_route_answers_401_without_a_token(app, client):
    checked = 0
    for rule in all_rules(app):
        for method, fn in view_methods(app, rule):
            if not getattr(fn, SCOPES_ATTR, None):
                continue
            response = client.open(sample_url(rule), method=method, json={} if method != "GET" else None)
            assert response.status_code == 401, f"{method} {rule.rule}: {response.status_code}"
            assert response.mimetype == "application/problem+json"
            checked += 1
    assert checked >= 20
    print(f"{checked} protected operations refused without a token")


@pytest.mark.parametrize("header", ["Bearer at_unknown", "Bearer "])
def test_an_invalid_token_is_never_let_through(app, client, header):
    for rule in all_rules(app):
        for method, fn in view_methods(app, rule):
            if getattr(fn, SCOPES_ATTR, None):
                response = client.open(sample_url(rule), method=method, headers={"Authorization": header})
                assert response.status_code == 401, f"{method} {rule.rule}"
