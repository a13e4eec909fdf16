"""The reporter's personal data, declared to the privacy registry: export and erase for one person."""
import uuid

import sqlalchemy as sa

from civic.core import contact
from civic.core.db import session
from civic.core.privacy import PersonalData
from civic.reporting.models import Report

FIELDS = ("reporter_name", "reporter_email", "reporter_phone")


def _matching(tenant_id: uuid.UUID, email: str | None, phone: str | None) -> sa.Select | None:
    conditions = []
    if email:
        conditions.append(Report.reporter_email == email.strip().lower())
    if phone:
        conditions.append(Report.reporter_phone == contact.lookup_phone(phone))
    if not conditions:
        return None
    # Both worlds: a person's details are theirs to see and erase in test reports too.
    return sa.select(Report).where(Report.tenant_id == tenant_id, sa.or_(*conditions))


def export(*, tenant_id: uuid.UUID, email: str | None = None, phone: str | None = None) -> list[dict]:
    """Every report one person made to one tenant, with what we hold about them."""
    query = _matching(tenant_id, email, phone)
    if query is None:
        return []
    return [{"type": "report", "id": str(r.id), "created_at": r.created_at.isoformat(), "category": r.category.code,
             "description": r.description, "address": r.address, "lat": r.lat, "long": r.long, "status": r.status,
             "reporter_name": r.reporter_name, "reporter_email": r.reporter_email, "reporter_phone": r.reporter_phone}
            for r in session.scalars(query.order_by(Report.created_at))]


def erase(*, tenant_id: uuid.UUID, email: str | None = None, phone: str | None = None) -> int:
    """Remove one person's contact details from their reports; the reports stay for the record."""
    query = _matching(tenant_id, email, phone)
    if query is None:
        return 0
    ids = list(session.scalars(query.with_only_columns(Report.id)))
    if ids:
        session.execute(sa.update(Report).where(Report.id.in_(ids))
                        .values(reporter_name=None, reporter_email=None, reporter_phone=None))
        session.expire_all()
    return len(ids)


ENTRY = PersonalData(component="reporting", model=Report, fields=FIELDS,
                     purpose="To contact the person who made a report about its progress.",
                     export=export, erase=erase)
