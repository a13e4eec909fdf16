"""Open311 GeoReport v2 under /open311/v2, plus FixMyStreet's servicerequestupdates.

Public (no token): services, requests and updates, as XML (the default) or JSON by suffix.
POSTs are form-encoded and carry an `api_key` from the platform's gateway. Without
`jurisdiction_id` (an organisation's slug) the endpoint is the whole place: service codes
are `<organisation>:<category>` and each report goes to the category's owner.
"""
import datetime as dt
import functools
import re

from flask import Blueprint, current_app, g, request, url_for

from civic.core.auth import api_key_client, public
from civic.core.db import utcnow
from civic.core.edge import base_url, publishes_urls
from civic.core import problems as core_problems
from civic.core.errors import Problem
from civic.core.tenancy import place_wide
from civic.core.schemas import FIRST_YEAR, LAST_YEAR, out_of_range
from civic.reporting import public as place
from civic.reporting import problems, service
from civic.reporting.open311_format import error, render, w3c

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
SPEC = "http://wiki.open311.org/GeoReport_v2"
ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
ERROR_STATUS = {401: 403, 403: 403, 404: 404}  # anything else is the spec's 400


@bp.before_request
def _api_keys_not_tokens():
    """Open311 callers are anonymous or hold an api_key: a bearer token sent here is ignored, so it can
    never lend its world (live or sandbox), its name in the audit or its rate budget to a key's request."""
    g.civic_principal = None


def route(path: str, **options):
    """Register `path` with a .json/.xml suffix, and bare (XML, the spec's required format)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, fmt="xml", **kwargs):
            try:
                with place_wide("reporting.open311"):
                    return view(fmt, *args, **kwargs)
            except Problem as problem:
                messages = [problem.detail] + [f"{field}: {' '.join(msgs)}" for field, msgs in (problem.errors or {}).items()]
                return error(fmt, ERROR_STATUS.get(problem.status, 400), " ".join(messages))

        wrapper = public(wrapper)
        bp.add_url_rule(f"{path}.<any(json, xml):fmt>", view_func=wrapper, **options)
        bp.add_url_rule(path, view_func=wrapper, endpoint=f"{view.__name__}_bare", **options)
        return wrapper

    return decorator


def _param(name: str) -> str | None:
    value = request.values.get(name)
    return value.strip() if value and value.strip() else None


def _date(name: str) -> dt.datetime | None:
    value = _param(name)
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise problems.BAD_DATE(f"{name} must be a W3C date-time with a time zone, e.g. 2026-01-31T00:00:00Z.")
    try:
        moment = moment.astimezone(dt.timezone.utc)
    except OverflowError:
        moment = None
    if moment is None or out_of_range(moment):
        raise problems.BAD_DATE(f"{name} must be from {FIRST_YEAR} to {LAST_YEAR}.")
    return moment


def _float(name: str) -> float | None:
    value = _param(name)
    try:
        return None if value is None else float(value)
    except ValueError:
        raise problems.BAD_LOCATION(f"{name} must be a number.") from None


def _api_client():
    client = api_key_client(_param("api_key"))
    if client is None:
        raise problems.INVALID_API_KEY("Invalid api_key received -- can't proceed.")
    if "reporting:write" not in client.scopes:
        raise problems.INVALID_API_KEY("This api_key may not send reports (it needs reporting:write).")
    if service.reporting_tenant(client.tenant_id) is None:
        raise core_problems.COMPONENT_DISABLED("This api_key's organisation does not run reporting.")
    # The key's world (live or sandbox) is the world of everything this request reads and writes.
    g.civic_sandbox = bool(client.sandbox)
    return client


# --- discovery and services -----------------------------------------------------
@route("/discovery")
@publishes_urls
def discovery(fmt):
    changeset = w3c(dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc))
    return render(fmt, "discovery", {
        "changeset": changeset, "contact": current_app.config["REPORTING_OPEN311_CONTACT"],
        "key_service": current_app.config["REPORTING_OPEN311_KEY_SERVICE"],
        "endpoints": [{"specification": SPEC, "url": base_url() + url_for("open311.discovery_bare").rsplit("/", 1)[0],
                       "changeset": changeset, "type": "production",
                       "formats": ["text/xml", "application/json"]}]})


@route("/services")
def services(fmt):
    tenant = place.jurisdiction(_param("jurisdiction_id"))
    return render(fmt, "services", [{
        "service_code": place.service_code(c.code, t.slug, tenant is None), "service_name": c.name,
        "description": c.description or "", "metadata": any(a.get("variable", True) for a in c.attributes),
        "type": "realtime", "keywords": ", ".join(c.keywords), "group": c.group or ""}
        for c, t in place.public_categories(tenant=tenant)])


@route("/services/<code>")
def service_definition(fmt, code):
    tenant = place.jurisdiction(_param("jurisdiction_id"))
    category, owner = place.find_category(code=code, tenant=tenant)
    return render(fmt, "service_definition", {
        "service_code": place.service_code(category.code, owner.slug, tenant is None),
        "attributes": [{"variable": a.get("variable", True), "code": a["code"], "datatype": a["datatype"],
                        "required": a["required"], "datatype_description": a.get("datatype_description"),
                        "order": a["order"], "description": a["description"],
                        "values": [{"key": v["key"], "name": v["name"]} for v in a.get("values") or []]}
                       for a in category.attributes]})


# --- requests -----------------------------------------------------------------
def _request_row(report, notes, labels, place_wide) -> dict:
    slug, name = labels.get(report.tenant_id, ("", ""))
    return {
        "service_request_id": str(report.id), "status": "closed" if report.status == "closed" else "open",
        "status_notes": notes.get(report.id), "service_name": report.category.name,
        "service_code": place.service_code(report.category.code, slug, place_wide),
        "description": report.description, "agency_responsible": name,
        "service_notice": None, "requested_datetime": w3c(report.created_at), "updated_datetime": w3c(report.updated_at),
        "expected_datetime": None, "address": report.address, "address_id": report.uprn, "zipcode": None,
        "lat": report.lat, "long": report.long, "media_url": report.media_url}


def _render_requests(fmt, reports, place_wide):
    notes = place.status_notes([r.id for r in reports])
    labels = place.tenant_labels([r.tenant_id for r in reports])
    return render(fmt, "service_requests", [_request_row(r, notes, labels, place_wide) for r in reports])


@route("/requests", methods=["GET", "POST"])
def requests(fmt):
    tenant = place.jurisdiction(_param("jurisdiction_id"))
    if request.method == "POST":
        return _create(fmt, tenant)
    ids = _param("service_request_id")
    codes, statuses = _param("service_code"), _param("status")
    statuses = sorted({s.strip().lower() for s in statuses.split(",")}) if statuses else None
    if statuses and not set(statuses) <= {"open", "closed"}:
        raise problems.BAD_STATUS("status must be open, closed, or both (comma-separated).")
    reports = place.requests(tenant=tenant, ids=ids.split(",") if ids else None,
                             codes=codes.split(",") if codes else None, start=_date("start_date"),
                             end=_date("end_date"), statuses=statuses, now=utcnow())
    return _render_requests(fmt, reports, tenant is None)


def _answers() -> dict:
    answers: dict = {}
    for key in request.form:
        match = ATTRIBUTE.match(key)
        if match:
            values = request.form.getlist(key)
            answers[match.group(1)] = values if match.group(2) else values[-1]
    return answers


def _create(fmt, tenant):
    client = _api_client()
    code = _param("service_code")
    if code is None:
        raise problems.SERVICE_CODE_REQUIRED("service_code was not provided.")
    category, owner = place.find_category(code=code, tenant=tenant, client_tenant_id=client.tenant_id)
    name = " ".join(p for p in (_param("first_name"), _param("last_name")) if p) or None
    report = service.create_report(
        tenant_id=owner.id, category_code=category.code, description=_param("description"),
        lat=_float("lat"), long=_float("long"), address=_param("address_string"), uprn=_param("address_id"),
        answers=_answers(), media_url=_param("media_url"), strict_attributes=False,
        reporter={"name": name, "email": _param("email"), "phone": _param("phone")},
        source=f"open311:{client.client_id}")
    return render(fmt, "service_requests", [{"service_request_id": str(report.id),
                                             "service_notice": f"Sent to {owner.name}.", "account_id": None}])


@route("/requests/<report_id>")
def request_by_id(fmt, report_id):
    tenant = place.jurisdiction(_param("jurisdiction_id"))
    return _render_requests(fmt, [place.request(report_id=report_id, tenant=tenant)], tenant is None)


@route("/tokens/<token>")
def token(fmt, token):
    tenant = place.jurisdiction(_param("jurisdiction_id"))
    report = place.by_token(token=token, tenant=tenant)
    return render(fmt, "service_requests", [{"service_request_id": str(report.id), "token": report.token}])


# --- FixMyStreet's updates extension ---------------------------------------------
def _update_row(update) -> dict:
    return {"update_id": str(update.id), "service_request_id": str(update.report_id),
            "status": place.fms_status(update.status, update.closing_reason),
            "updated_datetime": w3c(update.created_at), "description": (update.public and update.note) or "",
            "media_url": update.media_url or ""}


@route("/servicerequestupdates", methods=["GET", "POST"])
def service_request_updates(fmt):
    tenant = place.jurisdiction(_param("jurisdiction_id"))
    if request.method == "POST":
        client = _api_client()
        status = _param("status")
        if status is None or _param("service_request_id") is None:
            raise problems.MISSING_PARAMETER("service_request_id and status are required.")
        update = place.post_update(client=client, report_id=_param("service_request_id"), status=status,
                                   description=_param("description"), update_id=_param("update_id"),
                                   media_url=_param("media_url"))
        return render(fmt, "service_request_updates", [{"update_id": str(update.id)}])
    found = place.updates(tenant=tenant, start=_date("start_date"), end=_date("end_date"), now=utcnow())
    return render(fmt, "service_request_updates", [_update_row(u) for u in found])
