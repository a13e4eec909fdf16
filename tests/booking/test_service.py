"""What happens behind the API: events, hold expiry by a job, personal data, audit."""
import datetime as dt
import uuid

import sqlalchemy as sa

from civic.booking import service
from civic.booking.models import Booking, Hold
from civic.core import privacy
from civic.core.audit import AuditEntry
from civic.core.db import session, unit_of_work
from civic.core.events import Event
from civic.core.jobs import Job
from tests.booking.conftest import at, iso, next_weekday
from civic.core.tenancy import place_wide

# Every form the phone number was given or stored in (a bare "7946" can occur in a random id).
PERSONAL = ("Sam Citizen", "sam@example.org", "+442079460018", "020 7946 0018", "02079460018")


def events_of(app, tenant_id) -> list[Event]:
    with app.app_context(), place_wide("tests.inspection"):
        return list(session.scalars(sa.select(Event).where(Event.tenant_id == tenant_id).order_by(Event.time)))


def hold(client, org, resource, start, **extra):
    response = client.post("/v1/booking/holds", json={"resource_id": resource["id"], "start": iso(start), **extra},
                           headers=org.both)
    assert response.status_code == 201, response.json
    return response.json


def let_time_pass(app, hold_id):
    """The hold's minutes are up: move its expiry (and its job's run time) into the past."""
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        session.execute(sa.update(Hold).where(Hold.id == uuid.UUID(hold_id)).values(expires_at=past))
        session.execute(sa.update(Job).where(Job.name == service.EXPIRE_HOLD_JOB, Job.payload["hold_id"].as_string() == hold_id)
                        .values(run_at=past))


def remaining(client, org, resource, start):
    found = client.get(f"/v1/booking/resources/{resource['id']}/availability", headers=org.both,
                       query_string={"from": iso(start), "to": iso(start + dt.timedelta(minutes=1))}).json["slots"]
    return found[0]["remaining"]


def test_every_change_emits_its_event_without_personal_data(app, client, org):
    room = org.resource(client, capacity=2)
    monday = next_weekday(0)
    direct = org.book(client, room, at(monday, "09:00")).json
    held = hold(client, org, room, at(monday, "10:00"))
    confirmed = client.post(f"/v1/booking/holds/{held['id']}/confirm", headers=org.both,
                            json={"attendee": {"name": "Sam Citizen", "email": "sam@example.org", "phone": "020 7946 0018"}}).json
    client.post(f"/v1/booking/bookings/{direct['id']}/reschedule", json={"start": iso(at(monday, "11:00"))}, headers=org.both)
    client.post(f"/v1/booking/bookings/{direct['id']}/cancel", json={"reason": "Sam Citizen is unwell"}, headers=org.both)
    found = events_of(app, org.tenant.id)
    assert [(e.type, e.subject) for e in found] == [
        ("civic.booking.created", direct["id"]), ("civic.booking.created", confirmed["id"]),
        ("civic.booking.confirmed", confirmed["id"]), ("civic.booking.rescheduled", direct["id"]),
        ("civic.booking.cancelled", direct["id"])]
    rescheduled = found[3].envelope()
    assert rescheduled["specversion"] == "1.0" and rescheduled["data"]["previous_start"].startswith(str(monday))
    assert found[2].data["hold_id"] == held["id"]
    for event in found:
        text = str(event.envelope())
        assert not any(word in text for word in PERSONAL), event.type


def test_a_failed_booking_leaves_no_event(app, client, org):
    room = org.resource(client, capacity=1)
    start = at(next_weekday(0), "09:00")
    org.book(client, room, start)
    assert org.book(client, room, start).status_code == 409
    assert [e.type for e in events_of(app, org.tenant.id)] == ["civic.booking.created"]


def test_a_hold_that_runs_out_gives_its_place_back_by_a_job(app, client, org, worker):
    room = org.resource(client, capacity=1)
    start = at(next_weekday(1), "09:00")
    held = hold(client, org, room, start, minutes=5)
    assert remaining(client, org, room, start) == 0
    worker.drain()
    assert client.get(f"/v1/booking/holds/{held['id']}", headers=org.both).json["status"] == "held"

    let_time_pass(app, held["id"])
    worker.drain()
    assert client.get(f"/v1/booking/holds/{held['id']}", headers=org.both).json["status"] == "expired"
    assert remaining(client, org, room, start) == 1
    expired = [e for e in events_of(app, org.tenant.id) if e.type == "civic.booking.hold_expired"]
    assert len(expired) == 1 and expired[0].subject == held["id"]

    with app.app_context(), place_wide("tests.inspection"), unit_of_work():  # the job runs again one day: nothing changes
        assert service.expire_hold(tenant_id=org.tenant.id, hold_id=held["id"]) is False
    assert remaining(client, org, room, start) == 1
    late = client.post(f"/v1/booking/holds/{held['id']}/confirm", json={"attendee": {"name": "Kim"}}, headers=org.both)
    assert late.status_code == 409 and late.json["code"] == "hold_not_active"


def test_a_hold_past_its_time_does_not_block_the_slot_even_before_the_job_runs(app, client, org):
    room = org.resource(client, capacity=1)
    start = at(next_weekday(2), "09:00")
    held = hold(client, org, room, start)
    let_time_pass(app, held["id"])
    assert remaining(client, org, room, start) == 1
    assert org.book(client, room, start).status_code == 201
    assert client.get(f"/v1/booking/holds/{held['id']}", headers=org.both).json["status"] == "expired"
    assert remaining(client, org, room, start) == 0
    assert [e.type for e in events_of(app, org.tenant.id)].count("civic.booking.hold_expired") == 1


def test_confirming_a_hold_after_its_time_is_refused(app, client, org):
    room = org.resource(client)
    start = at(next_weekday(3), "09:00")
    held = hold(client, org, room, start)
    let_time_pass(app, held["id"])
    late = client.post(f"/v1/booking/holds/{held['id']}/confirm", json={"attendee": {"name": "Kim"}}, headers=org.both)
    assert late.status_code == 409 and late.json["code"] == "hold_expired"
    assert remaining(client, org, room, start) == 1


def test_attendee_details_are_registered_exported_and_erased(app, client, org, other_org):
    room = org.resource(client, capacity=5)
    start = at(next_weekday(0), "09:00")
    mine = org.book(client, room, start).json
    org.book(client, room, start, attendee={"name": "Someone Else", "email": "else@example.org"})
    theirs_room = other_org.resource(client)
    other_org.book(client, theirs_room, start)
    entry = next(e for e in privacy.registry(app) if e.component == "booking")
    assert entry.model is Booking and set(entry.fields) == {"attendee_name", "attendee_email", "attendee_phone"}

    with app.app_context(), place_wide("tests.inspection"):
        exported = privacy.export_subject(app, tenant_id=org.tenant.id, email="SAM@example.org")
        by_phone = privacy.export_subject(app, tenant_id=org.tenant.id, phone="020 7946 0018")
    assert [b["id"] for b in exported["booking"]] == [mine["id"]] == [b["id"] for b in by_phone["booking"]]
    assert exported["booking"][0]["attendee"]["name"] == "Sam Citizen"

    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        assert privacy.erase_subject(app, tenant_id=org.tenant.id, email="sam@example.org") == 1
    after = client.get(f"/v1/booking/bookings/{mine['id']}", headers=org.both).json
    assert after["attendee"] == {"name": None, "email": None, "phone": None} and after["status"] == "confirmed"
    assert remaining(client, org, room, start) == 3
    theirs = client.get("/v1/booking/bookings", headers=other_org.both).json["items"]
    assert theirs[0]["attendee"]["email"] == "sam@example.org"


def test_a_staff_member_reading_attendee_details_is_audited_as_the_person(app, client, org, make):
    room = org.resource(client)
    booking = org.book(client, room, at(next_weekday(0), "09:00")).json
    client.get(f"/v1/booking/bookings/{booking['id']}", headers=org.both)
    client.get("/v1/booking/bookings", headers=org.both)

    def audit_rows():
        with app.app_context(), place_wide("tests.inspection"):
            return list(session.scalars(sa.select(AuditEntry).where(AuditEntry.tenant_id == org.tenant.id, AuditEntry.subject_type == "booking",
                                                                    AuditEntry.actor.startswith("user:"))
                                        .order_by(AuditEntry.time)))

    assert audit_rows() == []  # the app's own reads are audited as the app (tests/booking/test_audit_reads.py)
    receptionist = make.user(org.tenant, role="caseworker")
    staff = make.headers(org.tenant, "booking:read", user=receptionist)
    client.get(f"/v1/booking/bookings/{booking['id']}", headers=staff)
    client.get("/v1/booking/bookings", headers=staff)
    client.get("/v1/booking/day", query_string={"date": next_weekday(0).isoformat()}, headers=staff)
    rows = audit_rows()
    assert [(r.action, r.subject_id, r.actor) for r in rows] == [
        ("booking.personal_data_read", booking["id"], f"user:{receptionist.id}")] * 3


def test_the_demo_place_gets_a_bulky_waste_round_and_a_clinic_once(app, client):
    from civic.demo import seed

    with app.app_context(), place_wide("tests.inspection"):
        seed()
        seed()
        rows = session.execute(sa.text("SELECT t.slug, r.name FROM booking_resource r JOIN tenant t ON t.id = r.tenant_id "
                                       "ORDER BY t.slug")).all()
    assert [tuple(r) for r in rows] == [("borough-council", "Bulky waste collection"),
                                        ("community-health", "Community clinic: blood tests")]
