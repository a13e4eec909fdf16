"""The reporter's personal data, declared to the privacy registry: search, export and erase for one person.

A reporter has a name, an email and a phone (no date of birth, NHS number or postcode): only email and
phone match. Both worlds: a person's details are theirs to see and erase in test reports too."""
import uuid

import sqlalchemy as sa

from civic.core import privacy
from civic.core.db import session
from civic.core.privacy import Identifiers, PersonalData
from civic.core.tenancy import scoped
from civic.reporting.models import Report, ReportUpdate, Transfer

FIELDS = ("reporter_name", "reporter_email", "reporter_phone")
HELD = {"email": "reporter_email", "phone": "reporter_phone"}


def _reports(tenant_id: uuid.UUID) -> sa.Select:
    return scoped(Report, tenant_id)  # the caller's world only (a sandbox erasure never touches live reports)


def search(*, tenant_id: uuid.UUID, who: Identifiers) -> list[privacy.Match]:
    """The reports the person made, with which contact field matched."""
    return privacy.search_rows(session, _reports(tenant_id), Report, who, HELD, component="reporting", type="report")


def export(*, tenant_id: uuid.UUID, who: Identifiers) -> list[dict]:
    """Every report one person made to one tenant, with what we hold about them."""
    query = privacy.matching(_reports(tenant_id), Report, who, HELD)
    return [{"type": "report", "id": str(r.id), "created_at": r.created_at.isoformat(), "category": r.category.code,
             "description": r.description, "address": r.address, "lat": r.lat, "long": r.long, "status": r.status,
             "reporter_name": r.reporter_name, "reporter_email": r.reporter_email, "reporter_phone": r.reporter_phone}
            for r in session.scalars(query.order_by(Report.created_at))]


def _forget(tenant_id: uuid.UUID, ids: list, who: Identifiers | None = None) -> None:
    """Blank the reporter's details on these reports, and take every mention of them (their name, email or
    phone as the report held them, and `who`'s identifiers) out of the description and the notes, which stay."""
    mine = {"civic_tenant": tenant_id}
    for report in session.scalars(sa.select(Report).where(Report.id.in_(ids)).execution_options(**mine)):
        held = who or Identifiers()
        held = Identifiers(email=held.email or report.reporter_email, phone=held.phone or report.reporter_phone,
                           nhs_number=held.nhs_number, name=held.name)
        name = report.reporter_name
        report.description = privacy.redact(report.description, held, name)
        for model in (ReportUpdate, Transfer):
            for row in session.scalars(sa.select(model).where(model.report_id == report.id, model.note.is_not(None))
                                      .execution_options(**mine)):
                row.note = privacy.redact(row.note, held, name)
        report.reporter_name = report.reporter_email = report.reporter_phone = None
    session.flush()


def erase(*, tenant_id: uuid.UUID, who: Identifiers) -> int:
    """Remove one person's contact details from their reports, and their mentions from its free text; the
    reports stay for the record."""
    query = privacy.matching(_reports(tenant_id), Report, who, HELD)
    ids = list(session.scalars(query.with_only_columns(Report.id)))
    if ids:
        _forget(tenant_id, ids, who)
    return len(ids)


def rectify(*, tenant_id: uuid.UUID, who: Identifiers, to: Identifiers) -> int:
    """Correct the email, phone or name on the reports the person made."""
    changed = privacy.rectify_rows(session, _reports(tenant_id), Report, who, to, HELD,
                                tenant_id=tenant_id, component="reporting", type="report", name_field="reporter_name")
    session.expire_all()
    return changed


def expire(*, tenant_id: uuid.UUID, before, dry_run: bool) -> list[str]:
    """Remove the reporter's details from every closed report (both worlds) last closed before `before`."""
    closed = (sa.select(ReportUpdate.report_id).where(ReportUpdate.tenant_id == tenant_id, ReportUpdate.status == "closed")
              .group_by(ReportUpdate.report_id).having(sa.func.max(ReportUpdate.created_at) < before))
    held = sa.or_(*(getattr(Report, f).is_not(None) for f in FIELDS))
    ids = list(session.scalars(sa.select(Report.id).where(Report.tenant_id == tenant_id, Report.status == "closed",
                                                          Report.id.in_(closed), held)
                               .execution_options(civic_tenant=tenant_id).order_by(Report.created_at, Report.id)))
    if ids and not dry_run:
        _forget(tenant_id, ids)
    return [str(i) for i in ids]


ENTRY = PersonalData(component="reporting", model=Report, fields=FIELDS,
                     purpose="To contact the person who made a report about its progress.",
                     search=search, export=export, erase=erase, retention_days=365,
                     expire=expire, clock="the report's closure", lawful_basis="public_task",
                     categories_of_people=("people who report a problem",),
                     categories_of_data=("name", "email address", "phone number"),
                     rectify=rectify)
