"""Payments against a real localstripe: create, pay with a test card, webhook, cancel, capture, search, history."""
import datetime as dt

from tests.payments.conftest import (CARD_DECLINED, CARD_OK, PUBLISHABLE_KEY, event, intent_object, pay, signed)


def _succeed(org, client, localstripe, payment):
    intent = pay(localstripe, payment["provider"]["payment_intent_id"], CARD_OK)
    answer = org.webhook(client, signed(event("payment_intent.succeeded", intent.to_dict())))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_a_payment_is_created_with_a_payment_intent_and_succeeds_through_a_signed_webhook(org, client, localstripe):
    answer = org.pay(client, email="Sam@Example.org", metadata={"room": "Main hall", "hours": 2, "paid_online": True})
    assert answer.status_code == 201, answer.get_json()
    created = answer.get_json()
    assert created["client_secret"].startswith(created["provider"]["payment_intent_id"] + "_secret_")
    assert created["publishable_key"] == PUBLISHABLE_KEY
    assert created["state"] == {"status": "created", "finished": False, "code": None, "message": None}
    assert created["provider"]["name"] == "stripe" and created["provider"]["status"] == "requires_payment_method"
    assert created["email"] == "sam@example.org" and created["metadata"]["hours"] == 2
    assert created["refund_summary"] == {"status": "unavailable", "amount_available": 0, "amount_submitted": 0}

    assert _succeed(org, client, localstripe, created)["outcome"] == "applied"
    got = client.get(f"/v1/payments/{created['id']}", headers=org.both).get_json()
    assert got["state"] == {"status": "success", "finished": True, "code": None, "message": None}
    assert got["provider"]["status"] == "succeeded"
    assert "client_secret" not in got  # shown once, in the answer that created the payment
    assert got["refund_summary"] == {"status": "available", "amount_available": 2500, "amount_submitted": 0}
    history = client.get(f"/v1/payments/{created['id']}/events", headers=org.both).get_json()["items"]
    assert [(h["state"], h["source"]) for h in history] == [("created", "api"), ("success", "webhook")]


def test_a_declined_card_fails_the_payment_with_p0010_and_its_intent_is_cancelled(org, client, localstripe, worker):
    created = org.pay(client).get_json()
    intent = pay(localstripe, created["provider"]["payment_intent_id"], CARD_DECLINED)
    assert intent.status == "requires_payment_method" and intent.last_payment_error
    assert org.webhook(client, signed(event("payment_intent.payment_failed", intent.to_dict()))).status_code == 200
    got = client.get(f"/v1/payments/{created['id']}", headers=org.both).get_json()
    assert got["state"] == {"status": "failed", "finished": True, "code": "P0010", "message": "Payment method rejected"}
    worker.drain()
    from tests.payments.conftest import page
    assert page(localstripe).v1.payment_intents.retrieve(created["provider"]["payment_intent_id"]).status == "canceled"


def test_cancel_by_the_service_is_p0040_and_a_finished_payment_cannot_be_cancelled(org, client):
    created = org.pay(client).get_json()
    answer = client.post(f"/v1/payments/{created['id']}/cancel", headers=org.both)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["state"]["status"] == "cancelled" and answer.get_json()["state"]["code"] == "P0040"
    assert answer.get_json()["provider"]["status"] == "canceled"
    again = client.post(f"/v1/payments/{created['id']}/cancel", headers=org.both)
    assert again.status_code == 409 and again.get_json()["code"] == "payment_not_cancellable"


def test_delayed_capture_waits_as_capturable_then_capture_takes_the_money(org, client, localstripe):
    created = org.pay(client, delayed_capture=True).get_json()
    intent = pay(localstripe, created["provider"]["payment_intent_id"], CARD_OK)
    assert intent.status == "requires_capture"
    org.webhook(client, signed(event("payment_intent.amount_capturable_updated", intent.to_dict())))
    assert client.get(f"/v1/payments/{created['id']}", headers=org.both).get_json()["state"]["status"] == "capturable"
    captured = client.post(f"/v1/payments/{created['id']}/capture", headers=org.both)
    assert captured.status_code == 200, captured.get_json()
    assert captured.get_json()["state"]["status"] == "success" and captured.get_json()["captured_at"]
    not_again = client.post(f"/v1/payments/{created['id']}/capture", headers=org.both)
    assert not_again.status_code == 409 and not_again.get_json()["code"] == "payment_not_capturable"


def test_search_by_state_reference_email_and_dates_in_cursor_pages(org, client, localstripe):
    first = org.pay(client, reference="BW-1", email="a@example.org").get_json()
    org.pay(client, reference="BW-2", email="b@example.org")
    org.pay(client, reference="BW-2")
    _succeed(org, client, localstripe, first)

    def search(**query):
        answer = client.get("/v1/payments", headers=org.both, query_string=query)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    assert [p["reference"] for p in search(state="success")["items"]] == ["BW-1"]
    assert len(search(reference="BW-2")["items"]) == 2
    assert [p["reference"] for p in search(email="B@example.org")["items"]] == ["BW-2"]
    page1 = search(limit=2)
    assert len(page1["items"]) == 2 and page1["next"]
    assert len(search(limit=2, after=page1["next"])["items"]) == 1
    tomorrow = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).isoformat()
    assert search(from_date=tomorrow)["items"] == []
    assert len(search(to_date=tomorrow)["items"]) == 3


def test_a_webhook_moving_backwards_or_repeated_changes_nothing(org, client, localstripe):
    created = org.pay(client).get_json()
    intent_id = created["provider"]["payment_intent_id"]
    succeeded = event("payment_intent.succeeded", intent_object(intent_id, "succeeded"))
    assert org.webhook(client, signed(succeeded)).get_json()["outcome"] == "applied"
    assert org.webhook(client, signed(succeeded)).get_json() == {"received": True, "duplicate": True,
                                                                 "outcome": "already_received"}
    late = [event("payment_intent.processing", intent_object(intent_id, "processing")),
            event("payment_intent.payment_failed", intent_object(intent_id, "requires_payment_method",
                                                                 last_payment_error={"code": "card_declined"})),
            event("payment_intent.canceled", intent_object(intent_id, "canceled"))]
    for item in late:
        assert org.webhook(client, signed(item)).get_json()["outcome"] == "no_change"
    got = client.get(f"/v1/payments/{created['id']}", headers=org.both).get_json()
    assert got["state"]["status"] == "success" and got["provider"]["status"] == "succeeded"


def test_out_of_order_events_end_in_the_latest_state(org, client):
    created = org.pay(client).get_json()
    intent_id = created["provider"]["payment_intent_id"]
    for kind, status in (("payment_intent.requires_action", "requires_action"),
                         ("payment_intent.succeeded", "succeeded"), ("payment_intent.processing", "processing")):
        org.webhook(client, signed(event(kind, intent_object(intent_id, status))))
    history = client.get(f"/v1/payments/{created['id']}/events", headers=org.both).get_json()["items"]
    assert [h["state"] for h in history] == ["created", "started", "success"]
