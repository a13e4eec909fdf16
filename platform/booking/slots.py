"""The capacity counter of each slot, changed only by statements the database makes atomic.

Taking a place is `UPDATE booking_slot SET used = used + 1 WHERE id = :id AND
used < :capacity`: on PostgreSQL the row lock makes concurrent updates queue
and re-check the condition against the newest row, and on SQLite every write
request already holds the database write lock (BEGIN IMMEDIATE). Either way
exactly `capacity` requests can win. A hold leaves the counter only through
`UPDATE booking_hold SET status = ... WHERE status = 'held'`, so an expiry job
and a booking that sweeps the same expired hold cannot both give its place back.

A counter is in its resource's world (live or sandbox), as are the holds and
bookings in it, so test bookings never use a live place.
"""
import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from civic.booking import events, problems
from civic.booking.models import Hold, Resource, Slot
from civic.core.db import dialect, session, utcnow


def slot_id(*, resource: Resource, start: dt.datetime) -> uuid.UUID:
    """The counter row of (resource, start), created on first use (INSERT ... ON CONFLICT DO NOTHING).

    A bulk insert skips the session's flush hooks, so the counter takes its resource's world here.
    """
    insert = postgresql.insert if dialect() == "postgresql" else sqlite.insert
    session.execute(insert(Slot).values(id=uuid.uuid4(), tenant_id=resource.tenant_id, resource_id=resource.id,
                                        start=start, used=0, sandbox=resource.sandbox)
                    .on_conflict_do_nothing(index_elements=["resource_id", "start"]))
    return session.scalar(sa.select(Slot.id).where(Slot.resource_id == resource.id, Slot.start == start,
                                                   Slot.sandbox.is_(resource.sandbox)))


def lock(*slots: uuid.UUID, wait: bool = True) -> None:
    """Lock slot rows, always in id order, before touching their holds (so two transactions never wait on each other).

    FOR NO KEY UPDATE, so inserting a hold or booking that references the slot is not blocked. Jobs pass
    wait=False: a worker runs a batch of jobs in one transaction, so it must not queue for a lock while
    holding others; a busy slot fails the job, which is retried.
    """
    session.execute(sa.select(Slot.id).where(Slot.id.in_(slots)).order_by(Slot.id)
                    .with_for_update(key_share=True, nowait=not wait))


def take_place(*, slot: uuid.UUID, capacity: int) -> None:
    """Take one place in a locked slot or raise 409 `slot_unavailable`; holds past their expiry give theirs back first."""
    lock(slot)
    for attempt in range(2):
        taken = session.execute(sa.update(Slot).where(Slot.id == slot, Slot.used < capacity)
                                .values(used=Slot.used + 1).execution_options(synchronize_session=False))
        if taken.rowcount == 1:
            return
        if attempt == 0 and not sweep_expired(slot=slot):
            break
    raise problems.SLOT_UNAVAILABLE("That slot is full. Choose another time.")


def give_back(*, slot: uuid.UUID) -> None:
    session.execute(sa.update(Slot).where(Slot.id == slot).values(used=Slot.used - 1)
                    .execution_options(synchronize_session=False))


def end_hold(hold: Hold, status: str, *, now: dt.datetime | None = None) -> bool:
    """Move a live hold to `status` (its slot must be locked); only the caller that wins the change moves the place.

    Expiring needs the time to be up; confirming needs it not to be.
    """
    now = now or utcnow()
    condition = [Hold.id == hold.id, Hold.status == "held"]
    if status == "expired":
        condition.append(Hold.expires_at <= now)
    elif status == "confirmed":
        condition.append(Hold.expires_at > now)
    changed = session.execute(sa.update(Hold).where(*condition).values(status=status, updated_at=utcnow())
                              .execution_options(synchronize_session=False))
    session.refresh(hold)
    if changed.rowcount != 1:
        return False
    if status != "confirmed":
        give_back(slot=hold.slot_id)
    if status == "expired":
        events.HOLD_EXPIRED.emit(tenant_id=hold.tenant_id, subject=str(hold.id),
                                 data=events.hold_data(hold))
    return True


def sweep_expired(*, slot: uuid.UUID) -> int:
    """Expire the holds of one locked slot whose time is up (the job may not have run yet); returns places freed."""
    now = utcnow()
    due = session.scalars(sa.select(Hold).where(Hold.slot_id == slot, Hold.status == "held", Hold.expires_at <= now))
    return sum(end_hold(hold, "expired", now=now) for hold in list(due))


def counts(*, resource: Resource, start: dt.datetime, end: dt.datetime) -> dict[dt.datetime, int]:
    """Places used per slot start in [start, end), not counting holds past their expiry (in the resource's world)."""
    now = utcnow()
    used = dict(session.execute(sa.select(Slot.start, Slot.used).where(
        Slot.resource_id == resource.id, Slot.sandbox.is_(resource.sandbox), Slot.start >= start, Slot.start < end,
        Slot.used > 0)).all())
    if used:
        stale = session.execute(sa.select(Hold.start, sa.func.count()).where(
            Hold.resource_id == resource.id, Hold.sandbox.is_(resource.sandbox), Hold.status == "held",
            Hold.expires_at <= now,
            Hold.start >= start, Hold.start < end).group_by(Hold.start))
        for when, number in stale:
            used[when] = used.get(when, 0) - number
    return used
