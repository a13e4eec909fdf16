"""Bad input is a 422 naming the field; another tenant's payment is a 404; too little privilege is a 403."""
import uuid

import pytest

BASE = {"amount": 2500, "description": "Room hire", "reference": "R-1", "return_url": "https://club.example.org/paid"}


@pytest.mark.parametrize("change, field", [
    ({"amount": 0}, "amount"), ({"amount": -5}, "amount"), ({"amount": 100_000_001}, "amount"),
    ({"amount": "2500"}, "amount"), ({"amount": 25.5}, "amount"), ({"currency": "EUR"}, "currency"),
    ({"description": ""}, "description"), ({"reference": None}, "reference"), ({"return_url": "not a url"}, "return_url"),
    ({"email": "not-an-email"}, "email"),
    ({"metadata": {f"k{i}": "v" for i in range(16)}}, "metadata"),
    ({"metadata": {"k" * 31: "v"}}, "metadata"), ({"metadata": {"": "v"}}, "metadata"),
    ({"metadata": {"k": "v" * 101}}, "metadata"), ({"metadata": {"k": None}}, "metadata"),
    ({"metadata": {"k": {"nested": 1}}}, "metadata"), ({"metadata": {"k": [1]}}, "metadata"),
    ({"link": {"type": "booking.hold", "id": "nope"}}, "link"), ({"link": {"type": "Bad Type", "id": str(uuid.uuid4())}}, "link"),
    ({"link": {"type": "library.loan", "id": str(uuid.uuid4())}}, "link"),
    ({"state": "success"}, "state"), ({"id": str(uuid.uuid4())}, "id"), ({"tenant_id": str(uuid.uuid4())}, "tenant_id"),
])
def test_a_bad_payment_is_a_422_naming_the_field_and_nothing_is_made(org, client, stripe_proxy, change, field):
    answer = client.post("/v1/payments", headers=org.both, json={**BASE, **change})
    assert answer.status_code == 422, answer.get_json()
    assert answer.get_json()["code"] == "validation_failed" and field in answer.get_json()["errors"]
    assert not [c for c in stripe_proxy.calls if c[1] == "/v1/payment_intents"]
    assert client.get("/v1/payments", headers=org.both).get_json()["items"] == []


def test_pay_metadata_rules_accept_text_numbers_and_booleans(org, client):
    answer = client.post("/v1/payments", headers=org.both, json={
        **BASE, "metadata": {f"k{i}": v for i, v in enumerate(["x" * 100, 12, 3.5, True, False])}})
    assert answer.status_code == 201, answer.get_json()


def test_another_tenants_payment_is_a_404_like_a_missing_one(org, other_org, client):
    theirs = other_org.pay(client).get_json()
    missing = client.get(f"/v1/payments/{uuid.uuid4()}", headers=org.both)
    for path in ("", "/events", "/refunds", f"/refunds/{uuid.uuid4()}"):
        answer = client.get(f"/v1/payments/{theirs['id']}{path}", headers=org.both)
        assert answer.status_code == 404 and answer.get_json()["code"] == "not_found"
    for action in ("cancel", "capture"):
        assert client.post(f"/v1/payments/{theirs['id']}/{action}", headers=org.both).status_code == 404
    refund = client.post(f"/v1/payments/{theirs['id']}/refunds", headers=org.both,
                         json={"amount": 1, "refund_amount_available": 2500})
    assert refund.status_code == 404
    assert missing.get_json()["detail"] == client.get(f"/v1/payments/{theirs['id']}", headers=org.both).get_json()["detail"]
    assert client.get("/v1/payments", headers=org.both).get_json()["items"] == []
    assert client.get(f"/v1/payments/{theirs['id']}", headers=other_org.both).get_json()["state"]["status"] == "created"


def test_too_little_privilege(org, make, client):
    reader = make.headers(org.tenant, "payments:read")
    payment = org.pay(client).get_json()
    assert client.post("/v1/payments", headers=reader, json=BASE).status_code == 403
    assert client.post(f"/v1/payments/{payment['id']}/cancel", headers=reader).status_code == 403
    assert client.get("/v1/payments", headers=make.headers(org.tenant, "booking:read")).status_code == 403
    assert client.get("/v1/payments").status_code == 401


def test_a_caseworker_can_take_payments_but_a_viewer_only_reads(org, make, client):
    viewer = make.user(org.tenant, role="viewer")
    headers = make.headers(org.tenant, "payments:read", "payments:write", user=viewer)
    assert client.get("/v1/payments", headers=headers).status_code == 200
    assert client.post("/v1/payments", headers=headers, json=BASE).status_code == 403
