"""What the public may see and do without a token: Open311 services, requests and updates.

Only active organisations' public categories are shown, and never anyone's contact details.
"""
import datetime as dt
import uuid

import sqlalchemy as sa

from civic.core.db import session
from civic.core import problems as core_problems
from civic.core.tenancy import Tenant, scoped
from civic.reporting import problems, service
from civic.reporting.models import Category, Report, ReportUpdate

PLACE_SEPARATOR = ":"  # place-wide service codes are "<organisation slug>:<category code>"
MAX_REQUESTS = 1000
MAX_SPAN = dt.timedelta(days=90)

# Open311 has open/closed; FixMyStreet's extension has finer states for updates.
FMS_STATUS = {"open": "open", "acknowledged": "investigating", "in_progress": "in_progress"}
FMS_CLOSED = {None: "closed", "fixed": "fixed", "duplicate": "duplicate",
              "not_responsible": "not_councils_responsibility", "referred": "internal_referral"}
FROM_FMS = {"open": ("open", None), "investigating": ("acknowledged", None), "action_scheduled": ("in_progress", None),
            "in_progress": ("in_progress", None), "closed": ("closed", None), "fixed": ("closed", "fixed"),
            "duplicate": ("closed", "duplicate"), "not_councils_responsibility": ("closed", "not_responsible"),
            "internal_referral": ("closed", "referred"), "no_further_action": ("closed", None)}


def jurisdiction(slug: str | None) -> Tenant | None:
    """The organisation named by `jurisdiction_id`, or None for the whole place."""
    if not slug:
        return None
    tenant = service.reporting_tenant_by_slug(slug)
    if tenant is None:
        raise problems.JURISDICTION_NOT_FOUND(f"jurisdiction_id {slug!r} was not found.")
    return tenant


def _active_tenants() -> list[uuid.UUID]:
    return service.reporting_tenant_ids()


def public_categories(*, tenant: Tenant | None) -> list[tuple[Category, Tenant]]:
    """Active public categories of one organisation, or of every active organisation."""
    query = (sa.select(Category, Tenant).join(Tenant, Category.tenant_id == Tenant.id)
             .where(Category.public.is_(True), Category.active.is_(True), Tenant.status == "active")
             .order_by(Tenant.slug, Category.code))
    if tenant is not None:
        query = query.where(Category.tenant_id == tenant.id)
    return [(c, t) for c, t in session.execute(query) if t.has_component("reporting")]


def service_code(code: str, slug: str, place_wide: bool) -> str:
    return f"{slug}{PLACE_SEPARATOR}{code}" if place_wide else code


def find_category(*, code: str, tenant: Tenant | None, client_tenant_id: uuid.UUID | None = None) -> tuple[Category, Tenant]:
    """The category a service code names; non-public ones only for their owner's own API key."""
    slug, _, plain = code.rpartition(PLACE_SEPARATOR)
    if slug:
        owner = service.reporting_tenant_by_slug(slug)
        if owner is None or (tenant is not None and owner.id != tenant.id):
            raise problems.SERVICE_NOT_FOUND(f"service_code {code!r} was not found.")
    elif tenant is None:
        raise problems.SERVICE_NOT_FOUND(
            f"service_code {code!r} was not found: without jurisdiction_id, use a code from services.")
    else:
        owner = tenant
    category = session.scalars(sa.select(Category).where(Category.tenant_id == owner.id, Category.code == plain)).first()
    if category is None or (not category.public and client_tenant_id != owner.id):
        raise problems.SERVICE_NOT_FOUND(f"service_code {code!r} was not found.")
    return category, owner


def _visible(query: sa.Select, tenant: Tenant | None) -> sa.Select:
    query = (query.join(Category, Report.category_id == Category.id)
             .where(Category.public.is_(True), Report.tenant_id.in_(_active_tenants()), Report.sandbox.is_(False)))
    return query.where(Report.tenant_id == tenant.id) if tenant is not None else query


def requests(*, tenant: Tenant | None, ids: list[str] | None = None, codes: list[str] | None = None,
             start: dt.datetime | None = None, end: dt.datetime | None = None,
             statuses: list[str] | None = None, now: dt.datetime) -> list[Report]:
    """Public reports, newest first: by id (overrides the rest), or by code, dates and status."""
    query = _visible(sa.select(Report), tenant)
    if ids:
        uuids = [_uuid(i) for i in ids]
        query = query.where(Report.id.in_([u for u in uuids if u]))
        return list(session.scalars(query.order_by(Report.created_at.desc()).limit(MAX_REQUESTS)))
    start, end = _window(start, end, now)
    query = query.where(Report.created_at >= start, Report.created_at <= end, Report.sandbox.is_(False))
    if codes:
        query = query.where(sa.or_(*[_code_filter(code, tenant) for code in codes]))
    if statuses:
        query = query.where(Report.status == "closed" if statuses == ["closed"] else
                            Report.status != "closed" if statuses == ["open"] else sa.true())
    return list(session.scalars(query.order_by(Report.created_at.desc()).limit(MAX_REQUESTS)))


def _window(start, end, now):
    """Open311's default and largest window: 90 days."""
    if start and end and end - start > MAX_SPAN:
        raise problems.DATE_RANGE_TOO_LONG("start_date to end_date may not span more than 90 days.")
    if start and end and end < start:
        raise problems.BAD_DATE_RANGE("end_date is before start_date.")
    end = end or (start + MAX_SPAN if start else now)
    return start or end - MAX_SPAN, end


def _code_filter(code: str, tenant: Tenant | None):
    slug, _, plain = code.rpartition(PLACE_SEPARATOR)
    condition = Category.code == plain
    if slug:
        condition = sa.and_(condition, Report.tenant_id.in_(sa.select(Tenant.id).where(Tenant.slug == slug)))
    return condition


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None


def request(*, report_id: str, tenant: Tenant | None) -> Report:
    report_uuid = _uuid(report_id)
    report = report_uuid and session.scalars(_visible(sa.select(Report), tenant).where(Report.id == report_uuid)).first()
    if not report:
        raise core_problems.NOT_FOUND(f"service_request_id {report_id!r} was not found.")
    return report


def by_token(*, token: str, tenant: Tenant | None) -> Report:
    report = session.scalars(_visible(sa.select(Report), tenant).where(Report.token == token)).first()
    if report is None:
        raise core_problems.NOT_FOUND(f"token {token!r} was not found.")
    return report


def status_notes(report_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The latest public note of each report."""
    notes: dict[uuid.UUID, str] = {}
    if not report_ids:
        return notes
    query = (sa.select(ReportUpdate.report_id, ReportUpdate.note)
             .where(ReportUpdate.report_id.in_(report_ids), ReportUpdate.public.is_(True), ReportUpdate.note.is_not(None))
             .order_by(ReportUpdate.created_at))
    for report_id, note in session.execute(query):
        notes[report_id] = note
    return notes


def tenant_labels(tenant_ids) -> dict[uuid.UUID, tuple[str, str]]:
    """Slug and name of each tenant."""
    ids = set(tenant_ids)
    if not ids:
        return {}
    rows = session.execute(sa.select(Tenant.id, Tenant.slug, Tenant.name).where(Tenant.id.in_(ids)))
    return {tenant_id: (slug, name) for tenant_id, slug, name in rows}


def updates(*, tenant: Tenant | None, start: dt.datetime | None, end: dt.datetime | None,
            now: dt.datetime) -> list[ReportUpdate]:
    """Updates of public reports (FixMyStreet's servicerequestupdates), oldest first: every status
    change, and updates with a public note (a private note's text is left out by the caller)."""
    start, end = _window(start, end, now)
    query = (sa.select(ReportUpdate).join(Report, ReportUpdate.report_id == Report.id)
             .where(sa.or_(ReportUpdate.public.is_(True), ReportUpdate.status != ReportUpdate.from_status),
                    ReportUpdate.created_at >= start, ReportUpdate.created_at <= end,
                    ReportUpdate.from_status.is_not(None)))
    query = _visible(query, tenant).order_by(ReportUpdate.created_at, ReportUpdate.id).limit(MAX_REQUESTS)
    return list(session.scalars(query))


def fms_status(status: str, closing_reason: str | None) -> str:
    return FMS_CLOSED.get(closing_reason, "closed") if status == "closed" else FMS_STATUS[status]


def post_update(*, client, report_id: str, status: str, description: str | None, update_id: str | None,
                media_url: str | None) -> ReportUpdate:
    """An update sent in by an integration (FixMyStreet): a note, maybe a new status.

    Only for reports of the API key's own organisation. A repeated update_id returns the first update.
    """
    report_uuid = _uuid(report_id or "")
    report = report_uuid and session.scalars(scoped(Report, client.tenant_id).where(Report.id == report_uuid)).first()
    if not report:
        raise core_problems.NOT_FOUND(f"service_request_id {report_id!r} was not found.")
    if status.lower() not in FROM_FMS:
        raise problems.INVALID_STATUS(f"status {status!r} is not one we know.")
    new_status, reason = FROM_FMS[status.lower()]
    if report.status == "closed" and new_status == "closed" and reason is None:
        reason = report.closing_reason
    # Its note came from a public site (FixMyStreet), so it is public.
    return service.post_update(tenant_id=report.tenant_id, report_id=report.id, status=new_status,
                               closing_reason=reason, note=description or None, public=True,
                               external_id=update_id, media_url=media_url)
