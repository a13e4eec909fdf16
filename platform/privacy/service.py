"""Subject search and subject access requests: keyword-only, tenant explicit, flush, never commit.

Who may: a signed-in person needs the tenant_admin role (`people.role_at_least`), whatever their scopes,
since these answers show everything the organisation holds about someone; an app (no person) acts
through its scopes alone: `privacy:read` to search and read requests, `privacy:write` to handle them.
"""
import datetime as dt
import uuid

from civic.core import audit, caching, etag, people, privacy
from civic.core.calendar import zone
from civic.core.db import session, utcnow
from civic.core.pagination import paginate
from civic.core.privacy import Identifiers
from civic.core.tenancy import get_scoped, scoped
from civic.privacy import deadlines, page, problems
from civic.privacy.models import CLOSED, AccessRequest
from flask import current_app


def today() -> dt.date:
    return dt.datetime.now(zone("Europe/London")).date()


def require_handler(principal) -> None:
    if principal.user_id is not None and not people.role_at_least(principal, "tenant_admin"):
        raise problems.ADMIN_REQUIRED("Only your organisation's admins handle subject searches and requests.")


def _identifiers(subject: dict) -> Identifiers:
    who = Identifiers.of(**subject)  # the schema checked each; this folds the name as compared
    if not who.given:
        raise problems.NO_IDENTIFIER("Name the person by email, phone, NHS number, postcode, or name and date of birth.")
    return who


def enabled_components(tenant_id: uuid.UUID) -> list[str]:
    """The components of the registry the organisation runs."""
    facts = caching.tenant(tenant_id)
    return [e.component for e in privacy.registry(current_app) if facts is not None and facts.has_component(e.component)]


# --- subject search --------------------------------------------------------------------------
def search(*, tenant_id: uuid.UUID, principal, **subject) -> dict:
    """Every record of every enabled component holding the identifiers, with which field matched."""
    require_handler(principal)
    who = _identifiers(subject)
    components = enabled_components(tenant_id)
    matches = privacy.search_subject(current_app, tenant_id=tenant_id, who=who, components=components)
    found: dict[str, list[str]] = {}
    for match in matches:
        found.setdefault(f"{match.component}.{match.type}", []).append(match.id)
    # Who searched (the actor), by which kinds of identifier, and what was found: ids only, never the values.
    audit.record("privacy.subject_searched", tenant_id=tenant_id, subject_type="data_subject",
                 detail={"identifiers": list(who.given), "found": found})
    return {"identifiers": list(who.given), "components": components,
            "matches": [{"component": m.component, "type": m.type, "id": m.id, "personal": m.personal,
                         "reasons": [{"identifier": i, "field": f} for i, f in m.reasons]} for m in matches]}


# --- subject access requests ---------------------------------------------------------------
def _due(request: AccessRequest) -> dt.date:
    return deadlines.deadline(request.received_on, region=request.region,
                              extension_months=request.extension_months, paused_days=request.paused_days)


def _step(request: AccessRequest, principal, on: dt.date) -> None:
    request.handled_by = principal.user_id
    request.history = [*request.history, {
        "at": utcnow().isoformat(), "on": on.isoformat(), "state": request.state,
        "user_id": str(principal.user_id) if principal.user_id else None, "client_id": principal.client_id}]


def _shown(tenant_id, requests) -> None:
    audit.personal_data_read(component="privacy", subject_type="privacy_request", ids=[r.id for r in requests],
                             tenant_id=tenant_id)


def create_request(*, tenant_id: uuid.UUID, principal, subject: dict, received_on: dt.date | None = None,
                   region: str, kind: str = "access", details: str | None = None, reference: str | None = None,
                   metadata_: dict | None = None, citizen_key: str | None = None) -> AccessRequest:
    """Record a request received (for a copy, an erasure or a correction); its clock starts on the day received."""
    require_handler(principal)
    who = _identifiers(subject)
    received_on = received_on or today()
    if received_on > today():
        raise problems.DATE_INVALID("A request cannot be received in the future.", errors={"received_on": ["In the future."]})
    request = AccessRequest(id=uuid.uuid4(), tenant_id=tenant_id, received_on=received_on, region=region,
                            state="received", extension_months=0, paused_days=0, reference=reference,
                            metadata_=metadata_ or {}, history=[], kind=kind, citizen_key=citizen_key)
    request.subject = who
    request.details = details
    request.due_on = _due(request)
    _step(request, principal, received_on)
    session.add(request)
    session.flush()
    audit.personal_data_changed(component="privacy", subject_type="privacy_request", ids=[request.id],
                                tenant_id=tenant_id)
    return request


def _find(tenant_id, request_id, *, lock: bool = False, if_match: str | None = None) -> AccessRequest:
    request = get_scoped(AccessRequest, tenant_id, request_id, what="request", lock=lock)
    if lock:
        etag.check(request, if_match)
    return request


def get_request(*, tenant_id: uuid.UUID, principal, request_id) -> AccessRequest:
    require_handler(principal)
    request = _find(tenant_id, request_id)
    _shown(tenant_id, [request])
    return request


def list_requests(*, tenant_id: uuid.UUID, principal, state: str | None = None, kind: str | None = None,
                  limit: int = 20, after: str | None = None) -> dict:
    require_handler(principal)
    query = scoped(AccessRequest, tenant_id)
    if state:
        query = query.where(AccessRequest.state == state)
    if kind:
        query = query.where(AccessRequest.kind == kind)
    page = paginate(query, AccessRequest, limit=limit, after=after)
    _shown(tenant_id, page["items"])
    return page


def _dated(on: dt.date, earliest: dt.date, what: str) -> dt.date:
    if not earliest <= on <= today():
        raise problems.DATE_INVALID(f"The day {what} is between {earliest.isoformat()} and today.",
                                    errors={"on": ["Out of range."]})
    return on


def transition(*, tenant_id: uuid.UUID, principal, request_id, to: str, on: dt.date | None = None,
               extension_months: int | None = None, reason: str | None = None,
               if_match: str | None = None) -> AccessRequest:
    """Move a request on: pause for identification, resume, extend, complete or refuse."""
    require_handler(principal)
    request = _find(tenant_id, request_id, lock=True, if_match=if_match)
    if to not in request.transitions:
        raise problems.NOT_ALLOWED(f"A request {request.state} cannot move to {to}.")
    on = on or today()
    if to == "awaiting_id":
        request.paused_on = _dated(on, request.received_on, "identification was asked for")
    elif request.state == "awaiting_id":  # the clock starts again on the day identification arrived
        request.paused_days += (_dated(on, request.paused_on, "identification arrived") - request.paused_on).days
        request.paused_on = None
    if to == "extended":
        first = deadlines.deadline(request.received_on, region=request.region, paused_days=request.paused_days)
        if today() > first:
            raise problems.EXTENSION_TOO_LATE(f"The first month ended on {first.isoformat()}.")
        request.extension_months, request.extension_reason = extension_months, reason
    if to == "refused":
        request.refusal_reason = reason
    if to in CLOSED:
        request.closed_on = today()
    previous, request.state = request.state, to
    request.due_on = _due(request)
    request.updated_at = utcnow()
    _step(request, principal, on)
    session.flush()
    audit.record(f"privacy.request_{to}", tenant_id=tenant_id, subject_type="privacy_request", subject_id=request.id,
                 detail={"from": previous, "to": to})
    _shown(tenant_id, [request])
    return request


# --- the export ----------------------------------------------------------------------------
def _access_log(tenant_id, ids: list[str]) -> list[dict]:
    """Who read or changed these records, from the audit log (oldest first)."""
    if not ids:
        return []
    entries = session.scalars(audit.entries(tenant_id=tenant_id).where(audit.AuditEntry.subject_id.in_(ids))
                              .order_by(audit.AuditEntry.time, audit.AuditEntry.id))
    return [{"time": e.time.isoformat(), "actor": e.actor, "action": e.action, "record_type": e.subject_type,
             "record_id": e.subject_id} for e in entries]


def export(*, tenant_id: uuid.UUID, principal, request_id, format: str = "json") -> dict:
    """Everything the organisation holds about the request's subject, component by component, and who
    accessed those records; recorded in the audit log (ids only)."""
    require_handler(principal)
    request = _find(tenant_id, request_id)
    # Only once someone has moved it to in progress, having checked the person is who they say: an export
    # on the identifiers typed in alone would hand one person's records to whoever asked for them.
    if request.state not in ("in_progress", "extended", "completed"):
        raise problems.NOT_READY(f"The request is {request.state}: move it to in_progress once the person's "
                                 "identity is confirmed.")
    who = request.subject
    entries = {e.component: e for e in privacy.registry(current_app, enabled_components(tenant_id))}
    held = privacy.export_subject(current_app, tenant_id=tenant_id, who=who, components=list(entries))
    ids = sorted({str(row["id"]) for rows in held.values() for row in rows})
    components = [{"component": name, "purpose": entry.purpose, "fields": list(entry.fields),
                   "retention_days": entry.retention_days, "records": held.get(name, [])}
                  for name, entry in entries.items()]
    facts = caching.tenant(tenant_id)
    answer = {"request": {"id": str(request.id), "reference": request.reference, "state": request.state,
                          "received_on": request.received_on.isoformat(), "due_on": request.due_on.isoformat()},
              "organisation": facts.name if facts else None, "generated_at": utcnow().isoformat(),
              "subject": who.as_dict(), "components": components, "access_log": _access_log(tenant_id, ids)}
    _shown(tenant_id, [request])
    audit.record("privacy.request_exported", tenant_id=tenant_id, subject_type="privacy_request",
                 subject_id=request.id, detail={"format": format, "record_ids": ids})
    return answer



def export_page(*, tenant_id: uuid.UUID, principal, request_id) -> str:
    """The export as an HTML page to print (every value escaped)."""
    return page.render(export(tenant_id=tenant_id, principal=principal, request_id=request_id, format="html"))
