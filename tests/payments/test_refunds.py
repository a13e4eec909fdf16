"""Refunds: full or partial, several, never more than remains; a stale refund_amount_available is a 409."""
from tests.payments.conftest import event, pay, signed


def _paid(org, client, localstripe, amount=2500):
    payment = org.pay(client, amount=amount).get_json()
    intent = pay(localstripe, payment["provider"]["payment_intent_id"])
    org.webhook(client, signed(event("payment_intent.succeeded", intent.to_dict())))
    return payment


def _refund(client, org, payment, amount, available, **extra):
    return client.post(f"/v1/payments/{payment['id']}/refunds", headers={**org.both, **extra},
                       json={"amount": amount, "refund_amount_available": available})


def test_partial_refunds_up_to_the_amount_then_nothing_more(org, client, localstripe):
    payment = _paid(org, client, localstripe)
    first = _refund(client, org, payment, 1000, 2500)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["state"] == "success" and first.get_json()["payment_id"] == payment["id"]
    stale = _refund(client, org, payment, 500, 2500)
    assert stale.status_code == 409 and stale.get_json()["code"] == "refund_amount_available_mismatch"
    too_much = _refund(client, org, payment, 1501, 1500)
    assert too_much.status_code == 422 and too_much.get_json()["code"] == "refund_exceeds_available"
    assert _refund(client, org, payment, 1500, 1500).status_code == 201
    got = client.get(f"/v1/payments/{payment['id']}", headers=org.both).get_json()
    assert got["refund_summary"] == {"status": "full", "amount_available": 0, "amount_submitted": 2500}
    assert _refund(client, org, payment, 1, 0).get_json()["code"] == "refund_exceeds_available"
    listed = client.get(f"/v1/payments/{payment['id']}/refunds", headers=org.both).get_json()["items"]
    assert [r["amount"] for r in listed] == [1000, 1500]
    every = client.get("/v1/payments/refunds", headers=org.both).get_json()["items"]
    assert {r["id"] for r in every} == {r["id"] for r in listed}
    one = client.get(f"/v1/payments/{payment['id']}/refunds/{listed[0]['id']}", headers=org.both)
    assert one.status_code == 200 and one.get_json()["amount"] == 1000


def test_an_unfinished_payment_cannot_be_refunded(org, client):
    payment = org.pay(client).get_json()
    answer = _refund(client, org, payment, 100, 0)
    assert answer.status_code == 409 and answer.get_json()["code"] == "payment_not_refundable"


def test_a_refund_retried_with_the_same_key_after_stripe_failed_is_made_once(org, client, localstripe, stripe_proxy):
    payment = _paid(org, client, localstripe)
    stripe_proxy.mode = "late"
    assert _refund(client, org, payment, 700, 2500, **{"Idempotency-Key": "refund-1"}).status_code == 503
    stripe_proxy.mode = "pass"
    # The kept refund already counts against what is left: the caller reads it again, and retries.
    assert client.get(f"/v1/payments/{payment['id']}", headers=org.both).get_json()["refund_summary"]["amount_available"] == 1800
    again = _refund(client, org, payment, 700, 2500, **{"Idempotency-Key": "refund-1"})
    assert again.status_code == 201, again.get_json()
    keys = {call[2] for call in stripe_proxy.calls if call[1] == "/v1/refunds"}
    assert keys == {f"civic-refund-{again.get_json()['id']}"}
    assert len(client.get(f"/v1/payments/{payment['id']}/refunds", headers=org.both).get_json()["items"]) == 1


def test_refund_webhooks_out_of_order_and_refunds_made_in_the_stripe_dashboard(org, client, localstripe):
    payment = _paid(org, client, localstripe)
    refund = _refund(client, org, payment, 400, 2500).get_json()
    # A refund made in Stripe's dashboard arrives by webhook only (localstripe sends none: we sign our own).
    intent_id = payment["provider"]["payment_intent_id"]
    outside = {"id": "re_dashboard_1", "object": "refund", "amount": 600, "status": "pending", "payment_intent": intent_id}
    assert org.webhook(client, signed(event("refund.created", outside))).get_json()["outcome"] == "no_change"
    done = {**outside, "status": "succeeded"}
    assert org.webhook(client, signed(event("refund.updated", done))).get_json()["outcome"] == "applied"
    assert org.webhook(client, signed(event("refund.updated", {**outside, "status": "pending"}))).get_json()["outcome"] == "no_change"
    charge = {"id": "ch_1", "object": "charge", "payment_intent": intent_id,
              "refunds": {"data": [{**done}, {"id": "re_too_big", "amount": 99999, "status": "succeeded",
                                              "payment_intent": intent_id}]}}
    assert org.webhook(client, signed(event("charge.refunded", charge))).get_json()["outcome"] == "refund_does_not_fit"
    states = {r["amount"]: r["state"] for r in client.get(f"/v1/payments/{payment['id']}/refunds",
                                                          headers=org.both).get_json()["items"]}
    assert states == {400: "success", 600: "success"} and refund["state"] == "success"
    got = client.get(f"/v1/payments/{payment['id']}", headers=org.both).get_json()
    assert got["refund_summary"]["amount_available"] == 1500
