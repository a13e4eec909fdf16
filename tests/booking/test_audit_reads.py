"""Every read of attendees' personal data is audited: by an app (the client is the actor) as well as by a person."""
import sqlalchemy as sa
from flask import g

from civic.core import privacy
from civic.core.audit import AuditEntry
from civic.core.db import session, unit_of_work
from tests.booking.conftest import at, next_weekday
from civic.core.tenancy import place_wide

PERSONAL = ("Sam Citizen", "sam@example.org", "+442079460018", "7946")


def audit_rows(app, tenant_id, action=None) -> list[AuditEntry]:
    with app.app_context(), place_wide("tests.inspection"):
        query = sa.select(AuditEntry).where(AuditEntry.tenant_id == tenant_id).order_by(AuditEntry.time, AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return list(session.scalars(query))


def client_id(client, headers) -> str:
    return client.get("/v1/whoami", headers=headers).json["client_id"]


def test_an_app_reading_attendee_details_is_audited_with_the_client_as_actor(app, client, org):
    room = org.resource(client)
    day = next_weekday(0)
    booking = org.book(client, room, at(day, "09:00")).json
    actor = f"client:{client_id(client, org.both)}"
    before = len(audit_rows(app, org.tenant.id, "booking.personal_data_read"))
    client.get(f"/v1/booking/bookings/{booking['id']}", headers=org.both)
    client.get("/v1/booking/bookings", headers=org.both)
    client.get("/v1/booking/day", query_string={"date": day.isoformat()}, headers=org.both)
    reads = audit_rows(app, org.tenant.id, "booking.personal_data_read")[before:]
    assert [(r.subject_type, r.subject_id, r.actor) for r in reads] == [("booking", booking["id"], actor)] * 3


def test_an_app_writing_attendee_details_is_audited_too(app, client, org):
    room = org.resource(client)
    booking = org.book(client, room, at(next_weekday(1), "09:00")).json
    changed = audit_rows(app, org.tenant.id, "booking.personal_data_changed")
    assert [(r.subject_id, r.actor) for r in changed] == [(booking["id"], f"client:{client_id(client, org.both)}")]


def test_a_sandbox_apps_reads_are_audited_as_well(app, client, org, make):
    test_mode = make.headers(org.tenant, "booking:read", "booking:write", sandbox=True)
    room = client.post("/v1/booking/resources", headers=test_mode, json={
        "name": "Test room", "capacity": 1, "slot_minutes": 60,
        "opening_hours": {"monday": [{"start": "09:00", "end": "17:00"}]}}).json
    booking = client.post("/v1/booking/bookings", headers=test_mode, json={
        "resource_id": room["id"], "start": at(next_weekday(0), "09:00").isoformat(),
        "attendee": {"name": "Sam Citizen"}}).json
    client.get(f"/v1/booking/bookings/{booking['id']}", headers=test_mode)
    reads = audit_rows(app, org.tenant.id, "booking.personal_data_read")
    assert [(r.subject_id, r.actor) for r in reads] == [(booking["id"], f"client:{client_id(client, test_mode)}")]


def test_a_staff_member_reading_is_still_audited_as_the_person(app, client, org, make):
    room = org.resource(client)
    booking = org.book(client, room, at(next_weekday(2), "09:00")).json
    receptionist = make.user(org.tenant, role="caseworker")
    staff = make.headers(org.tenant, "booking:read", user=receptionist)
    client.get(f"/v1/booking/bookings/{booking['id']}", headers=staff)
    reads = audit_rows(app, org.tenant.id, "booking.personal_data_read")
    assert [(r.subject_id, r.actor) for r in reads] == [(booking["id"], f"user:{receptionist.id}")]


def test_an_export_records_which_bookings_it_contained_but_no_personal_values(app, client, org):
    room = org.resource(client, capacity=3)
    start = at(next_weekday(3), "09:00")
    first = org.book(client, room, start).json
    second = org.book(client, room, start).json
    org.book(client, room, start, attendee={"name": "Someone Else", "email": "else@example.org"})
    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        g.civic_actor = "steward:subject-access"
        exported = privacy.export_subject(app, tenant_id=org.tenant.id, email="sam@example.org")
    assert {b["id"] for b in exported["booking"]} == {first["id"], second["id"]}
    [entry] = audit_rows(app, org.tenant.id, "booking.personal_data_exported")
    assert entry.actor == "steward:subject-access"
    assert sorted(entry.detail["booking_ids"]) == sorted([first["id"], second["id"]])
    assert not any(word in str(entry.detail) + str(entry.subject_id) for word in PERSONAL)
