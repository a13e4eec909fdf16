"""Stripe unreachable, answering 500 or 429, or answering too late after making the intent: a clear 502/503,
the payment kept for reconciliation, and a retry with the same Idempotency-Key resumes the same payment."""
import pytest
import sqlalchemy as sa

from civic.core.tenancy import place_wide
from civic.payments.models import Payment, PaymentEvent
from tests.conftest import free_port
from tests.payments.conftest import pay


def _stored(app):
    from civic.core.db import session

    with app.app_context(), place_wide("tests.inspection"):
        return [(p.id, p.state, p.provider_id, p.provider_status) for p in session.scalars(sa.select(Payment))]


def _creates(proxy):
    return [call for call in proxy.calls if call[0] == "POST" and call[1] == "/v1/payment_intents"]


@pytest.mark.parametrize("mode, status, code", [("500", 502, "payment_provider_error"),
                                                ("429", 503, "payment_provider_busy"),
                                                ("late", 503, "payment_provider_unavailable")])
def test_a_failed_call_is_a_clear_problem_and_the_retry_resumes_the_same_payment(org, client, app, stripe_proxy,
                                                                                   localstripe, mode, status, code):
    stripe_proxy.mode = mode
    headers = {**org.both, "Idempotency-Key": f"order-{mode}"}
    failed = org.pay(client, headers)
    assert failed.status_code == status, failed.get_json()
    assert failed.get_json()["code"] == code and failed.headers["Retry-After"]
    assert failed.content_type == "application/problem+json"
    kept = _stored(app)
    assert [(state, provider_id, provider_status) for _, state, provider_id, provider_status in kept] == [
        ("created", None, "unknown")]

    stripe_proxy.mode = "pass"
    retried = org.pay(client, headers)
    assert retried.status_code == 201, retried.get_json()
    assert retried.get_json()["id"] == str(kept[0][0])  # the same payment, resumed
    assert len(_stored(app)) == 1
    keys = {key for _, _, key in _creates(stripe_proxy)}
    assert keys == {f"civic-payment-{kept[0][0]}"}  # Stripe was sent one idempotency key, every time
    assert pay(localstripe, retried.get_json()["provider"]["payment_intent_id"]).status == "succeeded"


def test_stripe_unreachable_is_a_503_and_nothing_else_of_the_request_is_written(org, client, app):
    app.config["PAYMENTS_STRIPE_API_BASE"] = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    answer = org.pay(client)
    assert answer.status_code == 503 and answer.get_json()["code"] == "payment_provider_unavailable"
    from civic.core.db import session
    with app.app_context(), place_wide("tests.inspection"):
        history = [(e.state, e.source) for e in session.scalars(sa.select(PaymentEvent).order_by(PaymentEvent.created_at))]
    assert history == [("created", "api"), ("created", "provider_error")]


def test_a_payment_stripe_never_answered_for_is_closed_by_reconciliation(org, client, app, stripe_proxy, worker):
    stripe_proxy.mode = "500"
    assert org.pay(client).status_code == 502
    stripe_proxy.mode = "pass"
    app.config["PAYMENTS_RECONCILE_AFTER_MINUTES"] = 0
    from civic.payments import reconcile
    from civic.core.db import unit_of_work
    from civic.core.tenancy import tenant_context
    with app.app_context(), tenant_context(org.tenant.id), unit_of_work():
        counts = reconcile.reconcile_tenant(tenant_id=org.tenant.id)
    assert counts["corrected"] == 1
    [(payment_id, state, provider_id, _)] = _stored(app)
    assert state == "error" and provider_id  # the intent made with the payment's own key, then cancelled
    got = client.get(f"/v1/payments/{payment_id}", headers=org.both).get_json()
    assert got["state"]["code"] == "P0050" and got["provider"]["status"] == "canceled"
    history = client.get(f"/v1/payments/{payment_id}/events", headers=org.both).get_json()["items"]
    assert history[-1]["source"] == "reconciliation"


def test_a_provider_failure_on_cancel_changes_nothing(org, client, stripe_proxy):
    created = org.pay(client).get_json()
    stripe_proxy.mode = "500"
    answer = client.post(f"/v1/payments/{created['id']}/cancel", headers=org.both)
    assert answer.status_code == 502
    stripe_proxy.mode = "pass"
    assert client.get(f"/v1/payments/{created['id']}", headers=org.both).get_json()["state"]["status"] == "created"
