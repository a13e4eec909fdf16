"""Attendees' personal data: declared to the core registry, exported and erased per person, in the caller's world."""
import sqlalchemy as sa

from civic.booking.models import Booking
from civic.core import audit, contact
from civic.core.db import session
from civic.core.privacy import PersonalData
from civic.core.tenancy import scoped

FIELDS = ("attendee_name", "attendee_email", "attendee_phone")


def _matching(tenant_id, email: str | None, phone: str | None) -> sa.Select:
    who = []
    if email:
        who.append(sa.func.lower(Booking.attendee_email) == email.strip().lower())
    if phone:
        who.append(Booking.attendee_phone == contact.lookup_phone(phone))
    return scoped(Booking, tenant_id).where(sa.or_(*who)) if who else scoped(Booking, tenant_id).where(sa.false())


def export(*, tenant_id, email: str | None = None, phone: str | None = None) -> list[dict]:
    """Every booking held for this person (in the caller's world); the audit log keeps which bookings went out."""
    rows = [{"type": "booking", "id": str(b.id), "resource_id": str(b.resource_id), "start": b.start.isoformat(),
             "end": b.end.isoformat(), "status": b.status, "reference": b.reference,
             "attendee": b.attendee, "created_at": b.created_at.isoformat()}
            for b in session.scalars(_matching(tenant_id, email, phone).order_by(Booking.created_at))]
    # Ids only: the audit log must not become a second copy of the personal data.
    audit.record("booking.personal_data_exported", tenant_id=tenant_id, subject_type="data_subject",
                 detail={"booking_ids": [row["id"] for row in rows]})
    return rows


def erase(*, tenant_id, email: str | None = None, phone: str | None = None) -> int:
    """Blank the person's name, email and phone on their bookings (the bookings stay, so places stay counted)."""
    ids = list(session.scalars(_matching(tenant_id, email, phone).with_only_columns(Booking.id)))
    if ids:
        audit.record("booking.personal_data_erased", tenant_id=tenant_id, subject_type="data_subject",
                     detail={"booking_ids": [str(i) for i in ids]})
        session.execute(sa.update(Booking).where(Booking.id.in_(ids)).values(dict.fromkeys(FIELDS))
                        .execution_options(synchronize_session="fetch"))
    return len(ids)


ENTRY = PersonalData(component="booking", model=Booking, fields=FIELDS,
                     purpose="To contact the person about their booking and to know who to expect.",
                     export=export, erase=erase, retention_days=730)
