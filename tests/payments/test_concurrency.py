"""Races against a real `civic serve`: two refunds from one reading, one webhook delivered five times at once."""
import requests

from tests.helpers import together
from tests.payments.conftest import event, pay, signed


def test_refunds_and_webhooks_at_once_never_exceed_or_double(org, client, live_server, localstripe):
    server = live_server(workers=2, env={"CIVIC_PAYMENTS_STRIPE_API_BASE": localstripe,
                                         "CIVIC_RATELIMIT_ANONYMOUS": "100000 per minute"})
    payment = org.pay(client).get_json()
    intent = pay(localstripe, payment["provider"]["payment_intent_id"])
    delivery = signed(event("payment_intent.succeeded", intent.to_dict()))
    url = f"{server.url}/v1/payments/webhooks/stripe/{org.tenant.id}"
    answers = together(*[lambda: requests.post(url, data=delivery[0], headers=delivery[1], timeout=60)] * 5)
    outcomes = sorted(a.json().get("outcome") or a.json()["code"] for a in answers)
    assert outcomes.count("applied") == 1, outcomes  # the others: already received, or a 409 Stripe retries
    assert set(outcomes) <= {"applied", "already_received", "conflict", "concurrent_change"}, outcomes

    refund_url = f"{server.url}/v1/payments/{payment['id']}/refunds"
    answers = together(*[lambda: requests.post(refund_url, headers=org.both, timeout=60,
                                               json={"amount": 2000, "refund_amount_available": 2500})] * 2)
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    got = requests.get(f"{server.url}/v1/payments/{payment['id']}", headers=org.both, timeout=30).json()
    assert got["state"]["status"] == "success"
    assert got["refund_summary"] == {"status": "available", "amount_available": 500, "amount_submitted": 2000}
    history = requests.get(f"{server.url}/v1/payments/{payment['id']}/events", headers=org.both, timeout=30).json()
    assert [h["state"] for h in history["items"]].count("success") == 2  # the payment once, its one refund once
