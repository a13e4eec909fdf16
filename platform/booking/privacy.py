"""Attendees' personal data: declared to the core registry, searched, exported and erased per person, in the
caller's world. An attendee has a name but no date of birth, NHS number or postcode: only email and phone match.
Nothing holds an erasure back: a booking keeps its place (counted) without the person's details."""
import sqlalchemy as sa

from civic.booking.models import Booking
from civic.core import audit, privacy
from civic.core.db import session
from civic.core.privacy import Identifiers, PersonalData
from civic.core.tenancy import scoped

FIELDS = ("attendee_name", "attendee_email", "attendee_phone")
HELD = {"email": "attendee_email", "phone": "attendee_phone"}


def _matching(tenant_id, who: Identifiers) -> sa.Select:
    return privacy.matching(scoped(Booking, tenant_id), Booking, who, HELD)


def search(*, tenant_id, who: Identifiers) -> list[privacy.Match]:
    """The bookings holding the person's email or phone, with which field matched."""
    return privacy.search_rows(session, scoped(Booking, tenant_id), Booking, who, HELD, component="booking",
                               type="booking")


def export(*, tenant_id, who: Identifiers) -> list[dict]:
    """Every booking held for this person (in the caller's world); the audit log keeps which bookings went out."""
    rows = [{"type": "booking", "id": str(b.id), "resource_id": str(b.resource_id), "start": b.start.isoformat(),
             "end": b.end.isoformat(), "status": b.status, "reference": b.reference,
             "attendee": b.attendee, "created_at": b.created_at.isoformat()}
            for b in session.scalars(_matching(tenant_id, who).order_by(Booking.created_at))]
    # Ids only: the audit log must not become a second copy of the personal data.
    audit.record("booking.personal_data_exported", tenant_id=tenant_id, subject_type="data_subject",
                 detail={"booking_ids": [row["id"] for row in rows]})
    return rows


def erase(*, tenant_id, who: Identifiers) -> int:
    """Blank the person's name, email and phone on their bookings (the bookings stay, so places stay counted)."""
    ids = list(session.scalars(_matching(tenant_id, who).with_only_columns(Booking.id)))
    if ids:
        audit.record("booking.personal_data_erased", tenant_id=tenant_id, subject_type="data_subject",
                     detail={"booking_ids": [str(i) for i in ids]})
        session.execute(sa.update(Booking).where(Booking.id.in_(ids)).values(dict.fromkeys(FIELDS))
                        .execution_options(synchronize_session="fetch"))
    return len(ids)


def rectify(*, tenant_id, who: Identifiers, to: Identifiers) -> int:
    """Correct the email, phone or name on the person's bookings (audit: field names only)."""
    return privacy.rectify_rows(session, scoped(Booking, tenant_id), Booking, who, to, HELD,
                                tenant_id=tenant_id, component="booking", type="booking", name_field="attendee_name")


def expire(*, tenant_id, before, dry_run: bool) -> list[str]:
    """Blank the attendee's details on every booking (both worlds) that ended before `before`."""
    held = sa.or_(*(getattr(Booking, f).is_not(None) for f in FIELDS))
    ids = list(session.scalars(sa.select(Booking.id).where(Booking.tenant_id == tenant_id, Booking.end < before, held)
                               .execution_options(civic_tenant=tenant_id).order_by(Booking.end, Booking.id)))
    if ids and not dry_run:
        session.execute(sa.update(Booking).where(Booking.id.in_(ids)).values(dict.fromkeys(FIELDS))
                        .execution_options(synchronize_session="fetch"))
    return [str(i) for i in ids]


ENTRY = PersonalData(component="booking", model=Booking, fields=FIELDS,
                     purpose="To contact the person about their booking and to know who to expect.",
                     search=search, export=export, erase=erase, retention_days=730,
                     rectify=rectify,
                     expire=expire, clock="the booking's end", lawful_basis="contract",
                     categories_of_people=("people who book a place, room or appointment",),
                     categories_of_data=("name", "email address", "phone number"))
