"""Free slots: opening hours in local time, correct across the clock changes, bank holidays and exceptions."""
import datetime as dt

from civic.booking.availability import WEEKDAYS, bank_holidays
from tests.booking.conftest import LONDON, at, iso, next_weekday

EVERY_DAY_NINE_TO_TEN = {day: [{"start": "09:00", "end": "10:00"}] for day in WEEKDAYS}
EVERY_NIGHT = {day: [{"start": "00:00", "end": "04:00"}] for day in WEEKDAYS}


def last_sunday(month: int) -> dt.date:
    """The next last Sunday of `month` (when UK clocks change) from today."""
    year = dt.date.today().year
    while True:
        day = dt.date(year, month, 31)
        day -= dt.timedelta(days=(day.weekday() - 6) % 7)
        if day > dt.date.today() + dt.timedelta(days=2):
            return day
        year += 1


def slots(client, org, resource, first: dt.date, days: int = 1):
    response = client.get(f"/v1/booking/resources/{resource['id']}/availability", headers=org.both, query_string={
        "from": iso(at(first, "00:00")), "to": iso(at(first + dt.timedelta(days=days), "00:00"))})
    assert response.status_code == 200, response.json
    return response.json["slots"]


def utc_and_local(found):
    return [(s["start"][:16], s["start_local"][11:16] + s["start_local"][19:]) for s in found]


def test_nine_oclock_stays_nine_oclock_local_when_the_clocks_go_forward_in_march(client, org):
    room = org.resource(client, opening_hours=EVERY_DAY_NINE_TO_TEN, max_advance_days=730, open_on_bank_holidays=True)
    sunday = last_sunday(3)
    found = utc_and_local(slots(client, org, room, sunday - dt.timedelta(days=1), days=2))
    saturday = sunday - dt.timedelta(days=1)
    assert found == [(f"{saturday}T09:00", "09:00+00:00"), (f"{sunday}T08:00", "09:00+01:00")]


def test_nine_oclock_stays_nine_oclock_local_when_the_clocks_go_back_in_october(client, org):
    room = org.resource(client, opening_hours=EVERY_DAY_NINE_TO_TEN, max_advance_days=730, open_on_bank_holidays=True)
    sunday = last_sunday(10)
    found = utc_and_local(slots(client, org, room, sunday - dt.timedelta(days=1), days=2))
    saturday = sunday - dt.timedelta(days=1)
    assert found == [(f"{saturday}T08:00", "09:00+01:00"), (f"{sunday}T09:00", "09:00+00:00")]


def test_the_missing_hour_in_march_is_not_offered(client, org):
    night = org.resource(client, opening_hours=EVERY_NIGHT, max_advance_days=730, open_on_bank_holidays=True)
    sunday = last_sunday(3)
    found = utc_and_local(slots(client, org, night, sunday))
    assert found == [(f"{sunday}T00:00", "00:00+00:00"), (f"{sunday}T01:00", "02:00+01:00"),
                     (f"{sunday}T02:00", "03:00+01:00")]


def test_the_repeated_hour_in_october_is_offered_once(client, org):
    night = org.resource(client, opening_hours=EVERY_NIGHT, max_advance_days=730, open_on_bank_holidays=True)
    sunday = last_sunday(10)
    found = utc_and_local(slots(client, org, night, sunday))
    saturday = sunday - dt.timedelta(days=1)
    assert found == [(f"{saturday}T23:00", "00:00+01:00"), (f"{sunday}T00:00", "01:00+01:00"),
                     (f"{sunday}T02:00", "02:00+00:00"), (f"{sunday}T03:00", "03:00+00:00")]


def test_a_slot_after_the_clock_change_can_be_booked_by_its_utc_time(client, org):
    room = org.resource(client, opening_hours=EVERY_DAY_NINE_TO_TEN, max_advance_days=730, open_on_bank_holidays=True)
    sunday = last_sunday(3)
    booked = org.book(client, room, dt.datetime.combine(sunday, dt.time(8, 0), tzinfo=dt.timezone.utc))
    assert booked.status_code == 201 and booked.json["start_local"].endswith("09:00:00+01:00")
    wrong = org.book(client, room, dt.datetime.combine(sunday, dt.time(9, 0), tzinfo=dt.timezone.utc))
    assert wrong.json["code"] == "outside_opening_hours"


def test_several_ranges_a_day_and_buffers_shape_the_slots(client, org):
    day = next_weekday(2)
    room = org.resource(client, slot_minutes=30, buffer_before_minutes=15, buffer_after_minutes=15,
                        opening_hours={"wednesday": [{"start": "09:00", "end": "11:00"}, {"start": "14:00", "end": "15:00"}]})
    assert room["step_minutes"] == 60
    assert [s["start_local"][11:16] for s in slots(client, org, room, day)] == ["09:15", "10:15", "14:15"]


def test_scotland_has_its_own_bank_holidays(client, org):
    soon = dt.date.today() + dt.timedelta(days=3)
    scottish_only = min(d for d in bank_holidays("scotland") - bank_holidays("england-and-wales") if d >= soon and d.weekday() < 5)
    weekdays = {day: [{"start": "09:00", "end": "10:00"}] for day in WEEKDAYS[:5]}
    edinburgh = org.resource(client, opening_hours=weekdays, bank_holiday_region="scotland", max_advance_days=730)
    london = org.resource(client, opening_hours=weekdays, max_advance_days=730)
    assert slots(client, org, edinburgh, scottish_only) == []
    assert len(slots(client, org, london, scottish_only)) == 1


def test_dated_exceptions_close_some_hours_close_a_day_or_open_extra_hours(client, org):
    room = org.resource(client, opening_hours={"monday": [{"start": "09:00", "end": "13:00"}]})
    monday = next_weekday(0)
    sunday = monday + dt.timedelta(days=6)
    base = f"/v1/booking/resources/{room['id']}/exceptions"
    partial = client.post(base, json={"date": monday.isoformat(), "kind": "closed", "start_time": "10:00", "end_time": "12:00",
                                      "reason": "Staff training"}, headers=org.both)
    assert partial.status_code == 201, partial.json
    assert [s["start_local"][11:16] for s in slots(client, org, room, monday)] == ["09:00", "12:00"]
    refused = org.book(client, room, at(monday, "10:00"))
    assert refused.json["code"] == "closed_day"

    extra = client.post(base, json={"date": sunday.isoformat(), "kind": "open", "start_time": "10:00", "end_time": "12:00"},
                        headers=org.both)
    assert [s["start_local"][11:16] for s in slots(client, org, room, sunday)] == ["10:00", "11:00"]
    assert org.book(client, room, at(sunday, "11:00")).status_code == 201

    whole = client.post(base, json={"date": monday.isoformat(), "kind": "closed"}, headers=org.both)
    assert slots(client, org, room, monday) == []
    assert org.book(client, room, at(monday, "09:00")).json["code"] == "closed_day"
    listed = client.get(base, headers=org.both).json["items"]
    assert {e["id"] for e in listed} == {partial.json["id"], extra.json["id"], whole.json["id"]}
    assert client.delete(f"{base}/{whole.json['id']}", headers=org.both).status_code == 204
    assert [s["start_local"][11:16] for s in slots(client, org, room, monday)] == ["09:00", "12:00"]


def test_an_extra_opening_needs_its_hours(client, org):
    room = org.resource(client)
    response = client.post(f"/v1/booking/resources/{room['id']}/exceptions", headers=org.both,
                           json={"date": next_weekday(0).isoformat(), "kind": "open"})
    assert response.status_code == 422 and "start_time" in response.json["errors"]


def test_slots_inside_the_minimum_notice_or_beyond_the_window_are_not_shown(client, org):
    every_hour = {day: [{"start": "00:00", "end": "24:00"}] for day in WEEKDAYS}
    room = org.resource(client, opening_hours=every_hour, min_notice_minutes=24 * 60, max_advance_days=3)
    today = dt.datetime.now(LONDON).date()
    found = [dt.datetime.fromisoformat(s["start"]) for s in slots(client, org, room, today, days=6)]
    now = dt.datetime.now(dt.timezone.utc)
    assert found and min(found) >= now + dt.timedelta(hours=24) and max(found) <= now + dt.timedelta(days=3)
    assert min(found) - (now + dt.timedelta(hours=24)) <= dt.timedelta(hours=1)
