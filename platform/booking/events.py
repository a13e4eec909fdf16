"""The events booking emits. Ids, codes and times only: never the attendee's name, email or phone.

Each is a CloudEvents envelope (see civic.core.events) whose `subject` is the booking or hold id.
Every `data` carries `sandbox` (true for a sandbox client's test records), so a subscriber can
tell test from live. Emit them as `events.CREATED.emit(tenant_id=..., subject=..., data=...)`.
"""
from marshmallow import Schema, fields

from civic.core.events import EventType


class _BookingData(Schema):
    booking_id = fields.UUID(required=True)
    resource_id = fields.UUID(required=True)
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)
    status = fields.String(required=True)
    reference = fields.String(required=True, allow_none=True)
    sandbox = fields.Boolean(required=True)


class CreatedData(_BookingData):
    hold_id = fields.UUID(required=True, allow_none=True)


class ConfirmedData(_BookingData):
    hold_id = fields.UUID(required=True)


class CancelledData(_BookingData):
    cancelled_at = fields.AwareDateTime(required=True)


class RescheduledData(_BookingData):
    previous_start = fields.AwareDateTime(required=True)
    previous_end = fields.AwareDateTime(required=True)


class HoldExpiredData(Schema):
    hold_id = fields.UUID(required=True)
    resource_id = fields.UUID(required=True)
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)
    reference = fields.String(required=True, allow_none=True)
    sandbox = fields.Boolean(required=True)


CREATED = EventType("civic.booking.created", "A place was booked, directly or from a hold.", CreatedData)
CONFIRMED = EventType("civic.booking.confirmed", "A hold became a booking (emitted after `created`).", ConfirmedData)
CANCELLED = EventType("civic.booking.cancelled", "A booking was cancelled: its place is free again "
                      "(the free-text reason is left out: it may name someone).", CancelledData)
RESCHEDULED = EventType("civic.booking.rescheduled", "A booking moved to a new slot (same booking id).",
                        RescheduledData)
HOLD_EXPIRED = EventType("civic.booking.hold_expired", "A hold ran out before it was confirmed: its place is free again.",
                         HoldExpiredData)


def booking_data(booking, **extra) -> dict:
    """The payload every booking event shares, plus the event's own fields."""
    return {"booking_id": str(booking.id), "resource_id": str(booking.resource_id), "start": booking.start.isoformat(),
            "end": booking.end.isoformat(), "status": booking.status, "reference": booking.reference,
            "sandbox": bool(booking.sandbox), **extra}


def hold_data(hold) -> dict:
    return {"hold_id": str(hold.id), "resource_id": str(hold.resource_id), "start": hold.start.isoformat(),
            "end": hold.end.isoformat(), "expires_at": hold.expires_at.isoformat(), "reference": hold.reference,
            "sandbox": bool(hold.sandbox)}
