"""The subjects' personal data on cases: declared to the core registry, exported and erased per person."""
import sqlalchemy as sa

from civic.casework.models import Case
from civic.core import audit, contact
from civic.core.db import session
from civic.core.privacy import PersonalData
from civic.core.tenancy import scoped

FIELDS = ("subject_name", "subject_email", "subject_phone", "subject_postcode", "subject_date_of_birth",
          "subject_nhs_number", "consent_recorded_at")


def _matching(tenant_id, email: str | None, phone: str | None) -> sa.Select:
    who = []
    if email:
        who.append(sa.func.lower(Case.subject_email) == email.strip().lower())
    if phone:
        who.append(Case.subject_phone == contact.lookup_phone(phone))
    return scoped(Case, tenant_id).where(sa.or_(*who) if who else sa.false())


def export(*, tenant_id, email: str | None = None, phone: str | None = None) -> list[dict]:
    """Every case about this person; the audit log keeps which cases went out (ids only)."""
    rows = [{"type": "case", "id": str(c.id), "title": c.title, "state": c.state, "reference": c.reference,
             "subject": {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in c.subject.items()},
             "created_at": c.created_at.isoformat()}
            for c in session.scalars(_matching(tenant_id, email, phone).order_by(Case.created_at))]
    audit.record("casework.personal_data_exported", tenant_id=tenant_id, subject_type="data_subject",
                 detail={"case_ids": [row["id"] for row in rows]})
    return rows


def erase(*, tenant_id, email: str | None = None, phone: str | None = None) -> int:
    """Blank the person's details on their cases (the cases and their timelines stay, without them)."""
    ids = list(session.scalars(_matching(tenant_id, email, phone).with_only_columns(Case.id)))
    if ids:
        audit.record("casework.personal_data_erased", tenant_id=tenant_id, subject_type="data_subject",
                     detail={"case_ids": [str(i) for i in ids]})
        session.execute(sa.update(Case).where(Case.id.in_(ids)).values(dict.fromkeys(FIELDS))
                        .execution_options(synchronize_session="fetch"))
    return len(ids)


ENTRY = PersonalData(component="casework", model=Case, fields=FIELDS,
                     purpose="To work with the person on their case and, under an agreement, refer them on.",
                     export=export, erase=erase, retention_days=2190)
