"""A booking confirmation goes out from a booking event, configured per organisation, with no code."""

from civic.core import actions
from civic.notify.models import Message
from tests.booking.conftest import at, iso, next_weekday
from tests.builders import create_resource
from tests.notify.conftest import CONFIRMATION, stored

BOOKING = ("booking:read", "booking:write")


def confirm_a_booking(org, email="sam@example.org"):
    both = org.make.headers(org.tenant, *BOOKING)
    room = create_resource(org.client, both, name="Community room")
    hold = org.client.post("/v1/booking/holds", headers=both,
                           json={"resource_id": room["id"], "start": iso(at(next_weekday(0), "10:00"))})
    assert hold.status_code == 201, hold.json
    booking = org.client.post(f"/v1/booking/holds/{hold.json['id']}/confirm", headers=both,
                              json={"attendee": {"name": "Sam Patel", "email": email}})
    assert booking.status_code == 201, booking.json
    return booking.json


def test_when_a_booking_is_confirmed_the_configured_template_is_sent(app, org, worker, fake_notify):
    org.template("booking_confirmation", "email", CONFIRMATION + "\n\n((calendar_file))",
                 subject="Your booking: ((resource))")
    org.configure(triggers=[{"event_type": "civic.booking.confirmed", "template": "booking_confirmation"}])
    booking = confirm_a_booking(org)
    worker.drain()
    (message,) = stored(app, Message, Message.tenant_id == org.tenant.id)
    assert message.link_type == "booking.booking" and str(message.link_id) == booking["id"]
    (note,) = fake_notify.sent(reference=str(message.id))
    assert note["to"] == "sam@example.org" and "Hello Sam Patel" in note["body"]
    assert "Community room" in note["subject"] and "'filename': 'booking.ics'" in note["body"]
    worker.drain()  # the event's job again changes nothing: once per event and template
    assert len(stored(app, Message, Message.tenant_id == org.tenant.id)) == 1


def test_without_a_rule_a_booking_sends_nothing(app, org, worker, fake_notify):
    org.confirmation()
    confirm_a_booking(org)
    worker.drain()
    assert stored(app, Message) == [] and fake_notify.sent() == []


def test_the_action_is_booking_s_and_runs_for_one_tenant_only(app, org, other_org):
    booking = confirm_a_booking(org)
    with app.app_context():
        assert "booking.message_details" in actions.names(app)
        from civic.core.errors import Problem

        try:
            actions.run("booking.message_details", tenant_id=other_org.tenant.id, data={"id": booking["id"]})
        except Problem as problem:
            assert problem.status == 404
        else:
            raise AssertionError("another tenant's booking was found")
        details = actions.run("booking.message_details", tenant_id=org.tenant.id, data={"id": booking["id"]})
        assert details["email_address"] == "sam@example.org" and details["ics"].startswith("BEGIN:VCALENDAR")
