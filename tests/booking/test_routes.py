"""The booking API as a council developer meets it: set up, show slots, hold, confirm, reschedule, cancel."""
import datetime as dt

import pytest

from civic.booking.availability import bank_holidays
from tests.booking.conftest import at, iso, next_weekday

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def free_slots(client, org, resource, day):
    response = client.get(f"/v1/booking/resources/{resource['id']}/availability",
                          query_string={"from": iso(at(day, "00:00")), "to": iso(at(day + dt.timedelta(days=1), "00:00"))},
                          headers=org.both)
    assert response.status_code == 200, response.json
    return {slot["start_local"][11:16]: slot["remaining"] for slot in response.json["slots"]}


def next_weekday_bank_holiday() -> dt.date:
    soon = dt.date.today() + dt.timedelta(days=3)
    return min(d for d in bank_holidays("england-and-wales") if d >= soon and d.weekday() < 5)


def test_a_bulky_waste_round_from_set_up_to_cancellation(client, org):
    round_ = org.resource(client, name="Bulky waste collection", kind="collection_round", capacity=2, slot_minutes=240,
                          opening_hours={day: [{"start": "08:00", "end": "16:00"}] for day in WEEKDAYS})
    assert round_["time_zone"] == "Europe/London" and round_["open_on_bank_holidays"] is False
    monday, tuesday = next_weekday(0), next_weekday(1)
    assert free_slots(client, org, round_, monday) == {"08:00": 2, "12:00": 2}
    assert free_slots(client, org, round_, next_weekday_bank_holiday()) == {}

    held = client.post("/v1/booking/holds", json={"resource_id": round_["id"], "start": iso(at(monday, "08:00"))},
                       headers=org.both)
    assert held.status_code == 201, held.json
    assert held.json["status"] == "held" and held.json["end_local"][11:16] == "12:00"
    expires = dt.datetime.fromisoformat(held.json["expires_at"])
    assert dt.timedelta(minutes=9) < expires - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(minutes=10)
    assert free_slots(client, org, round_, monday)["08:00"] == 1

    confirmed = client.post(f"/v1/booking/holds/{held.json['id']}/confirm", headers=org.both, json={
        "attendee": {"name": "Pat Resident", "email": "Pat@Example.org", "phone": "07911 123456"}, "reference": "BW-1001"})
    assert confirmed.status_code == 201, confirmed.json
    booking = confirmed.json
    assert booking["status"] == "confirmed" and booking["hold_id"] == held.json["id"]
    assert booking["attendee"]["phone"] == "+447911123456" and booking["reference"] == "BW-1001"
    assert client.get(f"/v1/booking/holds/{held.json['id']}", headers=org.both).json["status"] == "confirmed"
    assert free_slots(client, org, round_, monday)["08:00"] == 1

    moved = client.post(f"/v1/booking/bookings/{booking['id']}/reschedule", json={"start": iso(at(tuesday, "12:00"))},
                        headers=org.both)
    assert moved.status_code == 200, moved.json
    assert moved.json["id"] == booking["id"] and moved.json["start_local"][11:16] == "12:00"
    assert free_slots(client, org, round_, monday)["08:00"] == 2
    assert free_slots(client, org, round_, tuesday)["12:00"] == 1

    cancelled = client.post(f"/v1/booking/bookings/{booking['id']}/cancel", json={"reason": "Items taken to the tip"},
                            headers=org.both)
    assert cancelled.status_code == 200
    assert cancelled.json["status"] == "cancelled" and cancelled.json["cancel_reason"] == "Items taken to the tip"
    assert free_slots(client, org, round_, tuesday)["12:00"] == 2
    again = client.post(f"/v1/booking/bookings/{booking['id']}/cancel", json={}, headers=org.both)
    assert again.status_code == 409 and again.json["code"] == "booking_cancelled"


def test_a_full_slot_says_slot_unavailable_and_shows_no_places(client, org):
    room = org.resource(client, capacity=1)
    start = at(next_weekday(2), "10:00")
    assert org.book(client, room, start).status_code == 201
    second = org.book(client, room, start)
    assert second.status_code == 409 and second.json["code"] == "slot_unavailable"
    assert second.headers["Content-Type"] == "application/problem+json"
    assert free_slots(client, org, room, start.date())["10:00"] == 0


def test_bookings_can_be_listed_and_filtered(client, org):
    room = org.resource(client, capacity=3)
    monday, tuesday = next_weekday(0), next_weekday(1)
    first = org.book(client, room, at(monday, "09:00"), reference="A-1").json
    second = org.book(client, room, at(tuesday, "09:00"), reference="A-2").json
    client.post(f"/v1/booking/bookings/{second['id']}/cancel", json={}, headers=org.both)

    def ids(**query):
        response = client.get("/v1/booking/bookings", query_string=query, headers=org.both)
        assert response.status_code == 200, response.json
        return [b["id"] for b in response.json["items"]]

    assert ids() == [first["id"], second["id"]]
    assert ids(status="cancelled") == [second["id"]]
    assert ids(reference="A-1") == [first["id"]]
    assert ids(resource_id=room["id"], **{"from": iso(at(tuesday, "00:00"))}) == [second["id"]]
    assert ids(to=iso(at(tuesday, "00:00"))) == [first["id"]]
    page = client.get("/v1/booking/bookings", query_string={"limit": 1}, headers=org.both).json
    assert len(page["items"]) == 1 and page["next"]


def test_the_day_list_shows_everyone_booked_that_day_across_resources_in_time_order(client, org):
    room, clinic = org.resource(client, name="Room"), org.resource(client, name="Clinic")
    day = next_weekday(3)
    late = org.book(client, room, at(day, "15:00")).json
    early = org.book(client, clinic, at(day, "09:00")).json
    org.book(client, clinic, at(day + dt.timedelta(days=1), "09:00"))
    listed = client.get("/v1/booking/day", query_string={"date": day.isoformat()}, headers=org.both)
    assert listed.status_code == 200
    assert [b["id"] for b in listed.json["items"]] == [early["id"], late["id"]]
    assert listed.json["items"][0]["attendee"]["name"] == "Sam Citizen"


def test_calendars_come_as_ics_without_personal_details(client, org):
    room = org.resource(client, name="Meeting room")
    booking = org.book(client, room, at(next_weekday(0), "11:00"), reference="MR-7").json
    calendar = client.get(f"/v1/booking/resources/{room['id']}/calendar.ics", headers=org.both)
    single = client.get(f"/v1/booking/bookings/{booking['id']}.ics", headers=org.both)
    for response in (calendar, single):
        assert response.status_code == 200 and response.mimetype == "text/calendar"
        text = response.get_data(as_text=True)
        assert "BEGIN:VEVENT" in text and f"UID:{booking['id']}@civic-booking" in text
        assert "SUMMARY:Meeting room" in text and "MR-7" in text
        assert "Sam" not in text and "example.org" not in text


def test_a_hold_can_be_given_back_and_then_cannot_be_confirmed(client, org):
    room = org.resource(client)
    start = at(next_weekday(4), "13:00")
    hold = client.post("/v1/booking/holds", json={"resource_id": room["id"], "start": iso(start), "minutes": 30},
                       headers=org.both).json
    released = client.post(f"/v1/booking/holds/{hold['id']}/release", headers=org.both)
    assert released.status_code == 200 and released.json["status"] == "released"
    assert free_slots(client, org, room, start.date())["13:00"] == 1
    late = client.post(f"/v1/booking/holds/{hold['id']}/confirm", json={"attendee": {"name": "Kim"}}, headers=org.both)
    assert late.status_code == 409 and late.json["code"] == "hold_not_active"


def test_hold_length_is_limited(client, org):
    room = org.resource(client)
    response = client.post("/v1/booking/holds", headers=org.both, json={
        "resource_id": room["id"], "start": iso(at(next_weekday(0), "09:00")), "minutes": 600})
    assert response.status_code == 422 and "minutes" in response.json["errors"]


def test_a_creating_post_with_an_idempotency_key_books_once(client, org):
    room = org.resource(client, capacity=5)
    body = {"resource_id": room["id"], "start": iso(at(next_weekday(0), "14:00")), "attendee": {"name": "Ali"}}
    headers = {**org.both, "Idempotency-Key": "booking-ali-1"}
    first = client.post("/v1/booking/bookings", json=body, headers=headers)
    replay = client.post("/v1/booking/bookings", json=body, headers=headers)
    assert first.status_code == replay.status_code == 201
    assert replay.json["id"] == first.json["id"] and replay.headers["Idempotent-Replayed"] == "true"
    assert free_slots(client, org, room, next_weekday(0))["14:00"] == 4


def test_capacity_can_change_but_not_below_places_already_taken(client, org):
    room = org.resource(client, capacity=3)
    start = at(next_weekday(0), "10:00")
    org.book(client, room, start)
    org.book(client, room, start)
    too_low = client.patch(f"/v1/booking/resources/{room['id']}", json={"capacity": 1}, headers=org.both)
    assert too_low.status_code == 409 and too_low.json["code"] == "capacity_below_bookings"
    assert client.get(f"/v1/booking/resources/{room['id']}", headers=org.both).json["capacity"] == 3
    ok = client.patch(f"/v1/booking/resources/{room['id']}", json={"capacity": 2, "name": "Small room"}, headers=org.both)
    assert ok.status_code == 200 and ok.json["capacity"] == 2 and ok.json["name"] == "Small room"
    assert org.book(client, room, start).json["code"] == "slot_unavailable"


def test_an_inactive_resource_takes_no_bookings(client, org):
    room = org.resource(client)
    client.patch(f"/v1/booking/resources/{room['id']}", json={"active": False}, headers=org.both)
    response = org.book(client, room, at(next_weekday(0), "10:00"))
    assert response.status_code == 409 and response.json["code"] == "resource_inactive"
    assert free_slots(client, org, room, next_weekday(0)) == {}


def test_another_organisations_things_are_not_found(client, org, other_org):
    room = org.resource(client)
    booking = org.book(client, room, at(next_weekday(0), "10:00")).json
    hold = client.post("/v1/booking/holds", json={"resource_id": room["id"], "start": iso(at(next_weekday(0), "11:00"))},
                       headers=org.both).json
    theirs = other_org.both
    for path in (f"/v1/booking/resources/{room['id']}", f"/v1/booking/resources/{room['id']}/availability"
                 f"?from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z", f"/v1/booking/resources/{room['id']}/calendar.ics",
                 f"/v1/booking/bookings/{booking['id']}", f"/v1/booking/bookings/{booking['id']}.ics",
                 f"/v1/booking/holds/{hold['id']}"):
        response = client.get(path, headers=theirs)
        assert response.status_code == 404 and response.json["code"] == "not_found", path
    for path, body in ((f"/v1/booking/bookings/{booking['id']}/cancel", {}),
                       (f"/v1/booking/holds/{hold['id']}/confirm", {"attendee": {"name": "Eve"}})):
        assert client.post(path, json=body, headers=theirs).status_code == 404
    assert other_org.book(client, room, at(next_weekday(0), "12:00")).status_code == 404
    assert client.get("/v1/booking/bookings", headers=theirs).json["items"] == []
    assert client.get(f"/v1/booking/bookings/{booking['id']}", headers=org.both).json["status"] == "confirmed"


@pytest.mark.parametrize("method,path,scope", [
    ("post", "/v1/booking/resources", "booking:read"),
    ("post", "/v1/booking/bookings", "booking:read"),
    ("post", "/v1/booking/holds", "booking:read"),
    ("get", "/v1/booking/bookings", "booking:write"),
    ("get", "/v1/booking/resources", "reporting:read"),
])
def test_a_token_without_the_right_scope_is_refused(client, make, method, path, scope):
    tenant = make.tenant()
    response = getattr(client, method)(path, json={} if method == "post" else None, headers=make.headers(tenant, scope))
    assert response.status_code == 403 and response.json["code"] == "insufficient_scope"


def test_no_token_is_a_401(client):
    assert client.get("/v1/booking/resources").status_code == 401
