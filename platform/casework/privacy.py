"""The subjects' personal data on cases: declared to the core registry, searched, exported, corrected and erased
per person (by email, phone, NHS number, name with date of birth, or postcode).

An erasure blanks the subject's fields on their cases and the copy each referral of those cases carries
(`shared`: the subject and any shareable notes), the words of its notes and its files' names (a file's
bytes stay in the storage, by content hash), and tells who received them (`shared_with`: the partner
organisations, by id). An open case holds the erasure back: the organisation is still working with the
person; close the case (or move it to a final state) first."""
import sqlalchemy as sa

from civic.casework.models import Agreement, Attachment, Case, Note, Referral
from civic.core import audit, jobs, privacy
from civic.core.db import session, utcnow
from civic.core.privacy import Identifiers, PersonalData
from civic.core.tenancy import Tenant, place_wide, scoped

FIELDS = ("subject_name", "subject_email", "subject_phone", "subject_postcode", "subject_date_of_birth",
          "subject_nhs_number", "consent_recorded_at")


ERASED_TEXT = "(erased)"
FORGET_FILES = "casework.forget_files"


def forget_files(payload: dict, job) -> None:
    """`casework.forget_files`: delete stored bytes that no attachment of any organisation uses any more."""
    from civic.casework import storage

    with place_wide("casework.files"):
        used = set(session.scalars(sa.select(Attachment.sha256).where(Attachment.sha256.in_(payload["keys"]))))
    for key in payload["keys"]:
        if key not in used:
            storage.storage().delete(key)
HELD = {"email": "subject_email", "phone": "subject_phone", "nhs_number": "subject_nhs_number",
        "name_and_date_of_birth": ("subject_name", "subject_date_of_birth"), "postcode": "subject_postcode"}


def _matching(tenant_id, who: Identifiers) -> sa.Select:
    return privacy.matching(scoped(Case, tenant_id), Case, who, HELD)


def search(*, tenant_id, who: Identifiers) -> list[privacy.Match]:
    """The cases about the person, with which identifier matched which subject field."""
    return privacy.search_rows(session, scoped(Case, tenant_id), Case, who, HELD, component="casework", type="case")


def export(*, tenant_id, who: Identifiers) -> list[dict]:
    """Every case about this person; the audit log keeps which cases went out (ids only)."""
    rows = [{"type": "case", "id": str(c.id), "title": c.title, "state": c.state, "reference": c.reference,
             "subject": {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in c.subject.items()},
             "created_at": c.created_at.isoformat()}
            for c in session.scalars(_matching(tenant_id, who).order_by(Case.created_at))]
    audit.record("casework.personal_data_exported", tenant_id=tenant_id, subject_type="data_subject",
                 detail={"case_ids": [row["id"] for row in rows]})
    return rows


def erase(*, tenant_id, who: Identifiers) -> int:
    """Blank the person's details on their cases (the cases and their timelines stay, without them)."""
    # Closed cases only: the hold check refused an open one, and a case opened since is left alone.
    ids = list(session.scalars(_matching(tenant_id, who).where(Case.open.is_(False)).with_only_columns(Case.id)))
    if ids:
        audit.record("casework.personal_data_erased", tenant_id=tenant_id, subject_type="data_subject",
                     detail={"case_ids": [str(i) for i in ids]})
        # The case type's own fields (`fields`) are answers about the person too.
        session.execute(sa.update(Case).where(Case.id.in_(ids)).values({**dict.fromkeys(FIELDS), "fields": {}})
                        .execution_options(synchronize_session="fetch"))
        session.execute(sa.update(Referral).where(Referral.tenant_id == tenant_id, Referral.case_id.in_(ids))
                        .values(shared={}).execution_options(synchronize_session="fetch"))
        # A note or a file name on the person's case is about them: its words go too (who wrote it, when, stay).
        # A file on the person's case is about them: the row forgets its bytes at once (the download is a 404) and
        # a job deletes the stored bytes after commit, unless another attachment still uses them.
        files = sorted(set(session.scalars(sa.select(Attachment.sha256).where(
            Attachment.tenant_id == tenant_id, Attachment.case_id.in_(ids), Attachment.sha256 != ""))))
        for model, values in ((Note, {"body": ERASED_TEXT}), (Attachment, {"filename": ERASED_TEXT, "sha256": ""})):
            session.execute(sa.update(model).where(model.tenant_id == tenant_id, model.case_id.in_(ids))
                            .values(values).execution_options(synchronize_session="fetch"))
        if files:
            jobs.enqueue(FORGET_FILES, {"keys": files}, tenant_id=tenant_id)
    return len(ids)


def rectify(*, tenant_id, who: Identifiers, to: Identifiers) -> int:
    """Correct the subject's email, phone, NHS number, or name with date of birth on their cases."""
    return privacy.rectify_rows(session, scoped(Case, tenant_id), Case, who, to, HELD,
                                tenant_id=tenant_id, component="casework", type="case")


def holds(*, tenant_id, who: Identifiers) -> list[str]:
    """An open case about the person: the organisation still works with them, so nothing is erased."""
    open_ids = session.scalars(_matching(tenant_id, who).where(Case.open.is_(True)).with_only_columns(Case.id)
                               .order_by(Case.created_at))
    return [f"case {case_id} is open: close it before erasing" for case_id in open_ids]


def shared_with(*, tenant_id, who: Identifiers) -> list[dict]:
    """The organisations the person's cases were referred to (ids only), so they can be told of an erasure."""
    query = (scoped(Referral, tenant_id).where(Referral.case_id.in_(_matching(tenant_id, who).with_only_columns(Case.id)))
             .order_by(Referral.created_at))
    return [{"tenant_id": str(r.to_tenant_id), "referral_id": str(r.id)} for r in session.scalars(query)]


def shared(*, tenant_id) -> list[dict]:
    """The live data-sharing agreements in force that this organisation is a party to (as proposer or partner),
    with the other party's name: what a transparency notice names as the recipients of case data. In force
    means active and within its dates, as a referral checks it."""
    today = utcnow().date()
    with place_wide("casework.agreements"):
        rows = session.execute(
            sa.select(Agreement, Tenant.name, Tenant.id).join(Tenant, Tenant.id == sa.case(
                (Agreement.tenant_id == tenant_id, Agreement.partner_tenant_id), else_=Agreement.tenant_id))
            .where(sa.or_(Agreement.tenant_id == tenant_id, Agreement.partner_tenant_id == tenant_id),
                   Agreement.status == "active", Agreement.sandbox.is_(False),
                   Agreement.starts_on <= today, Agreement.ends_on >= today)
            .order_by(Agreement.starts_on, Agreement.id)).all()
    return [{"title": a.title, "with": name, "purpose": a.purpose, "lawful_basis": a.lawful_basis,
             "fields": list(a.shared_fields), "retention_days": a.retention_days, "starts_on": a.starts_on.isoformat(),
             "ends_on": a.ends_on.isoformat(), "rights_contact": a.rights_contact} for a, name, _ in rows]


ENTRY = PersonalData(component="casework", model=Case, fields=FIELDS,
                     purpose="To work with the person on their case and, under an agreement, refer them on.",
                     search=search, export=export, erase=erase, retention_days=2190, lawful_basis="public_task",
                     categories_of_people=("people the organisation supports through a case",),
                     categories_of_data=("name", "email address", "phone number", "postcode", "date of birth",
                                         "NHS number", "when consent was recorded",
                                         "notes about the person's circumstances (may include health)"),
                     shared=shared,
                     rectify=rectify, holds=holds, shared_with=shared_with)
