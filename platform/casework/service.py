"""Casework business logic: case types, settings, cases and their work. Keyword-only, tenant first; flush, never commit."""
import datetime as dt
import itertools
import uuid

import marshmallow as ma
import sqlalchemy as sa

from civic.casework import case_types, clocks, events, problems
from civic.casework.models import NO_DUE, Case, CaseType, Settings, TimelineEntry
from civic.core import actions, audit, contact, etag, people
from civic.core.db import session, utcnow
from civic.core.errors import not_found
from civic.core.pagination import paginate
from civic.core.tenancy import get_scoped, live_only, scoped

_order = itertools.count()  # orders a request's timeline entries that share a timestamp
SUBJECT_COLUMNS = {"name": "subject_name", "email": "subject_email", "phone": "subject_phone",
                   "postcode": "subject_postcode", "date_of_birth": "subject_date_of_birth",
                   "nhs_number": "subject_nhs_number"}


def require_admin(principal) -> None:
    if not people.role_at_least(principal, "tenant_admin"):
        raise problems.NOT_TENANT_ADMIN("Only your organisation's admins may do this.")


# --- case types --------------------------------------------------------------------
def _definition(fields: dict) -> dict:
    definition = {key: fields.pop(key) for key in case_types.DEFINITION_KEYS if key in fields}
    case_types.check_definition(definition)
    return definition


def _latest(tenant_id, key: str, *, what: str = "case type") -> CaseType:
    found = session.scalars(scoped(CaseType, tenant_id).where(CaseType.key == key)
                            .order_by(CaseType.version.desc()).limit(1)).first()
    if found is None:
        raise not_found(what)
    return found


def create_case_type(*, tenant_id: uuid.UUID, principal, key: str, name: str, description: str | None = None,
                     reference: str | None = None, metadata_: dict | None = None, **fields) -> CaseType:
    """Version 1 of a new case type (tenant admins only)."""
    require_admin(principal)
    definition = _definition(fields)
    if session.scalars(scoped(CaseType, tenant_id).where(CaseType.key == key).limit(1)).first() is not None:
        raise problems.CASE_TYPE_TAKEN(f"The case type {key!r} exists: add a version to it instead.")
    case_type = CaseType(id=uuid.uuid4(), tenant_id=tenant_id, key=key, version=1, name=name, description=description,
                         definition=definition, reference=reference, metadata_=metadata_ or {})
    session.add(case_type)
    session.flush()
    audit.record("casework.case_type_created", tenant_id=tenant_id, subject_type="case_type", subject_id=case_type.id,
                 detail={"key": key, "version": 1})
    return case_type


def add_version(*, tenant_id: uuid.UUID, principal, case_type_id, name: str, description: str | None = None,
                reference: str | None = None, metadata_: dict | None = None, **fields) -> CaseType:
    """The next version of a case type; open cases keep theirs until migrated."""
    base = get_scoped(CaseType, tenant_id, case_type_id, what="case type")  # another organisation's: a 404 first
    require_admin(principal)
    definition = _definition(fields)
    # Versions of one key are made one at a time: lock its first version (a row that never changes),
    # then read the newest, so two at once end as v+1 and v+2, as they would one after the other.
    first = session.scalars(scoped(CaseType, tenant_id).where(CaseType.key == base.key).order_by(CaseType.version)
                            .limit(1).with_for_update(of=CaseType)).first()
    newest = _latest(tenant_id, first.key)
    case_type = CaseType(id=uuid.uuid4(), tenant_id=tenant_id, key=base.key, version=newest.version + 1, name=name,
                         description=description, definition=definition, reference=reference,
                         metadata_=metadata_ or {}, sandbox=base.sandbox)
    session.add(case_type)
    session.flush()
    audit.record("casework.case_type_versioned", tenant_id=tenant_id, subject_type="case_type",
                 subject_id=case_type.id, detail={"key": base.key, "version": case_type.version})
    return case_type


def list_case_types(*, tenant_id: uuid.UUID, key: str | None = None, limit: int = 20, after: str | None = None) -> dict:
    query = scoped(CaseType, tenant_id)
    if key:
        query = query.where(CaseType.key == key)
    return paginate(query, CaseType, limit=limit, after=after)


def get_case_type(*, tenant_id: uuid.UUID, case_type_id) -> CaseType:
    return get_scoped(CaseType, tenant_id, case_type_id, what="case type")


# --- settings ------------------------------------------------------------------------
def get_settings(*, tenant_id: uuid.UUID) -> Settings:
    row = session.get(Settings, tenant_id)
    return row or Settings(tenant_id=tenant_id, time_zone="Europe/London", bank_holiday_region="england-and-wales",
                           working_hours=clocks.sla.DEFAULT_HOURS, intake=[], updated_at=None)


def put_settings(*, tenant_id: uuid.UUID, principal, working_hours: dict | None = None, **fields) -> Settings:
    """Replace the organisation's casework settings (tenant admins only)."""
    require_admin(principal)
    live_only("casework settings")  # working hours and intake apply to live cases too
    row = session.get(Settings, tenant_id, with_for_update=True) or Settings(tenant_id=tenant_id)
    for name, value in {**fields, "working_hours": working_hours or clocks.sla.DEFAULT_HOURS}.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    audit.record("casework.settings_changed", tenant_id=tenant_id, subject_type="casework_settings",
                 subject_id=tenant_id, detail={"fields": sorted([*fields, "working_hours"])})
    return row


# --- cases ---------------------------------------------------------------------------
def log_change(case: Case, kind: str, **detail) -> None:
    session.add(TimelineEntry(id=uuid.uuid4(), tenant_id=case.tenant_id, case_id=case.id, sandbox=case.sandbox,
                              at=utcnow(), seq=next(_order), actor=audit.current_actor(), kind=kind, detail=detail))


def _shown(tenant_id, cases) -> None:
    ids = [c.id for c in cases if c.subject_name is not None]
    audit.personal_data_read(component="casework", subject_type="case", ids=ids, tenant_id=tenant_id)


def _changed(case: Case) -> None:
    audit.personal_data_changed(component="casework", subject_type="case", ids=[case.id], tenant_id=case.tenant_id)


def _check_assignee(tenant_id, assignee_id) -> None:
    if assignee_id is not None and people.staff_user(tenant_id, assignee_id) is None:
        raise problems.ASSIGNEE_UNKNOWN("The assignee is not an active staff user of your organisation.",
                                        errors={"assignee_id": ["Not a staff user of your organisation."]})


CONSENT_PURPOSE = "referral"  # the purpose a person's consent to be referred has in the consent register


def register_subject(case: Case) -> dict:
    """The case's subject as the consent register names people: by email, phone and NHS number."""
    return {"email": case.subject_email, "phone": case.subject_phone, "nhs_number": case.subject_nhs_number}


def _tell_register(case: Case, *, given: bool) -> None:
    """Write consent to share, given or taken back on the case, in the organisation's consent register
    (privacy's actions; nothing while privacy is off or the case names nobody the register can hold). A
    consent the register holds withdrawn is never revived from a case: the person withdrew it, and only
    the register's own API (a tenant admin) records them consenting again."""
    name = "privacy.give_consent" if given else "privacy.withdraw_consent"
    reach = register_subject(case)
    if not any(reach.values()) or actions.get(name, tenant_id=case.tenant_id) is None:
        return
    try:
        if given:
            said = actions.run("privacy.consent_state", tenant_id=case.tenant_id,
                               data={"subject": reach, "purpose": CONSENT_PURPOSE})["state"]
            if said in ("withdrawn", "expired"):
                return  # the referral check refuses with consent_withdrawn
            data = {"subject": {**reach, "name": case.subject_name}, "purpose": CONSENT_PURPOSE,
                    "description": "To be referred to other organisations under the data-sharing agreements in force",
                    "collection_method": f"recorded on case {case.id} by its caseworker"}
        else:
            data = {"subject": reach, "purpose": CONSENT_PURPOSE, "method": f"consent to share taken off case {case.id}"}
        actions.run(name, tenant_id=case.tenant_id, data=data)
    except ma.ValidationError:  # a subject stored before the register's checks: the case's own record decides
        return


def _set_subject(case: Case, subject: dict | None) -> None:
    subject = dict(subject or {})
    consent = subject.pop("consent_to_share", None)
    number = "".join((subject.get("nhs_number") or "").split()) or None
    if number is not None:
        try:
            number = contact.nhs_number(number)  # the core's one rule, as the privacy search normalises it
        except contact.InvalidContact as invalid:
            raise problems.NHS_NUMBER_INVALID(str(invalid), errors={"subject.nhs_number": [str(invalid)]}) from None
    subject["nhs_number"] = number
    for key, column in SUBJECT_COLUMNS.items():
        setattr(case, column, subject.get(key))
    if consent is True and case.consent_recorded_at is None:
        case.consent_recorded_at = utcnow()
        _tell_register(case, given=True)
    elif consent is False or not subject:
        if consent is False and case.consent_recorded_at is not None:
            _tell_register(case, given=False)
        case.consent_recorded_at = None


def _links(links: list | None) -> list[dict]:
    """Links as the case stores them (JSON): `{"type": "reporting.report", "id": "<uuid as text>"}`."""
    return [{"type": link["type"], "id": str(link["id"])} for link in links or []]


def create_case(*, tenant_id: uuid.UUID, case_type: str, title: str, priority: str | None = None,
                fields: dict | None = None, assignee_id=None, team: str | None = None, subject: dict | None = None,
                links: list | None = None, reference: str | None = None, metadata_: dict | None = None,
                source: str = "api", referral_id=None) -> Case:
    """Open a case of the newest version of a case type, in its initial state, its clocks started."""
    ctype = _latest(tenant_id, case_type)
    definition = ctype.definition
    priority = priority or definition["default_priority"]
    case_types.check_priority(definition, priority)
    case_types.check_fields(definition, fields or {})
    _check_assignee(tenant_id, assignee_id)
    now = utcnow()
    case = Case(id=uuid.uuid4(), tenant_id=tenant_id, case_type_id=ctype.id, case_type_key=ctype.key,
                case_type_version=ctype.version, title=title, priority=priority,
                fields=fields or {}, assignee_id=assignee_id, team=team, links=_links(links), reference=reference,
                metadata_=metadata_ or {}, sandbox=ctype.sandbox, state_entered_at=now, clock_used_seconds=0,
                paused_seconds=0, warned=[], breached=[], referral_id=referral_id)
    _set_subject(case, subject)
    clocks.enter(case, definition, definition["initial_state"], now, clocks.calendar(tenant_id))
    session.add(case)
    session.flush()
    log_change(case, "created", state=case.state, case_type=ctype.key, version=ctype.version, source=source)
    if assignee_id or team:
        log_change(case, "assigned", assignee_id=str(assignee_id) if assignee_id else None, team=team)
    events.CASE_CREATED.emit(tenant_id=tenant_id, subject=str(case.id), data=events.case_data(case, ctype, source=source))
    if subject:
        _changed(case)
    return case


def find_case(tenant_id, case_id, if_match=None, *, lock=True) -> Case:
    case = get_scoped(Case, tenant_id, case_id, what="case", lock=lock)
    if lock:
        etag.check(case, if_match)
    return case


def _type(case: Case) -> CaseType:
    return session.get(CaseType, case.case_type_id)


def get_case(*, tenant_id: uuid.UUID, case_id) -> Case:
    case = find_case(tenant_id, case_id, lock=False)
    _shown(tenant_id, [case])
    return case


def update_case(*, tenant_id: uuid.UUID, case_id, if_match: str | None = None, **changes) -> Case:
    """Change a case's title, priority, fields, subject, links, reference or metadata."""
    case = find_case(tenant_id, case_id, if_match)
    definition = _type(case).definition
    if "priority" in changes:
        case_types.check_priority(definition, changes["priority"])
    if "fields" in changes:
        case_types.check_fields(definition, changes["fields"])
    if "links" in changes:
        changes["links"] = _links(changes["links"])
    subject = "subject" in changes
    if subject:
        _set_subject(case, changes.pop("subject"))
        _changed(case)
    changed = sorted(name.rstrip("_") for name, value in changes.items() if getattr(case, name) != value)
    for name, value in changes.items():
        setattr(case, name, value)
    case.updated_at = utcnow()
    session.flush()
    log_change(case, "updated", fields=changed + (["subject"] if subject else []))
    _shown(tenant_id, [case])
    return case


def transition(*, tenant_id: uuid.UUID, principal, case_id, to: str, if_match: str | None = None) -> Case:
    """Move a case to another state, if its case type allows it and the caller may."""
    case = find_case(tenant_id, case_id, if_match)
    ctype = _type(case)
    if not case.open:
        raise problems.TRANSITION_NOT_ALLOWED("The case is closed.")
    case_types.check_move(ctype.definition, case.state, to, principal)
    previous = case.state
    clocks.enter(case, ctype.definition, to, utcnow(), clocks.calendar(tenant_id))
    case.updated_at = utcnow()
    session.flush()
    log_change(case, "state_changed", **{"from": previous, "to": to})
    events.STATE_CHANGED.emit(tenant_id=tenant_id, subject=str(case.id),
                              data=events.case_data(case, ctype, from_state=previous))
    _shown(tenant_id, [case])
    return case


def assign(*, tenant_id: uuid.UUID, case_id, assignee_id, team: str | None = None, if_match: str | None = None) -> Case:
    """Assign, reassign or unassign a case, and put it in a team's queue."""
    case = find_case(tenant_id, case_id, if_match)
    _check_assignee(tenant_id, assignee_id)
    previous, previous_team = case.assignee_id, case.team
    case.assignee_id, case.team, case.updated_at = assignee_id, team, utcnow()
    session.flush()
    log_change(case, "assigned", assignee_id=str(assignee_id) if assignee_id else None, team=team,
         previous_assignee_id=str(previous) if previous else None, previous_team=previous_team)
    events.ASSIGNED.emit(tenant_id=tenant_id, subject=str(case.id), data=events.case_data(
        case, _type(case), previous_assignee_id=str(previous) if previous else None, previous_team=previous_team))
    _shown(tenant_id, [case])
    return case


def migrate_case(*, tenant_id: uuid.UUID, principal, case_id, version: int, state_map: dict,
                 if_match: str | None = None) -> Case:
    """Move an open case to another version of its case type, keeping the SLA time already used."""
    case = find_case(tenant_id, case_id, if_match)
    require_admin(principal)
    old = _type(case)
    new = session.scalars(scoped(CaseType, tenant_id).where(CaseType.key == old.key, CaseType.version == version)).first()
    if new is None or not case.open:
        raise problems.CASE_TYPE_VERSION(f"No version {version} of {old.key!r}, or the case is closed.")
    names = {s["name"] for s in new.definition["states"]}
    state = state_map.get(case.state, case.state)
    if state not in names:
        raise problems.CASE_TYPE_VERSION(f"Version {version} has no state {state!r}: map it in `state_map`.",
                                         errors={"state_map": [f"Map {case.state!r} to a state of version {version}."]})
    case_types.check_fields(new.definition, case.fields)
    if case.priority not in new.definition["priorities"]:
        case.priority = new.definition["default_priority"]
    now, cal = utcnow(), clocks.calendar(tenant_id)
    case.case_type_id, case.case_type_version = new.id, new.version
    if state != case.state:
        clocks.enter(case, new.definition, state, now, cal)
    else:
        clocks.refresh(case, new.definition, now, cal)
    case.updated_at = now
    session.flush()
    log_change(case, "case_type_migrated", from_version=old.version, to_version=new.version, state=case.state)
    _shown(tenant_id, [case])
    return case


def timeline(*, tenant_id: uuid.UUID, case_id) -> dict:
    case = find_case(tenant_id, case_id, lock=False)
    items = list(session.scalars(scoped(TimelineEntry, tenant_id).where(TimelineEntry.case_id == case.id)
                                 .order_by(TimelineEntry.at, TimelineEntry.seq)))
    return {"case_id": case.id, "items": items}


# --- queues ----------------------------------------------------------------------------
def _filtered(tenant_id, *, state=None, assignee_id=None, team=None, priority=None, case_type=None, open=None,
              overdue=None, due_before=None, field=(), reference=None) -> sa.Select:
    query = scoped(Case, tenant_id)
    for column, value in ((Case.state, state), (Case.assignee_id, assignee_id), (Case.team, team),
                          (Case.priority, priority), (Case.open, open), (Case.reference, reference)):
        if value is not None:
            query = query.where(column == value)
    if case_type:
        query = query.where(Case.case_type_key == case_type)
    now = utcnow()
    if overdue is not None:
        query = query.where(Case.open.is_(True), Case.sort_due <= now if overdue else Case.sort_due > now)
    if due_before is not None:
        query = query.where(Case.sort_due < due_before)
    for item in field:
        name, _, value = item.partition(":")
        query = query.where(Case.fields[name].as_string() == value)
    return query


def list_cases(*, tenant_id: uuid.UUID, limit: int = 20, after: str | None = None, **filters) -> dict:
    """One page of the queue, nearest due date first (cases without one last)."""
    page = paginate(_filtered(tenant_id, **filters), Case, limit=limit, after=after, sort=Case.sort_due)
    _shown(tenant_id, page["items"])
    return page


def counts(*, tenant_id: uuid.UUID, team: str | None = None, assignee_id=None) -> dict:
    """Cases per state, and open cases per overdue band, for a dashboard."""
    query = _filtered(tenant_id, team=team, assignee_id=assignee_id)
    by_state = dict(session.execute(query.with_only_columns(Case.state, sa.func.count()).group_by(Case.state)).all())
    now = utcnow()
    band = sa.case((Case.paused_at.is_not(None), "paused"), (Case.sort_due <= now, "overdue"),
                   (Case.sort_due <= now + dt.timedelta(days=1), "due_within_a_day"),
                   (Case.sort_due < NO_DUE, "due_later"), else_="no_due_date")
    found = dict(session.execute(query.where(Case.open.is_(True)).with_only_columns(band, sa.func.count())
                                 .group_by(band)).all())
    bands = {name: found.get(name, 0) for name in ("overdue", "due_within_a_day", "due_later", "no_due_date", "paused")}
    return {"by_state": by_state, "by_overdue": bands}
