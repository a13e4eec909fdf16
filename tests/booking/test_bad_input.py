"""Each kind of bad booking request gets its own stable code, and nothing is written."""
import datetime as dt

import pytest
import sqlalchemy as sa

from civic.booking.models import Booking, Hold, Slot
from civic.core.db import session
from tests.booking.conftest import at, iso, next_weekday
from civic.core.tenancy import place_wide


def nothing_written(app) -> bool:
    with app.app_context(), place_wide("tests.inspection"):
        return all(session.scalar(sa.select(sa.func.count()).select_from(model)) == 0 for model in (Booking, Hold, Slot))


@pytest.fixture
def room(client, org):
    return org.resource(client, slot_minutes=30, min_notice_minutes=24 * 60, max_advance_days=30,
                        opening_hours={"monday": [{"start": "09:00", "end": "12:00"}], "tuesday": [{"start": "09:00", "end": "12:00"}],
                                       "wednesday": [{"start": "09:00", "end": "12:00"}]})


def monday() -> dt.date:
    return next_weekday(0)


@pytest.mark.parametrize("start,end,code", [
    (lambda: at(monday(), "09:10"), None, "slot_not_on_grid"),
    (lambda: at(monday(), "09:00"), lambda: at(monday(), "10:00"), "slot_not_on_grid"),
    (lambda: at(monday(), "13:00"), None, "outside_opening_hours"),
    (lambda: at(monday(), "08:30"), None, "outside_opening_hours"),
    (lambda: at(next_weekday(4), "10:00"), None, "closed_day"),
    (lambda: dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(days=1), None, "slot_in_past"),
    (lambda: dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2), None, "inside_minimum_notice"),
    (lambda: at(monday() + dt.timedelta(days=35), "09:00"), None, "beyond_booking_window"),
    (lambda: at(monday(), "10:00"), lambda: at(monday(), "09:00"), "end_before_start"),
])
def test_a_time_that_is_not_a_bookable_slot_is_refused_with_its_own_code(app, client, org, room, start, end, code):
    extra = {"end": iso(end())} if end else {}
    booked = org.book(client, room, start(), **extra)
    held = client.post("/v1/booking/holds", json={"resource_id": room["id"], "start": iso(start()), **extra}, headers=org.both)
    for response in (booked, held):
        assert response.status_code == 422, response.json
        assert response.json["code"] == code
    assert nothing_written(app)


def test_a_bank_holiday_is_closed_unless_the_resource_opens_on_them(client, org):
    from tests.booking.test_routes import next_weekday_bank_holiday

    holiday = next_weekday_bank_holiday()
    every_day = {d: [{"start": "09:00", "end": "17:00"}] for d in ("monday", "tuesday", "wednesday", "thursday", "friday")}
    closed = org.resource(client, opening_hours=every_day)
    opened = org.resource(client, opening_hours=every_day, open_on_bank_holidays=True)
    refused = org.book(client, closed, at(holiday, "10:00"))
    assert refused.status_code == 422 and refused.json["code"] == "bank_holiday"
    assert org.book(client, opened, at(holiday, "10:00")).status_code == 201


def test_a_time_without_an_offset_is_refused(app, client, org, room):
    naive = at(monday(), "10:00").replace(tzinfo=None).isoformat()
    response = client.post("/v1/booking/bookings", headers=org.both,
                           json={"resource_id": room["id"], "start": naive, "attendee": {"name": "Jo"}})
    assert response.status_code == 422 and "start" in response.json["errors"]
    availability = client.get(f"/v1/booking/resources/{room['id']}/availability", headers=org.both,
                              query_string={"from": naive, "to": iso(at(monday(), "12:00"))})
    assert availability.status_code == 422 and "from" in availability.json["errors"]
    assert nothing_written(app)


def test_an_unknown_resource_is_not_found(app, client, org):
    response = org.book(client, {"id": "00000000-0000-4000-8000-000000000000"}, at(monday(), "10:00"))
    assert response.status_code == 404 and response.json["code"] == "not_found"
    assert client.get("/v1/booking/resources/not-a-uuid", headers=org.both).status_code == 404
    assert nothing_written(app)


@pytest.mark.parametrize("attendee,field", [
    ({"name": "Jo", "email": "not-an-email"}, "email"),
    ({"name": "Jo", "phone": "12345"}, "phone"),
    ({"email": "jo@example.org"}, "name"),
])
def test_attendee_details_are_checked(app, client, org, room, attendee, field):
    response = org.book(client, room, at(monday(), "10:00"), attendee=attendee)
    assert response.status_code == 422 and field in response.json["errors"]["attendee"]
    assert nothing_written(app)


def test_fields_the_caller_may_not_set_are_refused(client, org, room):
    response = org.book(client, room, at(monday(), "10:00"), status="cancelled", tenant_id=str(org.tenant.id))
    assert response.status_code == 422 and {"status", "tenant_id"} <= set(response.json["errors"])


@pytest.mark.parametrize("change,code", [
    ({"slot_minutes": 60, "step_minutes": 30}, "slots_overlap"),
    ({"slot_minutes": 1417, "buffer_before_minutes": 180, "buffer_after_minutes": 413}, "slot_too_long"),
    ({"opening_hours": {"monday": [{"start": "12:00", "end": "09:00"}]}}, "validation_failed"),
    ({"opening_hours": {"monday": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]}}, "validation_failed"),
    ({"opening_hours": {"someday": []}}, "validation_failed"),
    ({"time_zone": "Mars/Olympus"}, "validation_failed"),
    ({"capacity": 0}, "validation_failed"),
])
def test_resource_settings_that_make_no_sense_are_refused(client, org, change, code):
    body = {"name": "Room", **change}
    response = client.post("/v1/booking/resources", json=body, headers=org.both)
    assert response.status_code == 422 and response.json["code"] == code


def test_availability_needs_from_before_to_and_a_bounded_range(client, org, room):
    url = f"/v1/booking/resources/{room['id']}/availability"
    backwards = client.get(url, headers=org.both, query_string={"from": iso(at(monday(), "12:00")), "to": iso(at(monday(), "09:00"))})
    assert backwards.status_code == 422 and backwards.json["code"] == "end_before_start"
    too_long = client.get(url, headers=org.both, query_string={"from": iso(at(monday(), "12:00")),
                                                                "to": iso(at(monday() + dt.timedelta(days=90), "09:00"))})
    assert too_long.status_code == 422 and too_long.json["code"] == "range_too_long"


def test_rescheduling_to_a_bad_or_full_slot_changes_nothing(client, org, room):
    full_start, mine_start = at(monday(), "09:00"), at(monday(), "10:00")
    org.book(client, room, full_start)
    mine = org.book(client, room, mine_start).json
    for body, code in (({"start": iso(full_start)}, "slot_unavailable"), ({"start": iso(at(monday(), "10:15"))}, "slot_not_on_grid"),
                       ({"start": iso(mine_start)}, "same_slot")):
        response = client.post(f"/v1/booking/bookings/{mine['id']}/reschedule", json=body, headers=org.both)
        assert response.json["code"] == code
    after = client.get(f"/v1/booking/bookings/{mine['id']}", headers=org.both).json
    assert after["start"] == mine["start"] and after["status"] == "confirmed"
    slots = client.get(f"/v1/booking/resources/{room['id']}/availability", headers=org.both,
                       query_string={"from": iso(at(monday(), "09:00")), "to": iso(at(monday(), "10:30"))}).json["slots"]
    assert [s["remaining"] for s in slots] == [0, 1, 0]


def test_longer_slots_push_the_step_out_but_a_chosen_longer_step_is_kept(client, org):
    room = org.resource(client, slot_minutes=30, step_minutes=90)
    url = f"/v1/booking/resources/{room['id']}"
    assert client.patch(url, json={"slot_minutes": 60}, headers=org.both).json["step_minutes"] == 90
    assert client.patch(url, json={"slot_minutes": 120}, headers=org.both).json["step_minutes"] == 120
    refused = client.patch(url, json={"step_minutes": 60}, headers=org.both)
    assert refused.status_code == 422 and refused.json["code"] == "slots_overlap"


def test_setting_the_step_back_to_null_returns_to_the_default(client, org):
    room = org.resource(client, slot_minutes=30, step_minutes=90, buffer_after_minutes=10)
    reset = client.patch(f"/v1/booking/resources/{room['id']}", json={"step_minutes": None}, headers=org.both)
    assert reset.status_code == 200 and reset.json["step_minutes"] == 40


def test_text_with_a_nul_character_is_refused_not_a_server_error(app, client, org, room):
    named = client.post("/v1/booking/resources", json={"name": "Hall\u0000"}, headers=org.both)
    booked = org.book(client, room, at(monday(), "10:00"), attendee={"name": "Jo\u0000"})
    assert named.status_code == booked.status_code == 422
    assert nothing_written(app)
    booking = org.book(client, room, at(monday(), "10:00")).json
    cancel = client.post(f"/v1/booking/bookings/{booking['id']}/cancel", json={"reason": "a\u0000b"}, headers=org.both)
    assert cancel.status_code == 422
    assert client.get(f"/v1/booking/bookings/{booking['id']}", headers=org.both).json["status"] == "confirmed"
