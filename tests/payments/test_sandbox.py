"""A sandbox client with no Stripe keys: the simulated provider plays Stripe's test cards, every path."""
import pytest

from tests.payments.conftest import Org


@pytest.fixture
def sandbox(make):
    return Org(make, sandbox=True, keys=False)


def _play(client, org, payment, **body):
    answer = client.post(f"/v1/payments/{payment['id']}/simulate", headers=org.both, json=body)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


@pytest.mark.parametrize("card, status, code", [("4242424242424242", "success", None),
                                                ("4000000000000002", "failed", "P0010"),
                                                ("4000000000000119", "error", "P0050")])
def test_a_card_decides_the_outcome(sandbox, client, stripe_proxy, card, status, code):
    payment = sandbox.pay(client).get_json()
    assert payment["provider"]["name"] == "simulated" and payment["client_secret"]
    played = _play(client, sandbox, payment, card_number=card)
    assert (played["state"]["status"], played["state"]["code"]) == (status, code)
    assert stripe_proxy.calls == []  # no Stripe at all


def test_authentication_then_pass_or_fail(sandbox, client):
    payment = sandbox.pay(client).get_json()
    assert _play(client, sandbox, payment, card_number="4000002500003155")["state"]["status"] == "started"
    assert _play(client, sandbox, payment, authenticate=True)["state"]["status"] == "success"
    other = sandbox.pay(client).get_json()
    _play(client, sandbox, other, card_number="4000002500003155")
    assert _play(client, sandbox, other, authenticate=False)["state"]["code"] == "P0010"


def test_delayed_capture_refund_and_a_finished_payment_takes_no_more_cards(sandbox, client):
    payment = sandbox.pay(client, delayed_capture=True).get_json()
    assert _play(client, sandbox, payment, card_number="4242424242424242")["state"]["status"] == "capturable"
    assert client.post(f"/v1/payments/{payment['id']}/capture", headers=sandbox.both).get_json()["state"]["status"] == "success"
    refund = client.post(f"/v1/payments/{payment['id']}/refunds", headers=sandbox.both,
                         json={"amount": 2500, "refund_amount_available": 2500})
    assert refund.status_code == 201 and refund.get_json()["state"] == "success"
    again = client.post(f"/v1/payments/{payment['id']}/simulate", headers=sandbox.both, json={"card_number": "4242424242424242"})
    assert again.status_code == 409 and again.get_json()["code"] == "payment_finished"


def test_a_live_client_never_sees_test_payments_and_cannot_simulate_on_stripe(sandbox, make, client, org):
    test_payment = sandbox.pay(client).get_json()
    live = make.headers(sandbox.tenant, "payments:read", "payments:write")
    assert client.get(f"/v1/payments/{test_payment['id']}", headers=live).status_code == 404
    assert client.get("/v1/payments", headers=live).get_json()["items"] == []
    real = org.pay(client).get_json()
    answer = client.post(f"/v1/payments/{real['id']}/simulate", headers=org.both, json={"card_number": "4242424242424242"})
    assert answer.status_code == 409 and answer.get_json()["code"] == "payments_simulation_only"


def test_an_unknown_card_is_a_422(sandbox, client):
    payment = sandbox.pay(client).get_json()
    answer = client.post(f"/v1/payments/{payment['id']}/simulate", headers=sandbox.both, json={"card_number": "1234"})
    assert answer.status_code == 422 and "card_number" in answer.get_json()["errors"]
