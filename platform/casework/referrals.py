"""Data-sharing agreements between organisations, and referrals of cases under them.

An agreement (ICO data sharing code) belongs to the organisation that proposed it; both parties'
admins approve it, and it is live from `starts_on` to `ends_on` once both have. Either party may
refer a case to the other under a live agreement: the service copies into `shared` only the fields
the agreement lists (never what the client sends), and refuses a field outside it. On a consent basis
the case must record the person's consent, and the consent register (privacy's `privacy.consent_state`
action, purpose `referral`) must not hold it withdrawn or expired; a live consent there suffices. The
receiver reads and answers the sender's referral row in `place_wide("casework.referrals")`, each read audited
for both organisations.
"""
import datetime as dt
import uuid

import marshmallow as ma
import sqlalchemy as sa

from civic.casework import events, problems, service
from civic.casework.models import Agreement, Case, Note, Referral, TimelineEntry
from civic.core import actions, audit
from civic.core.db import session, utcnow
from civic.core.errors import not_found
from civic.core.pagination import paginate
from civic.core.tenancy import Tenant, current_world_is_sandbox, place_wide, scoped

SUBJECT_FIELDS = ("name", "email", "phone", "postcode", "date_of_birth", "nhs_number")
SHAREABLE = (*(f"subject.{f}" for f in SUBJECT_FIELDS), "title", "priority", "notes", "reason")
CONSENT_BASES = ("consent",)


def _registered_consent(case: Case) -> str:
    """given, withdrawn, expired, or none: what the consent register holds (none while privacy is off)."""
    if actions.get("privacy.consent_state", tenant_id=case.tenant_id) is None:
        return "none"
    try:
        return actions.run("privacy.consent_state", tenant_id=case.tenant_id,
                           data={"subject": service.register_subject(case), "purpose": service.CONSENT_PURPOSE})["state"]
    except ma.ValidationError:  # a subject stored before the register's checks: the case's own record decides
        return "none"


def _uuid(value, what: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise not_found(what) from None


# --- agreements ------------------------------------------------------------------------
def create_agreement(*, tenant_id: uuid.UUID, principal, partner: str, **fields) -> Agreement:
    """Propose an agreement with another organisation (tenant admins); neither side has approved it yet."""
    service.require_admin(principal)
    other = session.scalars(sa.select(Tenant).where(Tenant.slug == partner)).first()
    if other is None or other.id == tenant_id or not other.active:
        raise problems.AGREEMENT_PARTY("Name another active organisation by its slug.",
                                       errors={"partner": ["Not another active organisation."]})
    agreement = Agreement(id=uuid.uuid4(), tenant_id=tenant_id, partner_tenant_id=other.id, status="proposed", **fields)
    session.add(agreement)
    session.flush()
    audit.record("casework.agreement_proposed", tenant_id=tenant_id, subject_type="agreement", subject_id=agreement.id,
                 detail={"partner_tenant_id": str(other.id), "shared_fields": agreement.shared_fields})
    return agreement


def _across(query: sa.Select, across, what: str, lock: bool):
    """One row another organisation may own, read in `across` (a listed `place_wide()`), locked if asked, or a 404."""
    with across:
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        found = session.scalars(query).first()
    if found is None:
        raise not_found(what)
    return found


def _agreement(tenant_id, agreement_id, *, lock: bool = False) -> Agreement:
    query = sa.select(Agreement).where(Agreement.id == _uuid(agreement_id, "agreement"),
                                       Agreement.sandbox.is_(current_world_is_sandbox()),
                                       sa.or_(Agreement.tenant_id == tenant_id, Agreement.partner_tenant_id == tenant_id))
    return _across(query, place_wide("casework.agreements"), "agreement", lock)


def get_agreement(*, tenant_id: uuid.UUID, agreement_id) -> Agreement:
    return _agreement(tenant_id, agreement_id)


def approve_agreement(*, tenant_id: uuid.UUID, principal, agreement_id) -> Agreement:
    """One party's admin approves; with both approvals the agreement is active."""
    agreement = _agreement(tenant_id, agreement_id, lock=True)  # another organisation's: a 404 first
    service.require_admin(principal)
    if agreement.status == "ended":
        raise problems.AGREEMENT_NOT_LIVE("This agreement has ended.")
    side = "proposer" if agreement.tenant_id == tenant_id else "partner"
    if getattr(agreement, f"{side}_approved_at") is None:
        setattr(agreement, f"{side}_approved_at", utcnow())
        setattr(agreement, f"{side}_approved_by", audit.current_actor())
    if agreement.proposer_approved_at and agreement.partner_approved_at:
        agreement.status = "active"
    agreement.updated_at = utcnow()
    session.flush()
    for party in (agreement.tenant_id, agreement.partner_tenant_id):
        audit.record("casework.agreement_approved", tenant_id=party, subject_type="agreement", subject_id=agreement.id,
                     detail={"side": side, "status": agreement.status})
    return agreement


def end_agreement(*, tenant_id: uuid.UUID, principal, agreement_id) -> Agreement:
    """Either party's admin ends an agreement: no referral may be sent under it any more."""
    agreement = _agreement(tenant_id, agreement_id, lock=True)  # another organisation's: a 404 first
    service.require_admin(principal)
    agreement.status, agreement.updated_at = "ended", utcnow()
    session.flush()
    for party in (agreement.tenant_id, agreement.partner_tenant_id):
        audit.record("casework.agreement_ended", tenant_id=party, subject_type="agreement", subject_id=agreement.id)
    return agreement


def list_agreements(*, tenant_id: uuid.UUID, principal, status: str | None = None, limit: int = 20,
                    after: str | None = None) -> dict:
    """The one log of agreements: an organisation's own (either side); a steward's, the whole place's."""
    query = sa.select(Agreement).where(Agreement.sandbox.is_(current_world_is_sandbox()))
    if not principal.is_steward:
        query = query.where(sa.or_(Agreement.tenant_id == tenant_id, Agreement.partner_tenant_id == tenant_id))
    if status:
        query = query.where(Agreement.status == status)
    with place_wide("casework.agreements"):
        return paginate(query, Agreement, limit=limit, after=after)


def is_live(agreement: Agreement, today: dt.date) -> bool:
    return agreement.status == "active" and agreement.starts_on <= today <= agreement.ends_on


# --- referrals --------------------------------------------------------------------------
def _shared(case: Case, agreement: Agreement, fields: list[str], reason: str | None) -> dict:
    """What crosses to the receiver: only the listed fields, read from the case by the service."""
    shared: dict = {}
    subject = {f: case.subject.get(f) for f in SUBJECT_FIELDS if f"subject.{f}" in fields} if case.subject else {}
    if subject:
        if "date_of_birth" in subject and subject["date_of_birth"] is not None:
            subject["date_of_birth"] = subject["date_of_birth"].isoformat()
        shared["subject"] = subject
    for name in ("title", "priority"):
        if name in fields:
            shared[name] = getattr(case, name)
    custom = {f.split(".", 1)[1] for f in fields if f.startswith("fields.")}
    if custom:
        shared["fields"] = {k: v for k, v in case.fields.items() if k in custom}
    if "notes" in fields:
        shared["notes"] = [n.body for n in session.scalars(scoped(Note, case.tenant_id).where(
            Note.case_id == case.id, Note.shareable.is_(True)).order_by(Note.created_at))]
    if reason is not None:
        shared["reason"] = reason
    return shared


def send_referral(*, tenant_id: uuid.UUID, case_id, agreement_id, fields: list[str] | None = None,
                  reason: str | None = None, reference: str | None = None, metadata_: dict | None = None) -> Referral:
    """Refer a case to the other party of a live agreement, sharing only what the agreement allows."""
    case = service.find_case(tenant_id, case_id, lock=False)
    agreement = _agreement(tenant_id, agreement_id)
    if not is_live(agreement, utcnow().date()):
        raise problems.AGREEMENT_NOT_LIVE("The agreement is not approved by both organisations, or not in force today.")
    fields = list(dict.fromkeys(agreement.shared_fields if fields is None else fields))
    if reason is not None and "reason" not in fields:
        fields.append("reason")
    outside = [f for f in fields if f not in agreement.shared_fields]
    if outside:
        raise problems.FIELD_NOT_SHARED(f"The agreement does not allow sharing: {', '.join(outside)}.",
                                        errors={"fields": [f"Not in the agreement: {f}" for f in outside]})
    if agreement.lawful_basis in CONSENT_BASES or agreement.special_category_condition == "explicit_consent":
        registered = _registered_consent(case)
        if registered in ("withdrawn", "expired"):
            raise problems.CONSENT_WITHDRAWN(f"The consent register holds the person's consent to be referred {registered}.")
        if registered != "given" and case.consent_recorded_at is None:
            raise problems.CONSENT_REQUIRED("Record the person's consent to share on the case first.")
    receiver = agreement.partner_tenant_id if agreement.tenant_id == tenant_id else agreement.tenant_id
    referral = Referral(id=uuid.uuid4(), tenant_id=tenant_id, to_tenant_id=receiver, agreement_id=agreement.id,
                        case_id=case.id, sandbox=case.sandbox, shared=_shared(case, agreement, fields, reason),
                        status="sent", reference=reference, metadata_=metadata_ or {})
    session.add(referral)
    session.flush()
    service.log_change(case, "referral_sent", referral_id=str(referral.id), to_tenant_id=str(receiver), fields=fields)
    audit.record("casework.referral_sent", tenant_id=tenant_id, subject_type="case", subject_id=case.id,
                 detail={"referral_id": str(referral.id), "fields": fields})
    events.REFERRAL_SENT.emit(tenant_id=receiver, subject=str(referral.id), data=events.referral_data(referral))
    return referral


def view(referral: Referral, tenant_id) -> dict:
    """The referral as `tenant_id` sees it: the sender all of it, the receiver what was shared and the answers."""
    sender = referral.tenant_id == tenant_id
    return {"id": referral.id, "created_at": referral.created_at, "updated_at": referral.updated_at,
            "direction": "sent" if sender else "received", "from_tenant_id": referral.tenant_id,
            "to_tenant_id": referral.to_tenant_id, "agreement_id": referral.agreement_id,
            "case_id": referral.case_id if sender else None, "shared": referral.shared, "status": referral.status,
            "decline_reason": referral.decline_reason, "receiver_case_id": referral.receiver_case_id,
            "outcome": referral.outcome, "outcome_message": referral.outcome_message,
            "answered_at": referral.answered_at, "outcome_at": referral.outcome_at,
            "reference": referral.reference if sender else None, "metadata_": referral.metadata_ if sender else {}}


def _read_across(tenant_id, referrals) -> None:
    """A receiver saw these referrals' shared data: audited for the reader and for the sender."""
    for referral in referrals:
        audit.record("casework.referral_read", tenant_id=tenant_id, subject_type="referral", subject_id=referral.id)
        audit.record("casework.referral_read_by_receiver", tenant_id=referral.tenant_id, subject_type="referral",
                     subject_id=referral.id, detail={"reader_tenant_id": str(tenant_id)})


def _received(tenant_id, referral_id, *, lock: bool = False) -> Referral:
    query = sa.select(Referral).where(Referral.id == _uuid(referral_id, "referral"), Referral.to_tenant_id == tenant_id,
                                      Referral.sandbox.is_(current_world_is_sandbox()))
    return _across(query, place_wide("casework.referrals"), "referral", lock)


def get_referral(*, tenant_id: uuid.UUID, referral_id) -> dict:
    wanted = _uuid(referral_id, "referral")
    mine = session.scalars(scoped(Referral, tenant_id).where(Referral.id == wanted)).first()
    if mine is not None:
        return view(mine, tenant_id)
    received = _received(tenant_id, wanted)
    _read_across(tenant_id, [received])
    return view(received, tenant_id)


def list_referrals(*, tenant_id: uuid.UUID, direction: str = "received", status: str | None = None,
                   limit: int = 20, after: str | None = None) -> dict:
    """Referrals this organisation sent, or received."""
    if direction == "sent":
        query = scoped(Referral, tenant_id)
        page = paginate(query.where(Referral.status == status) if status else query, Referral, limit=limit, after=after)
    else:
        query = sa.select(Referral).where(Referral.to_tenant_id == tenant_id,
                                          Referral.sandbox.is_(current_world_is_sandbox()))
        with place_wide("casework.referrals"):
            page = paginate(query.where(Referral.status == status) if status else query, Referral, limit=limit,
                            after=after)
        _read_across(tenant_id, page["items"])
    return {"items": [view(r, tenant_id) for r in page["items"]], "next": page["next"]}


def _tell_sender(referral: Referral, kind: str, event, **detail) -> None:
    """Write the answer onto the sender's case timeline and emit the event to the sender."""
    with place_wide("casework.referrals"):
        case = session.get(Case, referral.case_id)
        session.add(TimelineEntry(id=uuid.uuid4(), tenant_id=referral.tenant_id, case_id=referral.case_id,
                                  sandbox=referral.sandbox, at=utcnow(), seq=next(service._order),
                                  actor=audit.current_actor(), kind=kind, detail={"referral_id": str(referral.id), **detail}))
        if case is not None:
            case.updated_at = utcnow()
        session.flush()
    receiver_case = str(referral.receiver_case_id) if referral.receiver_case_id else None
    data = events.referral_data(referral, receiver_case_id=receiver_case, **({"outcome": referral.outcome}
                                                                             if event is events.REFERRAL_OUTCOME else {}))
    event.emit(tenant_id=referral.tenant_id, subject=str(referral.id), data=data)


def accept_referral(*, tenant_id: uuid.UUID, referral_id, case_type: str, team: str | None = None,
                    assignee_id=None, priority: str | None = None) -> dict:
    """Accept a referral: open this organisation's own case from what was shared, linked to the referral."""
    referral = _received(tenant_id, referral_id, lock=True)
    if referral.status != "sent":
        raise problems.REFERRAL_STATE(f"This referral is {referral.status}.")
    shared = referral.shared
    subject = {k: v for k, v in (shared.get("subject") or {}).items() if v is not None} or None
    if subject is not None and "name" not in subject:
        subject["name"] = "Referred person"
    case = service.create_case(tenant_id=tenant_id, case_type=case_type,
                               title=shared.get("title") or "Referral", priority=priority,
                               fields=shared.get("fields") or {}, assignee_id=assignee_id, team=team, subject=subject,
                               links=[{"type": "casework.referral", "id": str(referral.id)}],
                               source=f"referral:{referral.id}", referral_id=referral.id)
    for body in shared.get("notes") or []:
        session.add(Note(id=uuid.uuid4(), tenant_id=tenant_id, case_id=case.id, sandbox=case.sandbox, body=body,
                         shareable=False, author=f"referral:{referral.id}"))
    referral.status, referral.receiver_case_id, referral.answered_at = "accepted", case.id, utcnow()
    referral.updated_at = utcnow()
    session.flush()
    _read_across(tenant_id, [referral])
    _tell_sender(referral, "referral_accepted", events.REFERRAL_ACCEPTED)
    return view(referral, tenant_id)


def decline_referral(*, tenant_id: uuid.UUID, referral_id, reason: str) -> dict:
    referral = _received(tenant_id, referral_id, lock=True)
    if referral.status != "sent":
        raise problems.REFERRAL_STATE(f"This referral is {referral.status}.")
    referral.status, referral.decline_reason, referral.answered_at = "declined", reason, utcnow()
    referral.updated_at = utcnow()
    session.flush()
    _tell_sender(referral, "referral_declined", events.REFERRAL_DECLINED)
    return view(referral, tenant_id)


def report_outcome(*, tenant_id: uuid.UUID, referral_id, outcome: str, message: str | None = None) -> dict:
    """Send the outcome back to the referrer (once, after accepting)."""
    referral = _received(tenant_id, referral_id, lock=True)
    if referral.status != "accepted":
        raise problems.REFERRAL_STATE(f"This referral is {referral.status}: only an accepted one has an outcome.")
    referral.status, referral.outcome, referral.outcome_message = "completed", outcome, message
    referral.outcome_at = referral.updated_at = utcnow()
    session.flush()
    _tell_sender(referral, "referral_outcome", events.REFERRAL_OUTCOME, outcome=outcome)
    return view(referral, tenant_id)
