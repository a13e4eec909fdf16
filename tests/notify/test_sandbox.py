"""A sandbox client sends through the simulated Notify in process, which behaves like a Notify test key."""
import pytest

from tests.notify.conftest import Org

DEMO_EMAIL = "6f9bd7a3-5d2c-4b8e-9a41-0c5a7e3b1d01"
DEMO_SMS = "6f9bd7a3-5d2c-4b8e-9a41-0c5a7e3b1d02"
FIELDS = {"name": "Sam", "resource": "Community room", "start": "Monday", "booking_reference": "RB-1"}


@pytest.fixture
def sandbox(make, client, fake_notify):
    org = Org(make, client, fake_notify, sandbox=True)
    for name, template_id, channel in (("booking_confirmation", DEMO_EMAIL, "email"),
                                       ("collection_reminder", DEMO_SMS, "sms")):
        answer = client.post("/v1/notify/templates", headers=org.headers,
                             json={"name": name, "notify_template_id": template_id, "channel": channel})
        assert answer.status_code == 201, answer.json
    return org


@pytest.mark.parametrize("to,status", [("sam@example.org", "delivered"),
                                       ("temp-fail@simulator.notify", "temporary-failure"),
                                       ("perm-fail@simulator.notify", "permanent-failure")])
def test_simulated_addresses_give_their_documented_outcome(sandbox, worker, fake_notify, to, status):
    message_id = sandbox.email(to=to).json["id"]
    worker.drain()
    assert sandbox.message(message_id)["status"] == status
    assert fake_notify.sent() == []  # nothing left the process


@pytest.mark.parametrize("number,status", [("07700900000", "delivered"), ("07700900003", "temporary-failure"),
                                           ("07700900002", "permanent-failure")])
def test_simulated_numbers_give_their_documented_outcome(sandbox, worker, number, status):
    answer = sandbox.send(template="collection_reminder", phone_number=number, personalisation={"date": "Friday"})
    assert answer.status_code == 201, answer.json
    worker.drain()
    assert sandbox.message(answer.json["id"])["status"] == status


def test_a_sandbox_clients_messages_are_not_a_live_clients(make, sandbox, worker):
    message_id = sandbox.email().json["id"]
    live = make.headers(sandbox.tenant, "notify:read")
    assert sandbox.client.get(f"/v1/notify/messages/{message_id}", headers=live).status_code == 404
    assert sandbox.client.get("/v1/notify/config", headers=live).json["code"] == "notify_not_configured"
