"""iCalendar files: a resource's bookings for staff calendars, and one booking for a confirmation message.

They carry times, the resource's name and references, never the attendee's
personal data, so they can be shared and subscribed to without an audit trail.
"""
import datetime as dt
import uuid

import icalendar
import sqlalchemy as sa

from civic.booking.models import Booking, Resource
from civic.core.db import session, utcnow
from civic.core.tenancy import get_scoped, scoped

PRODID = "-//Civic Platform//Booking//EN"
CALENDAR_PAST_DAYS = 30
CALENDAR_MAX_EVENTS = 5000


def _calendar(name: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", icalendar.vText(name))  # an X- property is not escaped as text unless typed so
    return calendar


def _event(booking: Booking, resource: Resource) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"{booking.id}@civic-booking")
    event.add("dtstamp", utcnow())
    event.add("dtstart", booking.start)
    event.add("dtend", booking.end)
    event.add("last-modified", booking.updated_at)
    event.add("summary", resource.name)
    event.add("description", f"Booking {booking.reference or booking.id}")
    event.add("status", "CANCELLED" if booking.status == "cancelled" else "CONFIRMED")
    return event


def resource_calendar(*, tenant_id: uuid.UUID, resource_id) -> bytes:
    """The resource's confirmed bookings from 30 days ago onwards, as an .ics file."""
    resource = get_scoped(Resource, tenant_id, resource_id, what="resource")
    calendar = _calendar(resource.name)
    since = utcnow() - dt.timedelta(days=CALENDAR_PAST_DAYS)
    bookings = session.scalars(scoped(Booking, tenant_id).where(
        Booking.resource_id == resource.id, Booking.status == "confirmed", Booking.start >= since)
        .order_by(Booking.start).limit(CALENDAR_MAX_EVENTS))
    for booking in bookings:
        calendar.add_component(_event(booking, resource))
    return calendar.to_ical()


def booking_calendar(*, tenant_id: uuid.UUID, booking_id) -> bytes:
    """One booking as an .ics file (a cancelled booking comes out as a cancelled event)."""
    booking = get_scoped(Booking, tenant_id, booking_id, what="booking")
    resource = session.scalar(sa.select(Resource).where(Resource.id == booking.resource_id))
    calendar = _calendar(resource.name)
    calendar.add_component(_event(booking, resource))
    return calendar.to_ical()
