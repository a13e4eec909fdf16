"""Payers' email addresses: declared to the core registry, searched, exported and erased per person, in the
caller's world. A payment holds only an email address: no other identifier matches.

Nothing holds an erasure back: a payment must be kept for the accounts (six years in the UK), and it
is, amount, description and state, without the email address (so a receipt can no longer be sent)."""
import sqlalchemy as sa

from civic.core import audit, privacy
from civic.core.db import session
from civic.core.privacy import Identifiers, PersonalData
from civic.core.tenancy import scoped
from civic.payments.models import Payment

FIELDS = ("email",)
HELD = {"email": "email"}


def _matching(tenant_id, who: Identifiers) -> sa.Select:
    return privacy.matching(scoped(Payment, tenant_id), Payment, who, HELD)


def search(*, tenant_id, who: Identifiers) -> list[privacy.Match]:
    """The payments made with the person's email address."""
    return privacy.search_rows(session, scoped(Payment, tenant_id), Payment, who, HELD, component="payments",
                               type="payment")


def export(*, tenant_id, who: Identifiers) -> list[dict]:
    """Every payment made with this email address; the audit log keeps which payments went out."""
    rows = [{"type": "payment", "id": str(p.id), "amount": p.amount, "description": p.description,
             "reference": p.reference, "state": p.state, "email": p.email, "created_at": p.created_at.isoformat()}
            for p in session.scalars(_matching(tenant_id, who).order_by(Payment.created_at))]
    audit.record("payments.personal_data_exported", tenant_id=tenant_id, subject_type="data_subject",
                 detail={"payment_ids": [row["id"] for row in rows]})
    return rows


def erase(*, tenant_id, who: Identifiers) -> int:
    """Blank the email address on the person's payments and take their mentions out of its description (the
    payments stay: they are the accounts)."""
    ids = list(session.scalars(_matching(tenant_id, who).with_only_columns(Payment.id)))
    if ids:
        audit.record("payments.personal_data_erased", tenant_id=tenant_id, subject_type="data_subject",
                     detail={"payment_ids": [str(i) for i in ids]})
        for payment in session.scalars(sa.select(Payment).where(Payment.id.in_(ids))
                                      .execution_options(civic_tenant=tenant_id)):
            payment.description = privacy.redact(payment.description, who)
            payment.email = None
        session.flush()
    return len(ids)


def rectify(*, tenant_id, who: Identifiers, to: Identifiers) -> int:
    """Correct the email address on the person's payments."""
    return privacy.rectify_rows(session, scoped(Payment, tenant_id), Payment, who, to, HELD,
                                tenant_id=tenant_id, component="payments", type="payment")

ENTRY = PersonalData(component="payments", model=Payment, fields=FIELDS,
                     purpose="To send the payer a receipt and to find their payment if they ask about it.",
                     search=search, export=export, erase=erase, retention_days=2190, lawful_basis="legal_obligation",
                     categories_of_people=("people who pay the organisation",),
                     categories_of_data=("email address",),
                     rectify=rectify)
