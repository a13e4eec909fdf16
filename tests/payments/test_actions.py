"""`payments.create`, as a flow's step calls it: a real payment through Stripe (localstripe), resumed, not
repeated, when the step is retried with the same key; refused clearly when the organisation has no account."""
import marshmallow as ma
import pytest

from civic.core import actions
from civic.core.db import unit_of_work
from civic.core.errors import Problem
from tests.payments.conftest import Org

BODY = {"amount": 2500, "description": "Bulky waste collection", "reference": "BULKY-1",
        "return_url": "https://council.example.org/paid"}


def create(app, tenant, **data):
    with app.app_context(), unit_of_work():
        return actions.run("payments.create", tenant_id=tenant.id, data={**BODY, **data})


def test_a_step_makes_one_payment_however_often_it_is_retried(app, client, org):
    first = create(app, org.tenant, idempotency_key="run-1/step-2")
    again = create(app, org.tenant, idempotency_key="run-1/step-2")
    assert first["id"] == again["id"] and first["client_secret"] == again["client_secret"]
    assert create(app, org.tenant, idempotency_key="run-2/step-2")["id"] != first["id"]
    shown = client.get(f"/v1/payments/{first['id']}", headers=org.both)
    assert shown.status_code == 200 and shown.get_json()["amount"] == 2500
    listed = client.get("/v1/payments", headers=org.both).get_json()["items"]
    assert len(listed) == 2


def test_bad_input_and_a_missing_account_are_refused_and_nothing_is_made(app, client, make):
    bare = Org(make, keys=False)
    with pytest.raises(ma.ValidationError):
        create(app, bare.tenant, amount=0)
    with pytest.raises(Problem) as refused:
        create(app, bare.tenant)
    assert refused.value.code == "payments_not_configured"
    assert client.get("/v1/payments", headers=bare.both).get_json()["items"] == []
