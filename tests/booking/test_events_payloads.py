"""Every booking event, emitted by the real flows, carries the payload its declaration describes."""
from civic.core import events
from tests.booking.conftest import at, iso, next_weekday
from tests.booking.test_service import events_of, hold, let_time_pass
from tests.helpers import check_payloads

ATTENDEE = {"name": "Sam Citizen", "email": "sam@example.org", "phone": "020 7946 0018"}


def test_every_booking_event_is_emitted_with_its_declared_payload(app, client, org, worker):
    room = org.resource(client, capacity=2)
    monday = next_weekday(0)
    direct = org.book(client, room, at(monday, "09:00"), reference="ORDER-1").json
    held = hold(client, org, room, at(monday, "10:00"))
    confirmed = client.post(f"/v1/booking/holds/{held['id']}/confirm", headers=org.both, json={"attendee": ATTENDEE})
    assert confirmed.status_code == 201, confirmed.json
    moved = client.post(f"/v1/booking/bookings/{direct['id']}/reschedule", headers=org.both,
                        json={"start": iso(at(monday, "11:00"))})
    assert moved.status_code == 200, moved.json
    cancelled = client.post(f"/v1/booking/bookings/{direct['id']}/cancel", headers=org.both,
                            json={"reason": "Sam Citizen is unwell"})
    assert cancelled.status_code == 200, cancelled.json
    lapsed = hold(client, org, room, at(monday, "12:00"), minutes=5)
    let_time_pass(app, lapsed["id"])
    worker.drain()

    stored = events_of(app, org.tenant.id)
    seen = check_payloads(app, stored)
    booking_types = {e.type for e in events.declared(app) if e.component == "booking"}
    assert seen == booking_types  # every declared booking event is emitted by some flow, and only those
    by_type = {event.type: event for event in reversed(stored)}  # the first of each type
    assert by_type["civic.booking.created"].data["reference"] == "ORDER-1"
    assert by_type["civic.booking.confirmed"].data["hold_id"] == held["id"]
    assert by_type["civic.booking.hold_expired"].subject == lapsed["id"]
    assert by_type["civic.booking.cancelled"].data["sandbox"] is False
