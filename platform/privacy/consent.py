"""The consent register: keyword-only, tenant explicit, flush, never commit.

One record per person, purpose and channel: given (how, when, to what, seen in which notice), withdrawn
(how, when), given again, each step in its `history`. Who may: as for subject access requests
(`service.require_handler`): a signed-in person needs the tenant_admin role; an app (a sign-up form on the
organisation's website) acts through `privacy:write`, and reads through `privacy:read`.

Enforced where it matters, through actions, never imports:
- a withdrawal of a contact purpose records a notify opt-out (`notify.opt_out`) for that purpose on the
  channel withdrawn (`any`: email and text message), so non-essential messages for it stop at once; a
  consent given (again) lifts the opt-outs the register recorded (`notify.lift_opt_outs`), never one the
  person made with a link;
- the other way round, a person who uses a message's unsubscribe link withdraws their consent to its
  purpose on that channel or on any (the job `privacy.unsubscribed`, after `civic.notify.unsubscribed`);
- casework asks `privacy.consent_state` before a referral on a consent basis (purpose `referral`): a
  consent withdrawn or expired in the register refuses it, whatever the case says; and a case's
  `consent_to_share` given or taken back is written here (`privacy.give_consent`, `privacy.withdraw_consent`).

The register's rows are personal data in the core registry (`ENTRY`): a subject search finds them, the
export holds them, rectification corrects them, erasure blanks the person's details and keeps the record
of what was agreed and when (UK GDPR Article 7(1): the organisation must be able to show it).
"""
import datetime as dt
import uuid

import sqlalchemy as sa

from civic.core import actions, audit, db, privacy
from civic.core.db import session, utcnow
from civic.core.privacy import Identifiers, PersonalData
from civic.core.tenancy import Tenant, get_scoped, in_world, scoped
from civic.privacy import problems, schemas
from civic.privacy.events import CONSENT_GIVEN, CONSENT_WITHDRAWN
from civic.privacy.models import Consent
from civic.privacy.service import require_handler

HELD = {"email": "subject_email", "phone": "subject_phone", "nhs_number": "subject_nhs_number"}
FIELDS = ("subject_name", "subject_email", "subject_phone", "subject_nhs_number")
# The notify channels a consent's channel covers: (channel, the identifier it needs, notify's field for it).
EMAIL, SMS = ("email", "email", "email_address"), ("sms", "phone", "phone_number")
OPT_OUT_CHANNELS = {"email": (EMAIL,), "sms": (SMS,), "any": (EMAIL, SMS)}
RECEIPT_VERSION = "KI-CR-v1.1.0"


def _who(subject: dict) -> Identifiers:
    who = Identifiers.of(**{k: subject.get(k) for k in ("email", "phone", "nhs_number", "name")})
    if not (who.email or who.phone or who.nhs_number):
        raise problems.NO_IDENTIFIER("Name the person by email, phone or NHS number: a consent must reach them.",
                                     errors={"subject": ["Send an email, a phone or an NHS number."]})
    return who


def _exactly(query: sa.Select, who: Identifiers) -> sa.Select:
    """`query` narrowed to the records of exactly this person: `privacy.matching_every` (an identifier of
    theirs, none that disagrees), and no contact identifier they did not give now (a household's shared
    phone, given alone, matches nobody's record that also holds an email)."""
    return privacy.matching_every(query, Consent, who, HELD).where(
        *(getattr(Consent, field).is_(None) for identifier, field in HELD.items() if getattr(who, identifier) is None))


def _same(tenant_id: uuid.UUID, who: Identifiers, purpose: str, channel: str) -> Consent | None:
    """The person's record for this purpose and channel (exactly this person: see `_exactly`)."""
    query = _exactly(scoped(Consent, tenant_id), who).where(Consent.purpose == purpose, Consent.channel == channel)
    return session.scalars(query.order_by(Consent.created_at).with_for_update()).first()


def _step(consent: Consent, principal, state: str, at: dt.datetime, method: str, terms: dict | None = None) -> None:
    consent.history = [*consent.history, {
        "at": at.isoformat(), "state": state, "method": method,
        "user_id": str(principal.user_id) if principal and principal.user_id else None,
        "client_id": principal.client_id if principal else None, **({"terms": terms} if terms else {})}]


def _event(kind, consent: Consent) -> None:
    kind.emit(tenant_id=consent.tenant_id, subject=str(consent.id),
              data={"consent_id": str(consent.id), "purpose": consent.purpose, "channel": consent.channel,
                    "sandbox": consent.sandbox})


def give(*, tenant_id: uuid.UUID, principal, subject: dict, purpose: str, description: str, collection_method: str,
         channel: str = "any", data_categories: list | None = None, shared_with: list | None = None,
         notice_url: str | None = None, given_at: dt.datetime | None = None, expires_at: dt.datetime | None = None,
         reference: str | None = None, metadata_: dict | None = None) -> Consent:
    """Record a consent given; the same person, purpose and channel again updates their one record."""
    require_handler(principal)
    who = _who(subject)
    now = utcnow()
    given_at = given_at or now
    if given_at > now or (expires_at is not None and expires_at <= given_at):
        raise problems.CONSENT_DATE_INVALID(
            "A consent is given now or in the past, and expires after it was given.",
            errors={"given_at" if given_at > now else "expires_at": ["Out of order."]})
    db.lock_keys(f"privacy.consent:{tenant_id}:{purpose}:{channel}")  # two at once: one record, not two
    consent = _same(tenant_id, who, purpose, channel)
    if consent is not None and consent.withdrawn_at is not None and given_at < consent.withdrawn_at:
        raise problems.CONSENT_DATE_INVALID(
            "The person withdrew this consent after that date: a consent given again is dated after the withdrawal.",
            errors={"given_at": ["Before the withdrawal."]})
    if consent is None:
        consent = Consent(id=uuid.uuid4(), tenant_id=tenant_id, purpose=purpose, channel=channel, history=[])
        consent.created_now = True  # the route answers 201 for a new record, 200 for one given again
        session.add(consent)
    consent.subject_name = consent.subject_name or subject.get("name")  # a name given later corrects nothing
    consent.subject_email = who.email or consent.subject_email
    consent.subject_phone = who.phone or consent.subject_phone
    consent.subject_nhs_number = who.nhs_number or consent.subject_nhs_number
    consent.description, consent.collection_method, consent.notice_url = description, collection_method, notice_url
    consent.data_categories, consent.shared_with = list(data_categories or []), list(shared_with or [])
    consent.state, consent.given_at, consent.expires_at = "given", given_at, expires_at
    consent.withdrawn_at = consent.withdrawal_method = None
    consent.reference, consent.metadata_ = reference, metadata_ or {}
    _step(consent, principal, "given", given_at, collection_method, terms={
        "description": description, "notice_url": notice_url, "data_categories": consent.data_categories,
        "shared_with": consent.shared_with, "expires_at": expires_at.isoformat() if expires_at else None})
    session.flush()
    # Consenting again lifts the opt-outs the register recorded when it was withdrawn, on the channels the
    # person is named by now. An opt-out they made themselves (a link) or that notify holds stays.
    _tell_notify(consent, "notify.lift_opt_outs", only=who)
    audit.personal_data_changed(component="privacy", subject_type="consent", ids=[consent.id], tenant_id=tenant_id)
    _event(CONSENT_GIVEN, consent)
    return consent


def _find(tenant_id: uuid.UUID, consent_id, *, lock: bool = False) -> Consent:
    return get_scoped(Consent, tenant_id, consent_id, what="consent", lock=lock)


def get(*, tenant_id: uuid.UUID, principal, consent_id) -> Consent:
    require_handler(principal)
    consent = _find(tenant_id, consent_id)
    audit.personal_data_read(component="privacy", subject_type="consent", ids=[consent.id], tenant_id=tenant_id)
    return consent


def search(*, tenant_id: uuid.UUID, principal, subject: dict, purpose: str | None = None) -> dict:
    """Every consent record of the person (by any of their email, phone, NHS number), oldest first."""
    require_handler(principal)
    query = privacy.matching(scoped(Consent, tenant_id), Consent, _who(subject), HELD)
    if purpose is not None:
        query = query.where(Consent.purpose == purpose)
    items = list(session.scalars(query.order_by(Consent.created_at, Consent.id)))
    audit.personal_data_read(component="privacy", subject_type="consent", ids=[c.id for c in items],
                             tenant_id=tenant_id)
    return {"items": items}


def _tell_notify(consent: Consent, action: str, only: Identifiers | None = None, **extra) -> None:
    """Opt the person out (a withdrawal) or lift the register's opt-outs (a consent), on the consent's channels
    (with `only`: those whose identifier it gives), through notify's actions (nothing while notify is off for
    the organisation)."""
    if actions.get(action, tenant_id=consent.tenant_id) is None:
        return
    for channel, identifier, field in OPT_OUT_CHANNELS.get(consent.channel, ()):
        value = getattr(consent, HELD[identifier])
        if value and (only is None or getattr(only, identifier) == value):
            actions.run(action, tenant_id=consent.tenant_id,
                        data={"channel": channel, "purpose": consent.purpose, field: value, **extra})


def _withdraw(consent: Consent, *, at: dt.datetime, method: str, principal=None) -> None:
    consent.state, consent.withdrawn_at, consent.withdrawal_method = "withdrawn", at, method
    if principal is None:  # the person themselves, by a message's unsubscribe link
        consent.history = [*consent.history, {"at": at.isoformat(), "state": "withdrawn", "method": method,
                                              "user_id": None, "client_id": None}]
    else:
        _step(consent, principal, "withdrawn", at, method)
    _tell_notify(consent, "notify.opt_out", source="consent")
    session.flush()
    audit.personal_data_changed(component="privacy", subject_type="consent", ids=[consent.id],
                                tenant_id=consent.tenant_id)
    _event(CONSENT_WITHDRAWN, consent)


def withdraw(*, tenant_id: uuid.UUID, principal, consent_id, method: str,
             withdrawn_at: dt.datetime | None = None) -> Consent:
    """Withdraw a consent: recorded with how; a contact purpose's messages stop (notify's opt-out)."""
    require_handler(principal)
    consent = _find(tenant_id, consent_id, lock=True)
    now = utcnow()
    withdrawn_at = withdrawn_at or now
    if withdrawn_at > now or withdrawn_at < consent.given_at:
        raise problems.CONSENT_DATE_INVALID("A consent is withdrawn now, or in the past after it was given.",
                                            errors={"withdrawn_at": ["Out of order."]})
    if consent.state != "withdrawn":  # else the first withdrawal stands
        _withdraw(consent, at=withdrawn_at, method=method, principal=principal)
    return consent


def withdraw_for(*, tenant_id: uuid.UUID, principal, subject: dict, purpose: str, method: str) -> dict:
    """`privacy.withdraw_consent`: withdraw the person's consents to a purpose (on every channel), now."""
    require_handler(principal)
    query = _exactly(scoped(Consent, tenant_id), _who(subject)).where(
        Consent.purpose == purpose, Consent.state == "given")
    found = list(session.scalars(query.order_by(Consent.created_at).with_for_update()))
    now = utcnow()
    for consent in found:
        _withdraw(consent, at=max(now, consent.given_at), method=method, principal=principal)
    return {"withdrawn": [c.id for c in found]}


UNSUBSCRIBED_JOB = "privacy.unsubscribed"
UNSUBSCRIBED_BY = "unsubscribe link in a message"
HOLDER = {channel: HELD[identifier] for channel, identifier, _ in OPT_OUT_CHANNELS["any"]}
COVERS_CHUNK = 5000


def unsubscribed(payload: dict, job) -> None:
    """`privacy.unsubscribed`, after notify's `civic.notify.unsubscribed`: the person used a message's link, so
    their consents to that purpose on that channel (or on any) are withdrawn, as if they had told the
    organisation. Notify keeps the address only as a keyed hash, so it is asked which of the consents'
    addresses that one opt-out stands for (`notify.opt_out_covers`); running twice changes nothing."""
    data, tenant_id = payload.get("data") or {}, job.tenant_id
    column = HOLDER.get(data.get("channel"))
    if tenant_id is None or column is None or actions.get("notify.opt_out_covers", tenant_id=tenant_id) is None:
        return
    with in_world(data.get("sandbox", False)):
        held = getattr(Consent, column)
        addresses = sorted(set(session.scalars(scoped(Consent, tenant_id).with_only_columns(held).where(
            Consent.purpose == data["purpose"], Consent.channel.in_((data["channel"], "any")),
            Consent.state == "given", held.is_not(None)))))
        covered = []
        for start in range(0, len(addresses), COVERS_CHUNK):
            covered += actions.run("notify.opt_out_covers", tenant_id=tenant_id, data={
                "opt_out_id": data["opt_out_id"], "addresses": addresses[start:start + COVERS_CHUNK]})["covered"]
        if not covered:
            return
        at = dt.datetime.fromisoformat(payload["time"].replace("Z", "+00:00")) if payload.get("time") else utcnow()
        for consent in session.scalars(scoped(Consent, tenant_id).where(
                Consent.purpose == data["purpose"], Consent.channel.in_((data["channel"], "any")),
                Consent.state == "given", held.in_(covered)).with_for_update()):
            _withdraw(consent, at=max(at, consent.given_at), method=UNSUBSCRIBED_BY)


def receipt(*, tenant_id: uuid.UUID, principal, consent_id) -> dict:
    """The record as a Kantara consent receipt (v1.1 field names), for the person or another system."""
    consent = get(tenant_id=tenant_id, principal=principal, consent_id=consent_id)
    tenant = session.get(Tenant, tenant_id)
    principal_id = consent.subject_email or consent.subject_phone or consent.subject_nhs_number
    return {
        "version": RECEIPT_VERSION, "jurisdiction": "GB", "language": "en",
        "consentTimestamp": int(consent.given_at.timestamp()), "collectionMethod": consent.collection_method,
        "consentReceiptID": str(consent.id), "publicKey": None, "piiPrincipalId": principal_id,
        "piiControllers": [{"piiController": tenant.name, "onBehalf": False,
                            "contact": (tenant.metadata_ or {}).get("privacy_contact") or tenant.name,
                            "piiControllerUrl": consent.notice_url}],
        "policyUrl": consent.notice_url,
        "services": [{"service": consent.purpose, "purposes": [{
            "purpose": consent.description, "purposeCategory": [consent.purpose], "consentType": "EXPLICIT",
            "piiCategory": list(consent.data_categories), "primaryPurpose": True,
            "termination": (f"Expires {consent.expires_at.isoformat()}; " if consent.expires_at else "")
            + "withdraw at any time by telling the organisation",
            "thirdPartyDisclosure": bool(consent.shared_with),
            "thirdPartyName": ", ".join(consent.shared_with) or None}]}],
        "sensitive": False, "spiCat": [],
        "state": consent.state, "withdrawnAt": int(consent.withdrawn_at.timestamp()) if consent.withdrawn_at else None,
        "channel": consent.channel,
    }


def _latest_word(consent: Consent, now: dt.datetime) -> tuple[dt.datetime, int, str]:
    """When this record last said something, and what: given, withdrawn or expired (later wins; at the same
    moment a withdrawal or lapse beats a consent)."""
    if consent.live_at(now):
        return consent.given_at, 0, "given"
    if consent.state == "withdrawn":
        return consent.withdrawn_at, 1, "withdrawn"
    return consent.expires_at, 1, "expired"


def consent_state(*, tenant_id: uuid.UUID, subject: dict, purpose: str) -> dict:
    """`privacy.consent_state`: what the register says of this person and purpose, on any channel.

    `given`, `withdrawn`, `expired`, or `none` (nothing recorded: the caller's own record decides). The
    person's records are those holding none of their identifiers otherwise (a household member's record
    with another email is not theirs); of those, the latest word counts."""
    who = Identifiers.of(**{k: subject.get(k) for k in ("email", "phone", "nhs_number")})
    if not who.given:
        return {"state": "none", "consent_id": None}
    now = utcnow()
    found = list(session.scalars(privacy.matching_every(scoped(Consent, tenant_id), Consent, who, HELD)
                                 .where(Consent.purpose == purpose)))
    if not found:
        return {"state": "none", "consent_id": None}
    last = max(found, key=lambda consent: _latest_word(consent, now)[:2])
    return {"state": _latest_word(last, now)[2], "consent_id": last.id}


# --- the register's own personal data, in the core registry ----------------------------------------------
def _search(*, tenant_id, who: Identifiers) -> list[privacy.Match]:
    return privacy.search_rows(session, scoped(Consent, tenant_id), Consent, who, HELD, component="privacy",
                               type="consent")


def _export(*, tenant_id, who: Identifiers) -> list[dict]:
    rows = [{"type": "consent", "id": str(c.id), "purpose": c.purpose, "channel": c.channel,
             "description": c.description, "state": c.state, "given_at": c.given_at.isoformat(),
             "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
             "collection_method": c.collection_method, "subject": c.subject, "history": c.history}
            for c in session.scalars(privacy.matching(scoped(Consent, tenant_id), Consent, who, HELD)
                                     .order_by(Consent.created_at))]
    audit.record("privacy.consents_exported", tenant_id=tenant_id, subject_type="data_subject",
                 detail={"consent_ids": [row["id"] for row in rows]})
    return rows


def _erase(*, tenant_id, who: Identifiers) -> int:
    """Blank the person's details (and any mention of them in what they agreed to); what was agreed, when and
    how stays, as the organisation must be able to show it."""
    found = list(session.scalars(privacy.matching(scoped(Consent, tenant_id), Consent, who, HELD)))
    if found:
        audit.record("privacy.consents_erased", tenant_id=tenant_id, subject_type="data_subject",
                     detail={"consent_ids": [str(c.id) for c in found]})
        for consent in found:
            names = (consent.subject_name,)

            def out(text):
                return privacy.redact(text, who, *names)

            session.execute(sa.update(Consent).where(Consent.id == consent.id).values({
                **dict.fromkeys(FIELDS), "description": out(consent.description),
                "collection_method": out(consent.collection_method), "withdrawal_method": out(consent.withdrawal_method),
                "reference": out(consent.reference), Consent.metadata_: {k: out(v) for k, v in (consent.metadata_ or {}).items()},
                "history": [{**step, "method": out(step.get("method")),
                             **({"terms": {**step["terms"], "description": out(step["terms"].get("description"))}}
                                if step.get("terms") else {})} for step in consent.history]})
                .execution_options(synchronize_session="fetch"))
    return len(found)


def _rectify(*, tenant_id, who: Identifiers, to: Identifiers) -> int:
    return privacy.rectify_rows(session, scoped(Consent, tenant_id), Consent, who, to, HELD, tenant_id=tenant_id,
                                component="privacy", type="consent", name_field="subject_name")


ENTRY = PersonalData(component="privacy", model=Consent, fields=FIELDS,
                     purpose="To show what each person agreed to, when and how, and to stop what they withdrew.",
                     search=_search, export=_export, erase=_erase, rectify=_rectify, lawful_basis="legal_obligation",
                     categories_of_people=("people who gave or withdrew consent",),
                     categories_of_data=("name", "email address", "phone number", "NHS number",
                                         "what they consented to, when and how"))


CONSENT_STATE = actions.Action(
    "privacy.consent_state", "What the consent register says of a person and a purpose: given, withdrawn, "
    "expired or none.", schemas.ConsentStateInSchema, schemas.ConsentStateSchema, consent_state,
    scope="privacy:read")
GIVE = actions.Action(
    "privacy.give_consent", "Record in the consent register that a person consented to a purpose (the same person, "
    "purpose and channel again updates their one record).", schemas.ConsentSchema, schemas.ConsentSchema, give,
    principal=True)
WITHDRAW = actions.Action(
    "privacy.withdraw_consent", "Record that a person withdrew their consent to a purpose, on every channel "
    "(messages for it stop).", schemas.WithdrawForSchema, schemas.WithdrawnSchema, withdraw_for, principal=True)
ACTIONS = (CONSENT_STATE, GIVE, WITHDRAW)
