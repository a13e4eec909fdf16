"""Reporting operations: categories, reports, status changes and transfers. They flush, never commit."""
import datetime as dt
import math
import secrets
import urllib.parse
import uuid

import h3
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from civic.core import audit, caching, contact, etag
from civic.core import problems as core_problems
from civic.core.db import session, utcnow
from civic.core.errors import not_found
from civic.core.pagination import paginate
from civic.core.tenancy import Tenant, get_scoped, live_only, scoped, tenant_by_slug
from civic.reporting import attributes, events, problems
from civic.reporting.models import Category, Report, ReportUpdate, Transfer

CELL_RESOLUTION = 9  # ~0.1 km² hexagons; coarser areas are their parents
AREA_RESOLUTION = 7  # ~5 km²: the areas of the place-wide views and the early warning
METRES_PER_DEGREE = 111_320.0
MEDIA_URL_MAX = 1000
MEDIA_SCHEMES = ("http", "https")  # a link people click: never javascript:, data: and the like


# --- tenants ---------------------------------------------------------------
def reporting_tenant(tenant_id: uuid.UUID) -> Tenant | None:
    """The tenant, if it is active and runs the reporting component."""
    tenant = session.get(Tenant, tenant_id)
    if tenant is None or not tenant.active or not tenant.has_component("reporting"):
        return None
    return tenant


def reporting_tenant_by_slug(slug: str) -> Tenant | None:
    tenant = tenant_by_slug(slug)
    return reporting_tenant(tenant.id) if tenant else None


def reporting_tenant_ids() -> list[uuid.UUID]:
    """Every active tenant running the reporting component (what place-wide lists may show)."""
    tenants = session.scalars(sa.select(Tenant).where(Tenant.status == "active"))
    return [t.id for t in tenants if t.has_component("reporting")]


# --- categories --------------------------------------------------------------
def create_category(*, tenant_id: uuid.UUID, code: str, **fields) -> Category:
    """Add a category your organisation handles."""
    live_only("categories")
    if session.scalars(scoped(Category, tenant_id).where(Category.code == code)).first():
        raise problems.CATEGORY_EXISTS(f"You already have a category with code {code!r}.")
    category = Category(tenant_id=tenant_id, code=code, **_category_fields(fields))
    session.add(category)
    session.flush()
    return category


def _category_fields(fields: dict) -> dict:
    if "attributes" in fields:
        fields["attributes"] = attributes.normalise_definitions(fields["attributes"])
    if "metadata_" in fields and fields["metadata_"] is None:
        fields["metadata_"] = {}
    return fields


def get_category(*, tenant_id: uuid.UUID, code: str, lock: bool = False) -> Category:
    """One of the tenant's categories, by code (404 if none); `lock` locks its row and reads it fresh."""
    query = scoped(Category, tenant_id).where(Category.code == code)
    if lock:
        query = query.with_for_update(of=Category).execution_options(populate_existing=True)
    category = session.scalars(query).first()
    if category is None:
        raise not_found("category")
    return category


def update_category(*, tenant_id: uuid.UUID, code: str, if_match: str | None = None, **changes) -> Category:
    """Change a category; its code stays."""
    live_only("categories")
    category = get_category(tenant_id=tenant_id, code=code, lock=True)
    etag.check(category, if_match)  # under the lock: of two changes from one version, one gets a 412
    for key, value in _category_fields(changes).items():
        setattr(category, key, value)
    session.flush()
    return category


def delete_category(*, tenant_id: uuid.UUID, code: str) -> None:
    """Delete an unused category (one with reports can only be made inactive)."""
    live_only("categories")
    category = get_category(tenant_id=tenant_id, code=code, lock=True)  # of two deletes at once, one is a 404
    if session.scalar(sa.select(Report.id).where(Report.category_id == category.id).limit(1)) is not None:
        raise problems.CATEGORY_IN_USE("This category has reports: set `active` to false instead.")
    session.delete(category)
    session.flush()


def list_categories(*, tenant_id: uuid.UUID, limit: int = 20, after: str | None = None) -> dict:
    """One page of the tenant's categories."""
    return paginate(scoped(Category, tenant_id), Category, limit=limit, after=after)


def category_for_report(*, tenant_id: uuid.UUID, code: str) -> Category:
    """The category a new report goes in: it must exist, be active, and its owner must be active."""
    category = session.scalars(scoped(Category, tenant_id).where(Category.code == code)).first()
    if category is None:
        raise problems.UNKNOWN_CATEGORY(f"There is no category {code!r}.",
                                        errors={"category": ["Unknown category."]})
    owner = caching.tenant(tenant_id)  # the same check as reporting_tenant, without reading the row again
    if not category.active or owner is None or not owner.active or not owner.has_component("reporting"):
        raise problems.CATEGORY_UNAVAILABLE(f"Category {code!r} is not taking reports.",
                                            errors={"category": ["Not taking reports."]})
    return category


# --- reports -------------------------------------------------------------------
def _reporter(reporter: dict | None) -> dict:
    """Validated, normalised reporter details (the core's contact rules)."""
    reporter = reporter or {}
    errors, result = {}, {"reporter_name": (reporter.get("name") or "").strip() or None,
                          "reporter_email": None, "reporter_phone": None}
    for field, rule in (("email", contact.email), ("phone", contact.phone)):
        if reporter.get(field):
            try:
                result[f"reporter_{field}"] = rule(reporter[field])
            except contact.InvalidContact as exc:
                errors[f"reporter.{field}"] = [str(exc)]
    if errors:
        raise problems.INVALID_REPORTER("The reporter's contact details are not valid.", errors=errors)
    return result


def check_media_url(url: str | None) -> str | None:
    """A photo link as given, if it is an absolute http(s) URL of bounded length (else a 422)."""
    if url is None:
        return None
    parts = urllib.parse.urlsplit(url) if len(url) <= MEDIA_URL_MAX else None
    if (parts is None or parts.scheme.lower() not in MEDIA_SCHEMES or not parts.netloc
            or any(c.isspace() or not c.isprintable() for c in url)):
        raise problems.INVALID_MEDIA_URL(
            f"media_url must be an http or https URL of at most {MEDIA_URL_MAX} characters.",
            errors={"media_url": ["An http(s) URL."]})
    return url


def _check_location(lat, long, address, uprn) -> None:
    if (lat is None) != (long is None):
        raise problems.LOCATION_INCOMPLETE("Send both latitude and longitude, or neither.",
                                           errors={"lat" if lat is None else "long": ["Send lat and long together."]})
    if lat is None and not (address or "").strip() and not uprn:
        raise problems.LOCATION_REQUIRED("Say where: latitude and longitude, an address, or a UPRN.",
                                         errors={"lat": ["Give a location or an address."]})
    if lat is not None and not (-90 <= lat <= 90 and -180 <= long <= 180 and math.isfinite(lat + long)):
        raise problems.LOCATION_OUT_OF_RANGE("Latitude must be -90..90 and longitude -180..180 (WGS84).",
                                             errors={"lat": ["Out of range."]})


def locate(lat: float | None, long: float | None) -> dict:
    """The report's H3 cell (resolution 9) and area (resolution 7)."""
    if lat is None:
        return {"cell": None, "area": None}
    cell = h3.latlng_to_cell(lat, long, CELL_RESOLUTION)
    return {"cell": cell, "area": h3.cell_to_parent(cell, AREA_RESOLUTION)}


def week_of(moment: dt.datetime) -> dt.date:
    """The Monday (UTC) of the week a moment falls in."""
    day = moment.astimezone(dt.timezone.utc).date()
    return day - dt.timedelta(days=day.weekday())


def create_report(*, tenant_id: uuid.UUID, category_code: str, description: str | None = None,
                  lat: float | None = None, long: float | None = None, address: str | None = None,
                  uprn: str | None = None, usrn: str | None = None, answers: dict | None = None,
                  reporter: dict | None = None, media_url: str | None = None, reference: str | None = None,
                  metadata_: dict | None = None, source: str = "api",
                  strict_attributes: bool = True, created_at: dt.datetime | None = None) -> Report:
    """Record a report in one of the tenant's categories, after checking it all (in the caller's world)."""
    category = category_for_report(tenant_id=tenant_id, code=category_code)
    media_url = check_media_url(media_url)
    if description is not None and len(description) > attributes.DESCRIPTION_MAX:
        raise problems.DESCRIPTION_TOO_LONG(f"Descriptions are at most {attributes.DESCRIPTION_MAX} characters.",
                                            errors={"description": ["Too long."]})
    _check_location(lat, long, address, uprn)
    clean_answers = attributes.validate_answers(category.attributes, answers or {}, strict=strict_attributes)
    created_at = created_at or utcnow()
    report = Report(id=uuid.uuid4(), tenant_id=tenant_id, category=category, category_id=category.id, status="open",
                    description=description, lat=lat, long=long, address=(address or "").strip() or None,
                    uprn=uprn, usrn=usrn, answers=clean_answers, media_url=media_url, reference=reference,
                    metadata_=metadata_ or {}, source=source, token=secrets.token_hex(8),
                    **locate(lat, long),
                    week=week_of(created_at), created_at=created_at, updated_at=created_at, **_reporter(reporter))
    session.add(report)
    session.flush()
    session.add(ReportUpdate(tenant_id=tenant_id, report_id=report.id, status="open", note=None, public=True,
                             actor=audit.current_actor(), created_at=created_at, updated_at=created_at))
    events.REPORT_CREATED.emit(tenant_id=tenant_id, subject=str(report.id), data={
        "report_id": str(report.id), "category": category.code, "category_id": str(category.id),
        "status": "open", "area": report.area, "source": source, "sandbox": bool(report.sandbox)})
    return report


def get_report(*, tenant_id: uuid.UUID, report_id) -> Report:
    return get_scoped(Report, tenant_id, report_id, what="report")


def _locked_report(tenant_id: uuid.UUID, report_id) -> Report:
    """The report, locked for this transaction and read fresh (not an earlier, stale copy of it).

    Only the report row is locked (not its category, which its eager join reads too), so two
    transfers into each other's categories cannot deadlock.
    """
    try:
        report_id = report_id if isinstance(report_id, uuid.UUID) else uuid.UUID(str(report_id))
    except ValueError:
        raise not_found("report") from None
    query = (scoped(Report, tenant_id).where(Report.id == report_id).with_for_update(of=Report)
             .execution_options(populate_existing=True))
    report = session.scalars(query).first()
    if report is None:
        raise not_found("report")
    return report


def read_report(*, tenant_id: uuid.UUID, report_id) -> Report:
    """A report for staff: reading its personal data is audited (by a person or a client)."""
    report = get_report(tenant_id=tenant_id, report_id=report_id)
    _shown(tenant_id, [report])
    return report


def _shown(tenant_id: uuid.UUID, reports) -> None:
    """The answer shows these reports: the reads of those holding a reporter's details are audited."""
    audit.personal_data_read(component="reporting", subject_type="report",
                             ids=[r.id for r in reports if r.has_personal_data], tenant_id=tenant_id)


def list_reports(*, tenant_id: uuid.UUID, limit: int = 20, after: str | None = None, **filters) -> dict:
    """One page of the tenant's reports, filtered (reading the reporters' details is audited)."""
    page = paginate(_reports_query(tenant_id=tenant_id, **filters), Report, limit=limit, after=after)
    _shown(tenant_id, page["items"])
    return page


def _reports_query(*, tenant_id: uuid.UUID, category: str | None = None, status: str | None = None,
                   created_after: dt.datetime | None = None, created_before: dt.datetime | None = None,
                   bbox: str | None = None, near: str | None = None, radius: int = 500) -> sa.Select:
    """The tenant's reports, filtered."""
    query = scoped(Report, tenant_id)
    if category:
        query = query.join(Category, Report.category_id == Category.id).where(Category.code == category)
    if status:
        query = query.where(Report.status == status)
    if created_after:
        query = query.where(Report.created_at >= created_after)
    if created_before:
        query = query.where(Report.created_at < created_before)
    if bbox:
        min_long, min_lat, max_long, max_lat = _floats(bbox, 4, "bbox")
        query = query.where(Report.lat.between(min_lat, max_lat), Report.long.between(min_long, max_long))
    if near:
        lat, long = _floats(near, 2, "near")
        query = query.where(*_within(lat, long, radius))
    return query


def _floats(text: str, count: int, field: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        values = []
    if len(values) != count or not all(math.isfinite(v) for v in values):
        raise core_problems.VALIDATION_FAILED(f"`{field}` needs {count} comma-separated numbers.",
                                              errors={field: [f"{count} comma-separated numbers."]})
    return values


def _within(lat: float, long: float, radius: float) -> list:
    """Within `radius` metres of a point (equirectangular: exact enough at a town's scale)."""
    dlat = radius / METRES_PER_DEGREE
    dlong = radius / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    y = (Report.lat - lat) / dlat
    x = (Report.long - long) / dlong
    return [Report.lat.between(lat - dlat, lat + dlat), Report.long.between(long - dlong, long + dlong),
            x * x + y * y <= 1.0]


def change_status(*, tenant_id: uuid.UUID, report_id, status: str, closing_reason: str | None = None,
                  note: str | None = None, public: bool = False, media_url: str | None = None,
                  if_match: str | None = None) -> Report:
    """Move a report on (open, acknowledged, in_progress, closed), with a note (staff-only unless public)."""
    report = _change(tenant_id=tenant_id, report_id=report_id, status=status, closing_reason=closing_reason,
                     note=note, public=public, media_url=media_url, if_match=if_match)[0]
    _shown(tenant_id, [report])  # the answer is the report, reporter included
    return report


def post_update(*, tenant_id: uuid.UUID, report_id, status: str, closing_reason: str | None, note: str | None,
                public: bool, external_id: str | None, media_url: str | None) -> ReportUpdate:
    """An update an integration sends with its own id: a repeated id is answered with the first update."""
    return _change(tenant_id=tenant_id, report_id=report_id, status=status, closing_reason=closing_reason,
                   note=note, public=public, media_url=media_url, external_id=external_id)[1]


def _by_external_id(report_id: uuid.UUID, external_id: str | None) -> ReportUpdate | None:
    if not external_id:
        return None
    return session.scalars(sa.select(ReportUpdate).where(ReportUpdate.report_id == report_id,
                                                         ReportUpdate.external_id == external_id)).first()


def _change(*, tenant_id, report_id, status, closing_reason, note, public, media_url,
            external_id: str | None = None, if_match: str | None = None) -> tuple[Report, ReportUpdate]:
    media_url = check_media_url(media_url)
    # Locked first: simultaneous changes (and repeats of one update_id) then follow one another.
    report = _locked_report(tenant_id, report_id)
    etag.check(report, if_match)
    existing = _by_external_id(report.id, external_id)
    if existing is not None:
        return report, existing
    if closing_reason and status != "closed":
        raise problems.CLOSING_REASON_NOT_ALLOWED("Only a closed report has a closing reason.",
                                                  errors={"closing_reason": ["Only with status closed."]})
    closing_reason = closing_reason if status == "closed" else None
    changed = (status, closing_reason) != (report.status, report.closing_reason)
    if not changed and not note:
        raise problems.NOTHING_TO_CHANGE("The report already has that status; add a note to post an update.")
    previous = report.status
    update = ReportUpdate(tenant_id=tenant_id, report_id=report.id, from_status=previous, status=status,
                          closing_reason=closing_reason, note=note, public=bool(public and note), media_url=media_url,
                          actor=audit.current_actor(), external_id=external_id)
    session.flush()  # so that only the update is in the savepoint below
    try:
        with session.begin_nested():  # the unique update_id is the last word if the lock could not be
            session.add(update)
            session.flush()
    except IntegrityError:
        existing = _by_external_id(report.id, external_id)
        if existing is None:
            raise
        return report, existing
    report.status, report.closing_reason, report.updated_at = status, closing_reason, utcnow()
    session.flush()
    if changed:
        events.STATUS_CHANGED.emit(tenant_id=tenant_id, subject=str(report.id), data={
            "report_id": str(report.id), "category": report.category.code, "from_status": previous,
            "status": status, "closing_reason": closing_reason, "sandbox": bool(report.sandbox)})
    return report, update


def list_updates(*, tenant_id: uuid.UUID, report_id) -> list[ReportUpdate]:
    report = get_report(tenant_id=tenant_id, report_id=report_id)
    return list(session.scalars(scoped(ReportUpdate, tenant_id).where(ReportUpdate.report_id == report.id)
                                .order_by(ReportUpdate.created_at, ReportUpdate.id)))


def transfer_report(*, tenant_id: uuid.UUID, report_id, to_tenant: str, category_code: str,
                    note: str | None = None) -> Transfer:
    """Pass a report to the organisation that owns the problem; keep a read-only record of it.

    Only the report crosses: the sender's reference, metadata, private notes and client ids stay behind.
    """
    report = _locked_report(tenant_id, report_id)
    receiver = reporting_tenant_by_slug(to_tenant)
    if receiver is None:
        raise problems.UNKNOWN_TENANT(f"No active organisation {to_tenant!r} takes reports.",
                                      errors={"tenant": ["Unknown or inactive organisation."]})
    if receiver.id == tenant_id:
        raise problems.SAME_TENANT("The report is already yours: change its category instead.",
                                   errors={"tenant": ["That is your own organisation."]})
    category = category_for_report(tenant_id=receiver.id, code=category_code)
    transfer = Transfer(tenant_id=tenant_id, to_tenant_id=receiver.id, report_id=report.id,
                        from_category_code=report.category.code, to_category_code=category.code, note=note,
                        snapshot=public_snapshot(report))
    session.add(transfer)
    sender_slug = session.get(Tenant, tenant_id).slug
    sender = f"organisation:{sender_slug}"
    report.tenant_id, report.category, report.category_id = receiver.id, category, category.id
    report.status, report.closing_reason, report.transferred_from_tenant_id = "open", None, tenant_id
    report.reference, report.metadata_, report.source, report.updated_at = None, {}, f"transfer:{sender_slug}", utcnow()
    # The history goes with the report, as the sender's organisation did it; their private notes stay
    # behind (the sender keeps the snapshot).
    moved = sa.update(ReportUpdate).where(ReportUpdate.report_id == report.id)
    # Notes first: the session filters these statements to the sender, whose rows they stop being next.
    session.execute(moved.where(ReportUpdate.public.is_(False)).values(note=None))
    session.execute(moved.values(tenant_id=receiver.id, actor=sender))
    session.add(ReportUpdate(tenant_id=receiver.id, report_id=report.id, from_status=transfer.snapshot["status"],
                             status="open", public=True, actor=sender,
                             note=f"Passed to {receiver.name}, who are responsible for this."))
    session.flush()
    events.TRANSFERRED.emit(tenant_id=receiver.id, subject=str(report.id), data={
        "report_id": str(report.id), "from_tenant_id": str(tenant_id), "to_tenant_id": str(receiver.id),
        "from_category": transfer.from_category_code, "to_category": category.code,
        "sandbox": bool(report.sandbox)})
    return transfer


def public_snapshot(report: Report) -> dict:
    """A report as it may be shown to the organisation that passed it on: no personal data."""
    return {"category": report.category.code, "status": report.status, "closing_reason": report.closing_reason,
            "description": report.description, "lat": report.lat, "long": report.long, "address": report.address,
            "created_at": report.created_at.isoformat(), "reference": report.reference}


def list_transfers(*, tenant_id: uuid.UUID, limit: int = 20, after: str | None = None) -> dict:
    """One page of the reports this tenant passed on to others."""
    return paginate(scoped(Transfer, tenant_id), Transfer, limit=limit, after=after)


def get_transfer(*, tenant_id: uuid.UUID, transfer_id) -> Transfer:
    return get_scoped(Transfer, tenant_id, transfer_id, what="transfer")


def export_reports(*, tenant_id: uuid.UUID, include_personal_data: bool = False, **filters) -> list[Report]:
    """Reports for a CSV export; exporting personal data is recorded in the audit log."""
    reports = list(session.scalars(_reports_query(tenant_id=tenant_id, **filters)
                                   .order_by(Report.created_at, Report.id)))
    if include_personal_data:
        # Which reports left, never what was in them.
        audit.record("reporting.personal_data_exported", tenant_id=tenant_id, subject_type="report",
                     detail={"reports": len(reports), "report_ids": [str(r.id) for r in reports]})
    return reports
