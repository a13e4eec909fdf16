"""End to end: a booking hold paid for becomes a booking; a failed or expired payment gives the place back.
Every declared payments event is emitted by these flows with its declared payload. Expiry and reconciliation."""
import datetime as dt
import uuid

import sqlalchemy as sa

from civic.core import events
from civic.core.db import session, unit_of_work
from civic.core.jobs import Job
from civic.core.tenancy import place_wide
from civic.payments.models import Payment
from tests.booking.conftest import at, iso, next_weekday
from tests.booking.test_service import events_of
from tests.builders import create_resource
from tests.helpers import check_payloads
from tests.payments.conftest import CARD_DECLINED, event, pay, page, signed


def _hold(client, headers, resource, hour):
    answer = client.post("/v1/booking/holds", headers=headers, json={
        "resource_id": resource["id"], "start": iso(at(next_weekday(2), hour)), "minutes": 60})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _let_it_expire(app, payment_id):
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        session.execute(sa.update(Payment).where(Payment.id == uuid.UUID(payment_id)).values(expires_at=past))
        session.execute(sa.update(Job).where(Job.name == "payments.expire").values(run_at=past))


def test_a_paid_hold_becomes_a_booking_and_failed_or_expired_payments_release_theirs(org, make, client, app,
                                                                                        localstripe, worker):
    booking = make.headers(org.tenant, "booking:read", "booking:write")
    room = create_resource(client, booking)
    paid, declined, lapsed = (_hold(client, booking, room, hour) for hour in ("10:00", "11:00", "12:00"))
    payments = {name: org.pay(client, link={"type": "booking.hold", "id": held["id"]}).get_json()
                for name, held in (("paid", paid), ("declined", declined), ("lapsed", lapsed))}

    intent = pay(localstripe, payments["paid"]["provider"]["payment_intent_id"])
    org.webhook(client, signed(event("payment_intent.succeeded", intent.to_dict())))
    failed = pay(localstripe, payments["declined"]["provider"]["payment_intent_id"], CARD_DECLINED)
    org.webhook(client, signed(event("payment_intent.payment_failed", failed.to_dict())))
    _let_it_expire(app, payments["lapsed"]["id"])
    worker.drain()

    def hold_now(held):
        return client.get(f"/v1/booking/holds/{held['id']}", headers=booking).get_json()

    confirmed = hold_now(paid)
    assert confirmed["status"] == "confirmed" and confirmed["booking_id"]
    made = client.get(f"/v1/booking/bookings/{confirmed['booking_id']}", headers=booking).get_json()
    assert made["metadata"]["payment_id"] == payments["paid"]["id"]
    assert hold_now(declined)["status"] == "released" and hold_now(lapsed)["status"] == "released"
    expired = client.get(f"/v1/payments/{payments['lapsed']['id']}", headers=org.both).get_json()
    assert expired["state"] == {"status": "failed", "finished": True, "code": "P0020", "message": "Payment expired"}
    assert page(localstripe).v1.payment_intents.retrieve(expired["provider"]["payment_intent_id"]).status == "canceled"

    # A repeated success event changes nothing: still one booking.
    org.webhook(client, signed(event("payment_intent.succeeded", intent.to_dict())))
    worker.drain()
    assert len(client.get("/v1/booking/bookings", headers=booking).get_json()["items"]) == 1


def test_every_payments_event_is_emitted_with_its_declared_payload(org, client, app, localstripe, worker):
    hold_id = str(uuid.uuid4())
    ok = org.pay(client, link={"type": "booking.hold", "id": hold_id}).get_json()
    org.webhook(client, signed(event("payment_intent.succeeded", pay(localstripe, ok["provider"]["payment_intent_id"]).to_dict())))
    refund = client.post(f"/v1/payments/{ok['id']}/refunds", headers=org.both,
                         json={"amount": 100, "refund_amount_available": 2500}).get_json()
    bounced = {"id": "re_bounced", "object": "refund", "amount": 200, "status": "failed",
               "payment_intent": ok["provider"]["payment_intent_id"]}
    org.webhook(client, signed(event("refund.failed", bounced)))
    bad = org.pay(client).get_json()
    org.webhook(client, signed(event("payment_intent.payment_failed",
                                     pay(localstripe, bad["provider"]["payment_intent_id"], CARD_DECLINED).to_dict())))
    client.post(f"/v1/payments/{org.pay(client).get_json()['id']}/cancel", headers=org.both)
    _let_it_expire(app, org.pay(client).get_json()["id"])
    worker.drain()

    stored = [e for e in events_of(app, org.tenant.id) if e.type.startswith("civic.payments.")]
    seen = check_payloads(app, stored)
    assert seen == {e.type for e in events.declared(app) if e.component == "payments"}
    first = {e.type: e for e in reversed(stored)}
    assert first["civic.payments.payment_succeeded"].data["link_id"] == hold_id
    assert first["civic.payments.refund_succeeded"].data["refund_id"] == refund["id"]
    assert all("email" not in e.data for e in stored)


def test_reconciliation_repairs_a_payment_whose_webhook_was_lost(org, client, app, localstripe, worker):
    created = org.pay(client).get_json()
    pay(localstripe, created["provider"]["payment_intent_id"])  # paid: but Stripe's webhook never arrives
    app.config["PAYMENTS_RECONCILE_AFTER_MINUTES"] = 0
    worker.drain()
    got = client.get(f"/v1/payments/{created['id']}", headers=org.both).get_json()
    assert got["state"]["status"] == "success"
    history = client.get(f"/v1/payments/{created['id']}/events", headers=org.both).get_json()["items"]
    assert history[-1]["source"] == "reconciliation" and "was created" in history[-1]["note"]
    from civic.core.audit import AuditEntry
    with app.app_context(), place_wide("tests.inspection"):
        actions = list(session.scalars(sa.select(AuditEntry.action).where(AuditEntry.subject_id == created["id"])))
    assert "payments.reconciled" in actions
