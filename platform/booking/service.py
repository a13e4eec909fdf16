"""Booking business logic: keyword-only functions, tenant first. They flush; the core commits."""
import datetime as dt
import types
import uuid

import sqlalchemy as sa

from civic.booking import availability as grid
from civic.booking import events, problems, slots
from civic.booking.models import Booking, Hold, OpeningException, Resource, Slot
from civic.core import audit, etag, jobs
from civic.core.db import session, utcnow
from civic.core.errors import Problem, ProblemType, not_found
from civic.core.pagination import paginate
from civic.core.tenancy import get_scoped, scoped

EXPIRE_HOLD_JOB = "booking.expire_hold"
MAX_AVAILABILITY_DAYS = 62


# --- resources -------------------------------------------------------------------
def _check_grid(resource: Resource) -> None:
    if resource.slot_minutes + resource.buffer_before_minutes + resource.buffer_after_minutes > 24 * 60:
        raise problems.SLOT_TOO_LONG("A slot and its buffers must fit in one day (1440 minutes).",
                                     errors={"slot_minutes": ["slot_minutes + buffer_before_minutes + buffer_after_minutes: at most 1440."]})
    if resource.step_minutes < resource.slot_minutes + resource.buffer_before_minutes + resource.buffer_after_minutes:
        raise problems.SLOTS_OVERLAP("Slots may not overlap: the step must be at least the slot length plus buffers.",
                                     errors={"step_minutes": ["At least slot_minutes + buffer_before_minutes + buffer_after_minutes."]})


def create_resource(*, tenant_id: uuid.UUID, step_minutes: int | None = None, **fields) -> Resource:
    """Create a bookable resource; the step defaults to the slot length plus buffers."""
    fields = {"slot_minutes": 30, "buffer_before_minutes": 0, "buffer_after_minutes": 0, **fields}
    resource = Resource(id=uuid.uuid4(), tenant_id=tenant_id, **fields)
    resource.step_minutes = step_minutes or (resource.slot_minutes + resource.buffer_before_minutes
                                             + resource.buffer_after_minutes)
    _check_grid(resource)
    session.add(resource)
    session.flush()
    return resource


def list_resources(*, tenant_id: uuid.UUID, active: bool | None = None, kind: str | None = None,
                   limit: int = 20, after: str | None = None) -> dict:
    """One page of the tenant's resources, by whether they take bookings and their kind."""
    query = scoped(Resource, tenant_id)
    if active is not None:
        query = query.where(Resource.active == active)
    if kind:
        query = query.where(Resource.kind == kind)
    return paginate(query, Resource, limit=limit, after=after)


def get_resource(*, tenant_id: uuid.UUID, resource_id) -> Resource:
    return get_scoped(Resource, tenant_id, resource_id, what="resource")


def _resource_for_booking(tenant_id: uuid.UUID, resource_id) -> Resource:
    """The resource, share-locked so its capacity cannot drop while we take a place (PostgreSQL)."""
    try:
        resource_id = uuid.UUID(str(resource_id))
    except ValueError:
        resource_id = None
    resource = session.scalars(scoped(Resource, tenant_id).where(Resource.id == resource_id)
                               .with_for_update(read=True).execution_options(populate_existing=True)).first()
    if resource is None:
        raise not_found("resource")
    if not resource.active:
        raise problems.RESOURCE_INACTIVE("This resource is not taking bookings.")
    return resource


def update_resource(*, tenant_id: uuid.UUID, resource_id, if_match: str | None = None, **changes) -> Resource:
    """Change a resource; capacity cannot drop below the places already taken in any future slot."""
    resource = get_scoped(Resource, tenant_id, resource_id, what="resource", lock=True)
    etag.check(resource, if_match)  # under the lock: of two changes from one version, one gets a 412
    if "capacity" in changes and changes["capacity"] < resource.capacity:
        busiest = session.scalar(sa.select(sa.func.max(Slot.used)).where(
            Slot.resource_id == resource.id, Slot.sandbox.is_(resource.sandbox), Slot.start >= utcnow())) or 0
        if busiest > changes["capacity"]:
            raise problems.CAPACITY_BELOW_BOOKINGS(
                f"A future slot already has {busiest} places taken; capacity cannot be less.",
                errors={"capacity": [f"At least {busiest}."]})
    if "step_minutes" in changes and changes["step_minutes"] is None:
        del changes["step_minutes"]  # null: back to the default, slot length plus buffers
        resource.step_minutes = 0
    for name, value in changes.items():
        setattr(resource, name, value)
    shortest = resource.slot_minutes + resource.buffer_before_minutes + resource.buffer_after_minutes
    if "step_minutes" not in changes and resource.step_minutes < shortest:
        resource.step_minutes = shortest  # longer slots push the step out; a longer step you chose is kept
    _check_grid(resource)
    session.flush()
    return resource


def add_exception(*, tenant_id: uuid.UUID, resource_id, **fields) -> OpeningException:
    """Close a resource on a date (all day or some hours), or open it for extra hours."""
    resource = get_resource(tenant_id=tenant_id, resource_id=resource_id)
    exception = OpeningException(id=uuid.uuid4(), tenant_id=tenant_id, resource_id=resource.id,
                                 sandbox=resource.sandbox, **fields)
    session.add(exception)
    session.flush()
    return exception


def list_exceptions(*, tenant_id: uuid.UUID, resource_id, limit: int = 20, after: str | None = None) -> dict:
    """One page of a resource's closures and extra openings."""
    resource = get_resource(tenant_id=tenant_id, resource_id=resource_id)
    query = scoped(OpeningException, tenant_id).where(OpeningException.resource_id == resource.id)
    return paginate(query, OpeningException, limit=limit, after=after)


def delete_exception(*, tenant_id: uuid.UUID, resource_id, exception_id) -> None:
    # Locked: of two deletes at once, the second waits, finds nothing and is a 404.
    exception = get_scoped(OpeningException, tenant_id, exception_id, what="exception", lock=True)
    if str(exception.resource_id) != str(resource_id):
        raise not_found("exception")
    session.delete(exception)
    session.flush()


# --- the grid --------------------------------------------------------------------
def _exceptions_by_date(resource: Resource, first: dt.date, last: dt.date) -> dict:
    found: dict[dt.date, list] = {}
    for exc in session.scalars(scoped(OpeningException, resource.tenant_id).where(
            OpeningException.resource_id == resource.id, OpeningException.date >= first, OpeningException.date <= last)):
        found.setdefault(exc.date, []).append(exc)
    return found


def _bad_slot(kind: ProblemType, detail: str) -> Problem:
    return kind(detail, errors={"start": [detail]})


def check_slot(resource: Resource, start: dt.datetime, end: dt.datetime | None) -> dt.datetime:
    """Raise the right 422 if `start` is not a bookable slot of the resource; return the slot's end."""
    if end is not None and end <= start:
        raise problems.END_BEFORE_START("The end must be after the start.", errors={"end": ["Must be after start."]})
    now = utcnow()
    if start <= now:
        raise _bad_slot(problems.SLOT_IN_PAST, "That time has already passed.")
    if start < now + dt.timedelta(minutes=resource.min_notice_minutes):
        raise _bad_slot(problems.INSIDE_MINIMUM_NOTICE, f"Book at least {resource.min_notice_minutes} minutes ahead.")
    if start > now + dt.timedelta(days=resource.max_advance_days):
        raise _bad_slot(problems.BEYOND_BOOKING_WINDOW, f"Bookings open {resource.max_advance_days} days ahead.")
    local_day = start.astimezone(grid.zone(resource.time_zone)).date()
    day = grid.plan_day(resource, local_day, _exceptions_by_date(resource, local_day, local_day).get(local_day, []))
    if start not in day.starts:
        code = grid.why_not_offered(resource, day, start)
        raise _bad_slot(problems.NOT_OFFERED[code], {"bank_holiday": "Closed on this bank holiday.", "closed_day": "Closed at that time.",
                               "slot_not_on_grid": "That is not the start of a slot.",
                               "outside_opening_hours": "That is outside the opening hours."}[code])
    slot_end = start + dt.timedelta(minutes=resource.slot_minutes)
    if end is not None and end != slot_end:
        raise problems.SLOT_NOT_ON_GRID(f"A slot lasts {resource.slot_minutes} minutes.",
                                       errors={"end": [f"Must be {slot_end.isoformat()}."]})
    return slot_end


def availability(*, tenant_id: uuid.UUID, resource_id, start: dt.datetime, end: dt.datetime) -> dict:
    """Every slot from `start` to `end` with its remaining places, in UTC and local time."""
    resource = get_resource(tenant_id=tenant_id, resource_id=resource_id)
    if end <= start:
        raise problems.END_BEFORE_START("`to` must be after `from`.", errors={"to": ["Must be after from."]})
    if end - start > dt.timedelta(days=MAX_AVAILABILITY_DAYS):
        raise problems.RANGE_TOO_LONG(f"Ask for at most {MAX_AVAILABILITY_DAYS} days at a time.",
                                      errors={"to": [f"At most {MAX_AVAILABILITY_DAYS} days after from."]})
    result = {"resource_id": resource.id, "time_zone": resource.time_zone, "slots": []}
    now = utcnow()
    start = max(start, now + dt.timedelta(minutes=resource.min_notice_minutes), now + dt.timedelta(microseconds=1))
    end = min(end, now + dt.timedelta(days=resource.max_advance_days, microseconds=1))
    if not resource.active or end <= start:
        return result
    dates = grid.local_dates(resource, start, end)
    used = slots.counts(resource=resource, start=start, end=end)
    result["slots"] = grid.describe(resource, start, end, _exceptions_by_date(resource, dates[0], dates[-1]), used)
    return result


# --- holds -----------------------------------------------------------------------
def create_hold(*, tenant_id: uuid.UUID, resource_id, start: dt.datetime, end: dt.datetime | None = None,
                minutes: int = 10, reference: str | None = None, metadata_: dict | None = None) -> Hold:
    """Keep a place for `minutes`; a job gives it back when the time is up."""
    resource = _resource_for_booking(tenant_id, resource_id)
    slot_end = check_slot(resource, start, end)
    slot = slots.slot_id(resource=resource, start=start)
    slots.take_place(slot=slot, capacity=resource.capacity)
    hold = Hold(id=uuid.uuid4(), tenant_id=tenant_id, resource_id=resource.id, slot_id=slot, start=start, end=slot_end,
                time_zone=resource.time_zone, expires_at=utcnow() + dt.timedelta(minutes=minutes), status="held",
                sandbox=resource.sandbox, reference=reference, metadata_=metadata_ or {})
    session.add(hold)
    session.flush()
    # The job runs with no caller: the payload tells it which world the hold is in.
    jobs.enqueue(EXPIRE_HOLD_JOB, {"hold_id": str(hold.id), "sandbox": hold.sandbox}, tenant_id=tenant_id,
                 run_at=hold.expires_at)
    return hold


def get_hold(*, tenant_id: uuid.UUID, hold_id) -> Hold:
    return get_scoped(Hold, tenant_id, hold_id, what="hold")


def _finish_hold(hold: Hold, status: str) -> None:
    slots.lock(hold.slot_id)
    if slots.end_hold(hold, status):
        return
    if hold.status == "held":  # its time ran out
        slots.end_hold(hold, "expired")
        raise problems.HOLD_EXPIRED("This hold has expired and its place was given back. Make a new one.")
    raise problems.HOLD_NOT_ACTIVE(f"This hold is already {hold.status}.")


def release_hold(*, tenant_id: uuid.UUID, hold_id) -> Hold:
    """Give a held place back before its time is up."""
    hold = get_hold(tenant_id=tenant_id, hold_id=hold_id)
    _finish_hold(hold, "released")
    return hold


def expire_hold(*, tenant_id: uuid.UUID, hold_id) -> bool:
    """The job: if the hold is still live and its time is up, give the place back (safe to run twice)."""
    hold = session.scalars(scoped(Hold, tenant_id).where(Hold.id == uuid.UUID(str(hold_id)))).first()
    if hold is None or hold.status != "held":
        return False
    slots.lock(hold.slot_id, wait=False)
    return slots.end_hold(hold, "expired")


def confirm_hold(*, tenant_id: uuid.UUID, hold_id, attendee: dict, reference: str | None = None,
                 metadata_: dict | None = None) -> Booking:
    """Turn a live hold into a booking; the place moves from the hold to the booking."""
    hold = get_hold(tenant_id=tenant_id, hold_id=hold_id)
    _finish_hold(hold, "confirmed")
    booking = _new_booking(tenant_id, hold, slot=hold.slot_id, attendee=attendee, hold_id=hold.id,
                           reference=reference if reference is not None else hold.reference,
                           metadata_=metadata_ or hold.metadata_)
    hold.booking_id = booking.id
    session.flush()
    events.CONFIRMED.emit(tenant_id=tenant_id, subject=str(booking.id),
                          data=events.booking_data(booking, hold_id=str(hold.id)))
    return booking


# --- bookings --------------------------------------------------------------------
def _shown(tenant_id: uuid.UUID, bookings) -> None:
    """The answer shows these attendees' details (every booking has an attendee)."""
    audit.personal_data_read(component="booking", subject_type="booking", ids=[b.id for b in bookings],
                             tenant_id=tenant_id)


def _new_booking(tenant_id, when, *, slot, attendee: dict, hold_id=None, reference=None, metadata_=None) -> Booking:
    booking = Booking(id=uuid.uuid4(), tenant_id=tenant_id, resource_id=when.resource_id, slot_id=slot,
                      start=when.start, end=when.end, time_zone=when.time_zone, status="confirmed", hold_id=hold_id,
                      sandbox=when.sandbox,
                      attendee_name=attendee["name"], attendee_email=attendee.get("email"),
                      attendee_phone=attendee.get("phone"), reference=reference, metadata_=metadata_ or {})
    session.add(booking)
    session.flush()
    events.CREATED.emit(tenant_id=tenant_id, subject=str(booking.id),
                        data=events.booking_data(booking, hold_id=str(hold_id) if hold_id else None))
    audit.personal_data_changed(component="booking", subject_type="booking", ids=[booking.id], tenant_id=tenant_id)
    return booking


def create_booking(*, tenant_id: uuid.UUID, resource_id, start: dt.datetime, attendee: dict,
                   end: dt.datetime | None = None, reference: str | None = None,
                   metadata_: dict | None = None) -> Booking:
    """Book a place directly (no hold first)."""
    resource = _resource_for_booking(tenant_id, resource_id)
    slot_end = check_slot(resource, start, end)
    slot = slots.slot_id(resource=resource, start=start)
    slots.take_place(slot=slot, capacity=resource.capacity)
    when = types.SimpleNamespace(resource_id=resource.id, start=start, end=slot_end, time_zone=resource.time_zone,
                                 sandbox=resource.sandbox)
    return _new_booking(tenant_id, when, slot=slot, attendee=attendee, reference=reference, metadata_=metadata_)


def get_booking(*, tenant_id: uuid.UUID, booking_id) -> Booking:
    """One booking with its attendee's details (the read is audited)."""
    booking = get_scoped(Booking, tenant_id, booking_id, what="booking")
    _shown(tenant_id, [booking])
    return booking


def list_bookings(*, tenant_id: uuid.UUID, limit: int = 20, after: str | None = None, resource_id=None,
                  from_: dt.datetime | None = None, to: dt.datetime | None = None, status: str | None = None,
                  reference: str | None = None) -> dict:
    """One page of bookings, filtered by resource, start time, status or your reference."""
    query = scoped(Booking, tenant_id)
    for column, value in ((Booking.resource_id, resource_id), (Booking.status, status), (Booking.reference, reference)):
        if value is not None:
            query = query.where(column == value)
    if from_ is not None:
        query = query.where(Booking.start >= from_)
    if to is not None:
        query = query.where(Booking.start < to)
    page = paginate(query, Booking, limit=limit, after=after)
    _shown(tenant_id, page["items"])
    return page


def day_list(*, tenant_id: uuid.UUID, date: dt.date, time_zone: str = "Europe/London") -> dict:
    """Everyone booked on one local day, across all resources, in time order (the receptionist's list)."""
    tz = grid.zone(time_zone)
    first = dt.datetime.combine(date, dt.time(), tzinfo=tz)
    last = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    items = list(session.scalars(scoped(Booking, tenant_id).where(
        Booking.status == "confirmed", Booking.start >= first, Booking.start < last).order_by(Booking.start, Booking.id)))
    _shown(tenant_id, items)
    return {"date": date, "time_zone": time_zone, "items": items}


def cancel_booking(*, tenant_id: uuid.UUID, booking_id, reason: str | None = None) -> Booking:
    """Cancel a booking and give its place back."""
    booking = get_scoped(Booking, tenant_id, booking_id, what="booking", lock=True)
    if booking.status == "cancelled":
        raise problems.BOOKING_CANCELLED("This booking is already cancelled.")
    slots.give_back(slot=booking.slot_id)
    booking.status, booking.cancel_reason, booking.cancelled_at = "cancelled", reason, utcnow()
    session.flush()
    events.CANCELLED.emit(tenant_id=tenant_id, subject=str(booking.id),
                          data=events.booking_data(booking, cancelled_at=booking.cancelled_at.isoformat()))
    _shown(tenant_id, [booking])
    return booking


def reschedule_booking(*, tenant_id: uuid.UUID, booking_id, start: dt.datetime,
                       end: dt.datetime | None = None) -> Booking:
    """Move a booking to another slot of the same resource, keeping its id: all or nothing."""
    booking = get_scoped(Booking, tenant_id, booking_id, what="booking", lock=True)
    if booking.status == "cancelled":
        raise problems.BOOKING_CANCELLED("A cancelled booking cannot be moved.")
    resource = _resource_for_booking(tenant_id, booking.resource_id)
    slot_end = check_slot(resource, start, end)
    if start == booking.start:
        raise _bad_slot(problems.SAME_SLOT, "The booking is already in that slot.")
    new_slot, old_slot = slots.slot_id(resource=resource, start=start), booking.slot_id
    slots.lock(new_slot, old_slot)
    slots.take_place(slot=new_slot, capacity=resource.capacity)
    slots.give_back(slot=old_slot)
    previous_start, previous_end = booking.start, booking.end
    booking.slot_id, booking.start, booking.end, booking.time_zone = new_slot, start, slot_end, resource.time_zone
    session.flush()
    events.RESCHEDULED.emit(tenant_id=tenant_id, subject=str(booking.id),
                            data=events.booking_data(booking, previous_start=previous_start.isoformat(),
                                                     previous_end=previous_end.isoformat()))
    _shown(tenant_id, [booking])
    return booking
