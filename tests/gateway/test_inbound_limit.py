"""Providers' webhooks and delivery receipts (`@inbound`) spend their own budget, per address and URL.

Stripe and GOV.UK Notify call from a few addresses in bursts: on the anonymous per-address budget they
would be turned away (and a visitor's browsing would spend the organisations' receipts). Each inbound URL
has its own budget, so one organisation's burst, or a forger's, never spends another's.
"""
import uuid

import pytest

from civic.core.auth import INBOUND_ATTR


@pytest.fixture
def app_config():
    return {"RATELIMIT_ANONYMOUS": "2 per minute", "RATELIMIT_INBOUND": "4 per minute"}


def inbound_rules(app):
    found = []
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            handler = getattr(view_class, method.lower(), None) if view_class else app.view_functions[rule.endpoint]
            if getattr(handler, INBOUND_ATTR, False):
                found.append((rule, method))
    return found


def url_for_rule(rule) -> str:
    return rule.build({name: str(uuid.uuid4()) for name in rule.arguments}, append_unknown=False)[1]


def test_the_providers_routes_are_inbound(app):
    paths = {rule.rule for rule, _ in inbound_rules(app)}
    assert any(p.startswith("/v1/payments/webhooks/stripe/") for p in paths), paths
    assert any(p.startswith("/v1/notify/callbacks/") for p in paths), paths


def test_each_inbound_url_has_its_own_budget_apart_from_visitors(app, client):
    rules = inbound_rules(app)
    assert rules
    for rule, method in rules:
        url, other = url_for_rule(rule), url_for_rule(rule)
        answers = [client.open(url, method=method, json={}).status_code for _ in range(5)]
        assert 429 not in answers[:4] and answers[4] == 429, (rule.rule, answers)
        assert client.open(other, method=method, json={}).status_code != 429, rule.rule  # another organisation's
    # Visitors' own budget was not spent by any of it.
    visitor = [client.get("/open311/v2/services.json").status_code for _ in range(3)]
    assert visitor[:2] == [200, 200] and visitor[2] == 429
