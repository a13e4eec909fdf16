"""Per-tenant Stripe keys: encrypted at rest, never shown or logged, test keys only for a sandbox client."""
import logging

import sqlalchemy as sa

from civic.core.tenancy import place_wide
from civic.payments.models import Account
from tests.payments.conftest import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET, Org

LIVE_SECRET, LIVE_PUBLISHABLE = "sk_live_" + "9" * 24, "pk_live_" + "8" * 24


def test_the_keys_are_stored_encrypted_and_only_their_last_four_shown(org, client, app, caplog):
    caplog.set_level(logging.DEBUG)
    shown = client.get("/v1/payments/account", headers=org.both)
    assert shown.get_json() == {"configured": True, "provider": "stripe", "mode": "test",
                                "secret_key_last4": SECRET_KEY[-4:], "publishable_key_last4": PUBLISHABLE_KEY[-4:],
                                "webhook_secret_last4": WEBHOOK_SECRET[-4:], "updated_at": shown.get_json()["updated_at"]}
    org.pay(client)
    from civic.core.db import session
    with app.app_context(), place_wide("tests.inspection"):
        row = session.scalars(sa.select(Account)).one()
        stored = " ".join(str(getattr(row, c.key)) for c in sa.inspect(Account).mapper.column_attrs)
    for secret in (SECRET_KEY, PUBLISHABLE_KEY, WEBHOOK_SECRET):
        assert secret not in stored
        assert secret not in shown.get_data(as_text=True)
        assert secret not in caplog.text


def test_setting_keys_needs_an_organisation_admin(org, client):
    answer = client.put("/v1/payments/account", headers=org.both, json={
        "secret_key": SECRET_KEY, "publishable_key": PUBLISHABLE_KEY, "webhook_secret": WEBHOOK_SECRET})
    assert answer.status_code == 403 and answer.get_json()["code"] == "insufficient_scope"


def test_a_sandbox_client_may_not_store_live_keys(make, client):
    sandbox = Org(make, sandbox=True, keys=False)
    answer = client.put("/v1/payments/account", headers=sandbox.admin, json={
        "secret_key": LIVE_SECRET, "publishable_key": LIVE_PUBLISHABLE, "webhook_secret": WEBHOOK_SECRET})
    assert answer.status_code == 422 and answer.get_json()["code"] == "payments_live_keys_in_sandbox"


def test_mixed_or_malformed_keys_are_refused(org, client):
    mixed = client.put("/v1/payments/account", headers=org.admin, json={
        "secret_key": SECRET_KEY, "publishable_key": LIVE_PUBLISHABLE, "webhook_secret": WEBHOOK_SECRET})
    assert mixed.status_code == 422 and mixed.get_json()["code"] == "payments_keys_mismatch"
    bad = client.put("/v1/payments/account", headers=org.admin, json={
        "secret_key": "hunter2", "publishable_key": PUBLISHABLE_KEY, "webhook_secret": "x"})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"secret_key", "webhook_secret"}
    assert "hunter2" not in bad.get_data(as_text=True)


def test_a_live_tenant_without_keys_is_not_configured(make, client):
    bare = Org(make, keys=False)
    answer = bare.pay(client)
    assert answer.status_code == 409 and answer.get_json()["code"] == "payments_not_configured"
    assert client.get("/v1/payments/account", headers=bare.both).get_json()["configured"] is False
