"""The citizens' answers a composed service's submissions hold: declared to the core registry, searched,
exported and erased per person, in the caller's world.

The answers are kept encrypted, and only while a submission runs (its later steps use them); they are
cleared when it ends, so only submissions under way hold any. A search reads those (few: a submission
waits days at most) and compares every email address and phone number in the answers with the person's.
Erasing a submission's answers ends it: the steps done so far are undone, as for any failure."""
from civic.core import audit, contact, privacy
from civic.core.db import session
from civic.core.privacy import Identifiers, PersonalData
from civic.core.tenancy import scoped
from civic.flows import composed
from civic.flows.models import Submission

FIELDS = ("form_encrypted",)


def _texts(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _texts(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _texts(inner)


def _reasons(answers: dict, who: Identifiers) -> list[tuple[str, str]]:
    emails, phones = set(), set()
    for text in _texts(answers):
        for normalise, found in ((contact.email, emails), (contact.phone, phones)):
            try:
                found.add(normalise(text))
            except (contact.InvalidContact, ValueError):
                pass
    return [*([("email", "form")] if who.email and who.email in emails else []),
            *([("phone", "form")] if who.phone and who.phone in phones else [])]


def _matches(tenant_id, who: Identifiers) -> list[tuple[Submission, dict, list]]:
    found = []
    for submission in session.scalars(scoped(Submission, tenant_id).where(Submission.form_encrypted.is_not(None))
                                      .order_by(Submission.created_at)):
        answers = composed.answers(submission)
        reasons = _reasons(answers, who)
        if reasons:
            found.append((submission, answers, reasons))
    return found


def search(*, tenant_id, who: Identifiers) -> list[privacy.Match]:
    return [privacy.Match(component="flows", type="submission", id=str(s.id), reasons=tuple(reasons))
            for s, _, reasons in _matches(tenant_id, who)]


def export(*, tenant_id, who: Identifiers) -> list[dict]:
    rows = [{"type": "submission", "id": str(s.id), "service": s.slug, "status": s.status, "answers": answers,
             "created_at": s.created_at.isoformat()} for s, answers, _ in _matches(tenant_id, who)]
    audit.record("flows.personal_data_exported", tenant_id=tenant_id, subject_type="data_subject",
                 detail={"submission_ids": [row["id"] for row in rows]})
    return rows


def erase(*, tenant_id, who: Identifiers) -> int:
    """End each submission under way that holds the person's answers (its steps so far undone), clearing them."""
    found = _matches(tenant_id, who)
    if found:
        audit.record("flows.personal_data_erased", tenant_id=tenant_id, subject_type="data_subject",
                     detail={"submission_ids": [str(s.id) for s, _, _ in found]})
        for submission, _, _ in found:
            composed.end_for_erasure(submission)
    return len(found)


ENTRY = PersonalData(component="flows", model=Submission, fields=FIELDS,
                     purpose="To carry out a service the person asked for (a booking, a payment, a case), "
                             "until it is done.",
                     search=search, export=export, erase=erase, lawful_basis="public_task",
                     categories_of_people=("people who use an organisation's online services",),
                     categories_of_data=("the answers they give on the service's form, such as their name and "
                                         "email address",))
