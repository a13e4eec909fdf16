"""A charity configures its Notify key, sends by template name, and sees the message delivered."""
from tests.notify.conftest import stored


def test_a_message_is_queued_at_once_then_sent_once_with_the_real_client(app, org, worker, fake_notify):
    org.confirmation()
    answer = org.email()
    assert answer.status_code == 201, answer.json
    assert answer.json["status"] == "queued" and answer.json["template"] == "booking_confirmation"
    assert fake_notify.sent() == []
    worker.drain()
    sent = fake_notify.sent(reference=answer.json["id"])
    assert len(sent) == 1 and sent[0]["to"] == "sam@example.org"
    assert "Hello Sam" in sent[0]["body"]
    message = org.message(answer.json["id"])
    assert message["status"] == "created" and message["notify_id"] == sent[0]["id"]


def test_delivered_by_callback_and_a_final_status_is_never_replaced(app, org, worker, fake_notify):
    org.confirmation()
    message_id = org.email().json["id"]
    worker.drain()
    note = fake_notify.sent(reference=message_id)[0]
    fake_notify.set_status(note["id"], "delivered", post_callback=False)
    body = fake_notify.callback_body(note)
    assert org.callback(body).status_code == 204
    assert org.callback(body).status_code == 204  # a duplicate changes nothing
    assert org.callback({**body, "status": "sending"}).status_code == 204  # late and out of order
    assert org.message(message_id)["status"] == "delivered"
    from civic.core.events import Event

    kinds = [e.type for e in stored(app, Event) if e.subject == message_id]
    assert kinds == ["civic.notify.message_accepted", "civic.notify.message_delivered"]


def test_delivered_by_polling(app, org, worker, fake_notify):
    org.confirmation()
    message_id = org.email().json["id"]
    worker.drain()
    note = fake_notify.sent(reference=message_id)[0]
    fake_notify.set_status(note["id"], "sending", post_callback=False)
    with app.app_context():
        from civic.core.db import unit_of_work
        from civic.core.tenancy import tenant_context
        from civic.notify import delivery

        with unit_of_work(), tenant_context(org.tenant.id):
            assert delivery.poll_tenant(tenant_id=org.tenant.id) == 1
    assert org.message(message_id)["status"] == "sending"
    fake_notify.set_status(note["id"], "permanent-failure", post_callback=False)
    with app.app_context():
        from civic.core.jobs import enqueue
        from civic.core.db import unit_of_work

        with unit_of_work():
            enqueue("notify.poll", {})
    worker.drain()
    assert org.message(message_id)["status"] == "permanent-failure"


def test_a_callback_with_a_wrong_or_missing_token_is_a_401_before_its_body_is_read(app, org, other_org, worker,
                                                                                  fake_notify):
    org.confirmation()
    message_id = org.email().json["id"]
    worker.drain()
    body = {**fake_notify.callback_body(fake_notify.sent(reference=message_id)[0]), "status": "delivered"}
    for token in ("wrong-token-0123456789", other_org.callback_token):
        answer = org.callback(body, token=token)
        assert answer.status_code == 401 and answer.json["code"] == "callback_unauthenticated"
    assert org.client.post(f"/v1/notify/callbacks/{org.tenant.id}", json=body).status_code == 401
    assert org.client.post("/v1/notify/callbacks/not-a-tenant", json=body,
                           headers={"Authorization": f"Bearer {org.callback_token}"}).status_code == 401
    assert org.callback({"status": "nonsense"}, token="wrong-token-0123456789").status_code == 401
    assert org.callback({"status": "nonsense"}).json["code"] == "validation_failed"
    assert org.message(message_id)["status"] == "created"
