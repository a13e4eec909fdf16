"""Forged, replayed, stale and wrong-tenant webhooks change nothing."""
import time

import sqlalchemy as sa

from civic.core.tenancy import place_wide
from civic.payments.models import Webhook
from tests.payments.conftest import WEBHOOK_SECRET, event, intent_object, signed


def _state(client, org, payment):
    return client.get(f"/v1/payments/{payment['id']}", headers=org.both).get_json()["state"]["status"]


def _succeeded(payment):
    return event("payment_intent.succeeded", intent_object(payment["provider"]["payment_intent_id"], "succeeded"))


def _refused(answer):
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["code"] == "webhook_signature_invalid"


def test_a_forged_signature_is_refused(org, client):
    payment = org.pay(client).get_json()
    _refused(org.webhook(client, signed(_succeeded(payment), secret="whsec_" + "f" * 32)))
    body, headers = signed(_succeeded(payment))
    _refused(org.webhook(client, (body.replace(b"succeeded", b"succeeded "), headers)))  # body changed after signing
    _refused(org.webhook(client, (body, {"Content-Type": "application/json"})))  # no signature at all
    assert _state(client, org, payment) == "created"


def test_a_stale_timestamp_is_refused_even_correctly_signed(org, client):
    payment = org.pay(client).get_json()
    _refused(org.webhook(client, signed(_succeeded(payment), at=int(time.time()) - 3600)))
    assert _state(client, org, payment) == "created"


def test_a_replayed_event_takes_effect_once(org, client, app):
    payment = org.pay(client).get_json()
    delivery = signed(_succeeded(payment))
    outcomes = [org.webhook(client, delivery).get_json()["duplicate"] for _ in range(3)]
    assert outcomes == [False, True, True]
    from civic.core.db import session
    with app.app_context(), place_wide("tests.inspection"):
        assert session.scalar(sa.select(sa.func.count()).select_from(Webhook)) == 1


def test_an_event_naming_another_tenants_intent_changes_nothing(org, other_org, client):
    theirs = other_org.pay(client).get_json()
    # Signed with our own secret (both organisations happen to use the same here), sent to our address.
    answer = org.webhook(client, signed(_succeeded(theirs)))
    assert answer.status_code == 200 and answer.get_json()["outcome"] == "unknown_payment"
    assert _state(client, other_org, theirs) == "created"


def test_an_event_for_one_tenant_sent_to_another_tenants_address_is_refused(org, make, client):
    from tests.payments.conftest import Org
    other = Org(make, keys=False)
    other.set_keys(webhook="whsec_" + "0badc0de" * 4)
    payment = org.pay(client).get_json()
    _refused(other.webhook(client, signed(_succeeded(payment), secret=WEBHOOK_SECRET)))
    _refused(org.webhook(client, signed(_succeeded(payment)), tenant="no-such-organisation"))
    assert _state(client, org, payment) == "created"


def test_the_webhook_needs_no_token_but_a_garbled_body_is_a_problem_not_a_500(org, client):
    answer = client.post(f"/v1/payments/webhooks/stripe/{org.tenant.id}", data=b"{not json",
                         headers={"Content-Type": "application/json", "Stripe-Signature": "t=1,v1=00"})
    assert answer.status_code == 400 and answer.content_type == "application/problem+json"


def test_events_taken_into_account_are_forgotten_after_stripes_retry_window_and_no_sooner(org, other_org, client, app):
    """Reconciliation forgets this organisation's Stripe events older than WEBHOOKS_KEPT, in its own world."""
    import datetime as dt

    from civic.core.db import session, utcnow
    from civic.payments import reconcile
    mine, theirs = org.pay(client).get_json(), other_org.pay(client).get_json()
    for owner, payment in ((org, mine), (other_org, theirs)):
        assert owner.webhook(client, signed(_succeeded(payment))).status_code == 200
    recent = event("payment_intent.processing", intent_object(mine["provider"]["payment_intent_id"], "processing"))
    assert org.webhook(client, signed(recent)).status_code == 200
    with app.app_context(), place_wide("tests.inspection"):
        session.execute(sa.update(Webhook).where(Webhook.type == "payment_intent.succeeded")
                        .values(received_at=utcnow() - reconcile.WEBHOOKS_KEPT - dt.timedelta(minutes=1)))
        session.commit()
    app.config["PAYMENTS_RECONCILE_AFTER_MINUTES"] = 0
    with app.app_context():
        from civic.core.tenancy import tenant_context
        with tenant_context(org.tenant.id):
            counts = reconcile.reconcile_tenant(tenant_id=org.tenant.id)
            session.commit()
    assert counts["webhooks_forgotten"] == 1
    with app.app_context(), place_wide("tests.inspection"):
        left = sorted((str(w.tenant_id) == str(org.tenant.id), w.type) for w in session.scalars(sa.select(Webhook)))
    assert left == [(False, "payment_intent.succeeded"), (True, "payment_intent.processing")]
