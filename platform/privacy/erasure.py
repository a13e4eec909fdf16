"""Erasure and rectification of one person's data: keyword-only, tenant explicit, flush, never commit.

Who may: as for subject access requests (`service.require_handler`): a signed-in person needs the
tenant_admin role; an app acts through `privacy:write`.

An erasure goes through every component that registered personal data (enabled for the organisation or
not: a component switched off still holds its rows), after asking each whether it must keep the data now
(`holds`): any reason refuses the whole erasure, nothing erased. What it keeps (bookings, payments'
amounts, cases, delivery records, audit entries) names the person only by the pseudonymous subject id, an
HMAC of the normalised identifiers under a key derived for this purpose. The identifiers themselves are
kept encrypted on the erasure record so that `reapply_all` can erase again after a backup is restored.
"""
import dataclasses
import hashlib
import hmac
import json
import uuid

import sqlalchemy as sa
from flask import current_app

from civic.core import audit, crypto, events, privacy
from civic.core.db import session, utcnow
from civic.core.pagination import paginate
from civic.core.privacy import PERSONAL, Identifiers
from civic.core.tenancy import get_scoped, in_world, scoped, tenant_context
from civic.privacy import problems
from civic.privacy.events import SUBJECT_ERASED
from civic.privacy.models import Erasure
from civic.privacy.service import require_handler

SUBJECT_SUBKEY = "privacy.subject"
CORRECTABLE = ("email", "phone", "nhs_number", "name", "date_of_birth", "postcode")


def subject_key(who: Identifiers, tenant_id: uuid.UUID) -> str:
    """The pseudonymous subject id: the same person, named by the same identifiers, gets the same id within one
    organisation, and another id in another (so the ids cannot link a person across organisations)."""
    value = json.dumps({**{k: v for k, v in who.as_dict().items() if v is not None}, "tenant": str(tenant_id)},
                       sort_keys=True).encode()
    return hmac.new(crypto.subkeys(SUBJECT_SUBKEY)[0], value, hashlib.sha256).hexdigest()


def _person(subject: dict, what: str = "subject") -> Identifiers:
    """Identifiers that name one person (a postcode names an address, so it alone erases nothing)."""
    who = Identifiers.of(**subject)
    if not any(name in PERSONAL for name in who.given):
        raise problems.NO_IDENTIFIER("Name the person by email, phone, NHS number, or name and date of birth.",
                                     errors={what: ["No identifier that names one person."]})
    return who


def _emit(erasure: Erasure, shared: list[dict]) -> None:
    data = {"erasure_id": str(erasure.id), "erasing_tenant_id": str(erasure.tenant_id),
            "subject_key": erasure.subject_key, "counts": erasure.counts, "sandbox": erasure.sandbox}
    events.emit(SUBJECT_ERASED.type, tenant_id=erasure.tenant_id, subject=str(erasure.id),
                data={**data, "referrals": shared})
    for receiver in dict.fromkeys(row["tenant_id"] for row in shared):
        # A receiver learns which of its referrals to act on, not what else the erasing organisation held.
        events.emit(SUBJECT_ERASED.type, tenant_id=uuid.UUID(receiver), subject=str(erasure.id),
                    data={**data, "counts": {}, "referrals": [row for row in shared if row["tenant_id"] == receiver]})


def create_erasure(*, tenant_id: uuid.UUID, principal, subject: dict, reason: str,
                   reference: str | None = None, metadata_: dict | None = None) -> Erasure:
    """Erase the person everywhere, or refuse with every reason a component must keep their data."""
    require_handler(principal)
    who = _person(subject)
    held = privacy.holds_subject(current_app, tenant_id=tenant_id, who=who)
    if held:
        raise problems.ERASURE_HELD("Nothing was erased: " + "; ".join(
            f"{component}: {why}" for component, reasons in held.items() for why in reasons) + ".",
            reasons=[{"component": c, "reason": why} for c, reasons in held.items() for why in reasons])
    shared = privacy.shared_subject(current_app, tenant_id=tenant_id, who=who)
    counts = privacy.erase_counts(current_app, tenant_id=tenant_id, who=who)
    erasure = Erasure(id=uuid.uuid4(), tenant_id=tenant_id, subject_key=subject_key(who, tenant_id), reason=reason,
                      counts=counts, referred_to=sorted({row["tenant_id"] for row in shared}),
                      requested_by=principal.user_id, client_id=principal.client_id, applied_count=1,
                      reference=reference, metadata_=metadata_ or {})
    erasure.subject = who
    session.add(erasure)
    session.flush()
    audit.record("privacy.subject_erased", tenant_id=tenant_id, subject_type="data_subject",
                 subject_id=erasure.subject_key, detail={"erasure_id": str(erasure.id), "counts": counts,
                                                         "referred_to": erasure.referred_to})
    _emit(erasure, shared)
    return erasure


def get_erasure(*, tenant_id: uuid.UUID, principal, erasure_id) -> Erasure:
    require_handler(principal)
    return get_scoped(Erasure, tenant_id, erasure_id, what="erasure")


def list_erasures(*, tenant_id: uuid.UUID, principal, limit: int = 20, after: str | None = None) -> dict:
    require_handler(principal)
    return paginate(scoped(Erasure, tenant_id), Erasure, limit=limit, after=after)


def _refuse_a_merge(tenant_id: uuid.UUID, who: Identifiers, new: Identifiers) -> None:
    """A corrected email, phone or NHS number that another person's records hold would merge the two."""
    theirs = Identifiers(email=new.email, phone=new.phone, nhs_number=new.nhs_number)
    if not theirs.given:
        return
    ours = {(m.component, m.id) for m in privacy.search_subject(current_app, tenant_id=tenant_id, who=who)}
    others = [m for m in privacy.search_subject(current_app, tenant_id=tenant_id, who=theirs)
              if (m.component, m.id) not in ours]
    if others:
        raise problems.RECTIFICATION_CONFLICT(
            f"{len(others)} record(s) of someone else already hold the corrected details; nothing was changed.")


def rectify(*, tenant_id: uuid.UUID, principal, subject: dict, to: dict) -> dict:
    """Correct the person's identifiers everywhere they are held; the audit keeps field names, never values."""
    require_handler(principal)
    who = _person(subject)
    new = Identifiers.of(**to)
    given = [name for name in CORRECTABLE if to.get(name)]
    if not given:
        raise problems.NO_IDENTIFIER("Send at least one corrected identifier.", errors={"to": ["Nothing to change to."]})
    if to.get("name"):  # compared folded, written as given (spaces tidied)
        new = dataclasses.replace(new, name=" ".join(to["name"].split()))
    _refuse_a_merge(tenant_id, who, new)
    counts = privacy.rectify_subject(current_app, tenant_id=tenant_id, who=who, to=new)
    key = subject_key(who, tenant_id)
    audit.record("privacy.subject_rectified", tenant_id=tenant_id, subject_type="data_subject", subject_id=key,
                 detail={"identifiers": list(who.given), "changed": given, "counts": counts})
    return {"subject_key": key, "changed": given, "counts": counts}


def reapply_all() -> list[dict]:
    """Apply every recorded erasure again (after a backup is restored): each in its organisation and world;
    an erasure already in force changes nothing. Returns what each changed."""
    done = []
    for erasure in list(session.scalars(sa.select(Erasure).order_by(Erasure.created_at, Erasure.id))):
        with tenant_context(erasure.tenant_id), in_world(erasure.sandbox), privacy.made_before(erasure.created_at):
            counts = privacy.erase_counts(current_app, tenant_id=erasure.tenant_id, who=erasure.subject)
            erasure.applied_count += 1
            erasure.reapplied_at = erasure.updated_at = utcnow()
            audit.record("privacy.erasure_reapplied", tenant_id=erasure.tenant_id, subject_type="data_subject",
                         subject_id=erasure.subject_key, detail={"erasure_id": str(erasure.id), "counts": counts})
        done.append({"erasure_id": str(erasure.id), "tenant_id": str(erasure.tenant_id), "counts": counts})
    session.flush()
    return done
