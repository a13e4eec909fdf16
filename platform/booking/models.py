"""Booking tables: resources, their dated exceptions, slots (the capacity counters), holds and bookings.

The overbooking invariant lives in `booking_slot`: one row per (resource, start)
whose `used` counts the bookings and live holds in that slot. It only ever
changes by a conditional UPDATE (`used = used + 1 WHERE used < capacity`), so
the database, not a check-then-insert in Python, decides who gets the last place.

Every table is `Sandboxed`: a record is live or test (sandbox), and a hold, booking,
exception or slot counter is always in its resource's world, so test bookings only
ever count against a test resource's capacity.
"""
import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from civic.core.calendar import BANK_HOLIDAY_REGIONS  # noqa: F401  (booking's schemas use it from here)
from civic.core.db import Base, Entity
from civic.core.tenancy import Sandboxed, TenantOwned, tenant_column

HOLD_STATUSES = ("held", "confirmed", "expired", "released")
BOOKING_STATUSES = ("confirmed", "cancelled")
EXCEPTION_KINDS = ("closed", "open")


def _resource_fk() -> Mapped[uuid.UUID]:
    return mapped_column(sa.ForeignKey("booking_resource.id", ondelete="CASCADE"), index=True)


class Resource(TenantOwned, Sandboxed, Entity, Base):
    """Something bookable: a room, an appointment diary, a collection round, a class with places."""

    __tablename__ = "booking_resource"

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(50), default="appointment")
    description: Mapped[str | None] = mapped_column(sa.Text)
    capacity: Mapped[int] = mapped_column(default=1)
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="Europe/London")
    slot_minutes: Mapped[int] = mapped_column(default=30)
    step_minutes: Mapped[int] = mapped_column(default=30)
    buffer_before_minutes: Mapped[int] = mapped_column(default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(default=0)
    min_notice_minutes: Mapped[int] = mapped_column(default=0)
    max_advance_days: Mapped[int] = mapped_column(default=90)
    bank_holiday_region: Mapped[str] = mapped_column(sa.String(20), default="england-and-wales")
    open_on_bank_holidays: Mapped[bool] = mapped_column(default=False)
    # {"monday": [{"start": "09:00", "end": "12:00"}, ...], ...}: local wall-clock times
    opening_hours: Mapped[dict] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(default=True)
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)


class OpeningException(TenantOwned, Sandboxed, Entity, Base):
    """A dated change to the weekly hours: a closure (all day or some hours) or an extra opening."""

    __tablename__ = "booking_exception"

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    resource_id: Mapped[uuid.UUID] = _resource_fk()
    date: Mapped[dt.date] = mapped_column(sa.Date)
    kind: Mapped[str] = mapped_column(sa.String(10))
    start_time: Mapped[str | None] = mapped_column(sa.String(5))
    end_time: Mapped[str | None] = mapped_column(sa.String(5))
    reason: Mapped[str | None] = mapped_column(sa.String(200))
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)


class Slot(TenantOwned, Sandboxed, Base):
    """The capacity counter of one slot: bookings plus live holds that occupy it."""

    __tablename__ = "booking_slot"
    __table_args__ = (sa.UniqueConstraint("resource_id", "start", name="uq_booking_slot_resource_start"),
                      sa.CheckConstraint("used >= 0", name="used_not_negative"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = tenant_column()
    resource_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("booking_resource.id", ondelete="CASCADE"))
    start: Mapped[dt.datetime]
    used: Mapped[int] = mapped_column(default=0)


class Hold(TenantOwned, Sandboxed, Entity, Base):
    """A place reserved for a few minutes, e.g. while the citizen pays."""

    __tablename__ = "booking_hold"
    __table_args__ = (sa.Index("ix_booking_hold_slot_status", "slot_id", "status"),)

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    resource_id: Mapped[uuid.UUID] = _resource_fk()
    slot_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("booking_slot.id", ondelete="CASCADE"))
    start: Mapped[dt.datetime]
    end: Mapped[dt.datetime]
    time_zone: Mapped[str] = mapped_column(sa.String(64))
    expires_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(sa.String(10), default="held")
    booking_id: Mapped[uuid.UUID | None]
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)


class Booking(TenantOwned, Sandboxed, Entity, Base):
    """A place in a slot, for one attendee (whose name, email and phone are personal data)."""

    __tablename__ = "booking_booking"
    __table_args__ = (sa.Index("ix_booking_booking_tenant_start", "tenant_id", "start"),
                      sa.Index("ix_booking_booking_slot_id", "slot_id"))

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    resource_id: Mapped[uuid.UUID] = _resource_fk()
    slot_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("booking_slot.id"))
    start: Mapped[dt.datetime]
    end: Mapped[dt.datetime]
    time_zone: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(10), default="confirmed")
    hold_id: Mapped[uuid.UUID | None]
    attendee_name: Mapped[str | None] = mapped_column(sa.String(200))
    attendee_email: Mapped[str | None] = mapped_column(sa.String(320), index=True)
    attendee_phone: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))
    cancelled_at: Mapped[dt.datetime | None]
    reference: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)

    @property
    def attendee(self) -> dict:
        return {"name": self.attendee_name, "email": self.attendee_email, "phone": self.attendee_phone}
