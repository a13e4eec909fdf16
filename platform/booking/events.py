"""The events booking emits. Ids and times only: never the attendee's name, email or phone.

Each is a CloudEvents envelope (see civic.core.events) whose `subject` is the
booking or hold id and whose `data` is shown below. Every `data` also carries
`sandbox` (true for a sandbox client's test records), so a subscriber can tell test from live.
"""
from civic.core import events

CREATED = "civic.booking.created"
CONFIRMED = "civic.booking.confirmed"
CANCELLED = "civic.booking.cancelled"
RESCHEDULED = "civic.booking.rescheduled"
HOLD_EXPIRED = "civic.booking.hold_expired"


def _iso(when) -> str:
    return when.isoformat()


def _booking_data(booking) -> dict:
    return {"booking_id": str(booking.id), "resource_id": str(booking.resource_id), "start": _iso(booking.start),
            "end": _iso(booking.end), "status": booking.status, "reference": booking.reference,
            "sandbox": bool(booking.sandbox)}


def created(booking) -> None:
    """`civic.booking.created`: a new booking, made directly or from a hold.
    data: booking_id, resource_id, start, end, status, reference, hold_id."""
    events.emit(CREATED, tenant_id=booking.tenant_id, subject=str(booking.id),
                data={**_booking_data(booking), "hold_id": str(booking.hold_id) if booking.hold_id else None})


def confirmed(booking) -> None:
    """`civic.booking.confirmed`: a hold became a booking (after `created`).
    data: booking_id, hold_id, resource_id, start, end, status, reference."""
    events.emit(CONFIRMED, tenant_id=booking.tenant_id, subject=str(booking.id),
                data={**_booking_data(booking), "hold_id": str(booking.hold_id)})


def cancelled(booking) -> None:
    """`civic.booking.cancelled`: the place is free again. The free-text reason is left out (it may name someone).
    data: booking_id, resource_id, start, end, status, reference, cancelled_at."""
    events.emit(CANCELLED, tenant_id=booking.tenant_id, subject=str(booking.id),
                data={**_booking_data(booking), "cancelled_at": _iso(booking.cancelled_at)})


def rescheduled(booking, *, previous_start, previous_end) -> None:
    """`civic.booking.rescheduled`: same booking id, new slot.
    data: booking_id, resource_id, start, end, status, reference, previous_start, previous_end."""
    events.emit(RESCHEDULED, tenant_id=booking.tenant_id, subject=str(booking.id),
                data={**_booking_data(booking), "previous_start": _iso(previous_start),
                      "previous_end": _iso(previous_end)})


def hold_expired(hold) -> None:
    """`civic.booking.hold_expired`: a hold ran out before it was confirmed; its place is free again.
    data: hold_id, resource_id, start, end, expires_at, reference."""
    events.emit(HOLD_EXPIRED, tenant_id=hold.tenant_id, subject=str(hold.id),
                data={"hold_id": str(hold.id), "resource_id": str(hold.resource_id), "start": _iso(hold.start),
                      "end": _iso(hold.end), "expires_at": _iso(hold.expires_at), "reference": hold.reference,
                      "sandbox": bool(hold.sandbox)})
