"""Hostile input to booking: far-off dates, made-up time zones, line breaks in names that go into calendar files."""
import icalendar
import pytest

from tests.booking.conftest import at, next_weekday


def assert_refused(response, field: str):
    assert response.status_code == 422, (response.status_code, response.data[:300])
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "validation_failed" and field in response.json["errors"], response.json


@pytest.mark.parametrize("date", ["9999-12-31", "0001-01-01", "1899-12-31", "2201-01-01"])
def test_the_day_list_refuses_a_date_out_of_range(client, org, date):
    assert_refused(client.get(f"/v1/booking/day?date={date}", headers=org.both), "date")


def test_the_day_list_still_answers_at_the_edges_of_the_range(client, org):
    for date in ("1900-01-01", "2200-12-31"):
        response = client.get(f"/v1/booking/day?date={date}", headers=org.both)
        assert response.status_code == 200 and response.json["items"] == []


@pytest.mark.parametrize("start", ["9999-12-31T00:00:00Z", "0001-01-01T00:00:00Z"])
def test_a_booking_or_hold_far_off_is_refused_naming_the_start(client, org, start):
    room = org.resource(client)
    booked = client.post("/v1/booking/bookings", headers=org.both,
                         json={"resource_id": room["id"], "start": start, "attendee": {"name": "Jo"}})
    held = client.post("/v1/booking/holds", headers=org.both, json={"resource_id": room["id"], "start": start})
    assert_refused(booked, "start")
    assert_refused(held, "start")
    assert_refused(client.get(f"/v1/booking/resources/{room['id']}/availability", headers=org.both,
                              query_string={"from": start, "to": start}), "from")


def test_a_closure_on_a_date_out_of_range_is_refused(client, org):
    room = org.resource(client)
    response = client.post(f"/v1/booking/resources/{room['id']}/exceptions", headers=org.both,
                           json={"date": "9999-12-31", "kind": "closed"})
    assert_refused(response, "date")


@pytest.mark.parametrize("zone", ["Europe/" + "x" * 300, "Mars/Olympus_Mons", "../../../etc/passwd", "europe/london", ""])
def test_a_time_zone_not_on_the_iana_list_is_refused(client, org, zone):
    created = client.post("/v1/booking/resources", headers=org.both,
                          json={"name": "Hall", "time_zone": zone, "opening_hours": {}})
    assert_refused(created, "time_zone")
    room = org.resource(client)
    assert_refused(client.patch(f"/v1/booking/resources/{room['id']}", json={"time_zone": zone}, headers=org.both),
                   "time_zone")
    assert_refused(client.get("/v1/booking/day", query_string={"date": "2027-03-01", "time_zone": zone},
                              headers=org.both), "time_zone")


def test_an_iana_time_zone_is_still_taken(client, org):
    room = org.resource(client, time_zone="America/New_York")
    assert room["time_zone"] == "America/New_York"
    day = client.get("/v1/booking/day", query_string={"date": "2027-03-01", "time_zone": "Asia/Kolkata"},
                     headers=org.both)
    assert day.status_code == 200 and day.json["time_zone"] == "Asia/Kolkata"


NAMES = ["Hall 1\r\nATTENDEE:mailto:someone@example.org", "Hall 1\nEND:VEVENT", "Hall 1\rBEGIN:VEVENT",
         "Room; with, commas\\and a backslash"]


@pytest.mark.parametrize("name", NAMES)
def test_line_breaks_in_a_resource_name_stay_inside_its_calendar_summary(client, org, name):
    room = org.resource(client, name=name)
    booked = org.book(client, room, at(next_weekday(0), "10:00"))
    assert booked.status_code == 201, booked.json
    expected = name.replace("\r\n", "\n").replace("\r", "\n")  # iCalendar text has one kind of line break
    for url in (f"/v1/booking/resources/{room['id']}/calendar.ics", f"/v1/booking/bookings/{booked.json['id']}.ics"):
        response = client.get(url, headers=org.both)
        assert response.status_code == 200, (url, response.data[:300])
        calendar = icalendar.Calendar.from_ical(response.data)
        events = calendar.walk("VEVENT")
        assert len(events) == 1, response.data
        assert str(events[0]["summary"]) == expected
        assert "ATTENDEE" not in events[0] and len(calendar.walk("VCALENDAR")) == 1
        assert all(line.count(b"\r") <= 1 for line in response.data.split(b"\n"))  # no bare CR splits a line
        assert events[0]["dtstart"].dt == at(next_weekday(0), "10:00")
