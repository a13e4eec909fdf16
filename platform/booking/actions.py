"""What booking lets other components and flows ask of it by name (civic.core.actions).

`booking.hold`, `booking.confirm_hold` and `booking.release_hold`: the holds API's operations, with its
schemas and service functions, for a flow that keeps a place while the person pays.

`booking.message_details`: who to write to about one booking and what to say, for a confirmation
message: the attendee's contact details (personal data: the read is audited), fields for a template,
and the booking's .ics file. It runs in the caller's world (a job sets it from the event's `sandbox`).
"""
import zoneinfo

import marshmallow as ma
import sqlalchemy as sa

from civic.booking import calendars, schemas, service
from civic.booking.models import Booking, Resource
from civic.core import audit
from civic.core.actions import Action
from civic.core.db import session
from civic.core.schemas import StrictSchema
from civic.core.tenancy import get_scoped


class DetailsInput(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    id = ma.fields.UUID(required=True, metadata={"description": "The booking's id."})


class DetailsOutput(ma.Schema):
    email_address = ma.fields.String(allow_none=True)
    phone_number = ma.fields.String(allow_none=True)
    name = ma.fields.String(allow_none=True)
    personalisation = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    ics = ma.fields.String(metadata={"description": "The booking as an iCalendar file."})


def message_details(*, tenant_id, id) -> dict:
    booking = get_scoped(Booking, tenant_id, id, what="booking")
    resource = session.scalar(sa.select(Resource).where(Resource.id == booking.resource_id))
    audit.personal_data_read(component="booking", subject_type="booking", ids=[booking.id], tenant_id=tenant_id)
    local = booking.start.astimezone(zoneinfo.ZoneInfo(booking.time_zone))
    return {"email_address": booking.attendee_email, "phone_number": booking.attendee_phone,
            "name": booking.attendee_name,
            "personalisation": {"name": booking.attendee_name or "", "resource": resource.name,
                                "start": local.strftime("%A %-d %B %Y at %H:%M"),
                                "booking_reference": booking.reference or str(booking.id)},
            "ics": calendars.booking_calendar(tenant_id=tenant_id, booking_id=booking.id).decode()}


MESSAGE_DETAILS = Action("booking.message_details", "Who to write to about a booking, and what to say.",
                         DetailsInput, DetailsOutput, message_details, scope="booking:read")


class HoldIdInput(StrictSchema):
    hold_id = ma.fields.UUID(required=True, metadata={"description": "The hold's id."})


class ConfirmInput(schemas.ConfirmHoldSchema):
    hold_id = ma.fields.UUID(required=True, metadata={"description": "The hold's id."})


HOLD = Action("booking.hold", "Keep a place for a few minutes (default 10) while the person pays or fills in "
              "details; it is given back by itself when it runs out.", schemas.HoldSchema, schemas.HoldSchema,
              service.create_hold)
CONFIRM_HOLD = Action("booking.confirm_hold", "Turn a hold into a booking for the person named, before it runs out.",
                      ConfirmInput, schemas.BookingSchema, service.confirm_hold)
def release_hold(*, tenant_id, hold_id):
    """Give a held place back. As a flow's undo: a hold already given back (released, run out, or its booking
    cancelled) is already what was asked; one whose booking stands is refused (`hold_not_active`)."""
    hold = service.get_hold(tenant_id=tenant_id, hold_id=hold_id)
    if hold.status in ("released", "expired"):
        return hold
    if hold.status == "confirmed" and hold.booking_id is not None and session.scalar(
            sa.select(Booking.status).where(Booking.id == hold.booking_id)) == "cancelled":
        return hold
    return service.release_hold(tenant_id=tenant_id, hold_id=hold_id)


class CancelInput(schemas.CancelSchema):
    booking_id = ma.fields.UUID(required=True, metadata={"description": "The booking's id."})


def cancel(*, tenant_id, booking_id, reason=None):
    """Cancel a booking and give its place back; one already cancelled is left as it is (a flow's undo)."""
    booking = get_scoped(Booking, tenant_id, booking_id, what="booking")
    if booking.status == "cancelled":
        return booking
    return service.cancel_booking(tenant_id=tenant_id, booking_id=booking_id, reason=reason)


RELEASE_HOLD = Action("booking.release_hold", "Give a held place back now (the person gave up, or did not pay); "
                      "one already given back is left as it is.", HoldIdInput, schemas.HoldSchema, release_hold)
CANCEL = Action("booking.cancel", "Cancel a booking and give its place back (one already cancelled is left as it is).",
                CancelInput, schemas.BookingSchema, cancel)
ACTIONS = (MESSAGE_DETAILS, HOLD, CONFIRM_HOLD, RELEASE_HOLD, CANCEL)
