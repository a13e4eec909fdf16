"""Recipients' personal data: declared to the core registry, exported and erased per person, purged after retention.

A message's `recipient`, `address`, `personalisation` and `unsubscribe_url` are personal; its status,
template, reference, metadata and times are not, and stay after a purge or an erasure (so counts and
delivery records survive). Opt-outs hold only a hash of the address.
"""
import sqlalchemy as sa

from civic.core import audit, contact
from civic.core.db import session, utcnow
from civic.core.privacy import PersonalData
from civic.core.tenancy import Tenant, scoped, tenant_context
from civic.notify.models import Message, OptOut
from civic.notify import limiter, recipients

FIELDS = ("recipient", "address", "personalisation", "unsubscribe_url")
ERASED = dict.fromkeys(FIELDS)


def _matching(tenant_id, email: str | None, phone: str | None) -> sa.Select:
    who = []
    if email:
        who.append(Message.recipient == email.strip().lower())
    if phone:
        who.append(Message.recipient == contact.lookup_phone(phone))
    return scoped(Message, tenant_id).where(sa.or_(*who) if who else sa.false())


def _opt_outs(tenant_id, email: str | None, phone: str | None) -> list[OptOut]:
    keys = []
    if email:
        keys += recipients.opt_out_keys("email", email.strip().lower(), None)  # every form it may be kept under
    if phone:
        keys += recipients.opt_out_keys("sms", contact.lookup_phone(phone), None)
    return list(session.scalars(scoped(OptOut, tenant_id).where(OptOut.recipient_hash.in_(keys)))) if keys else []


def export(*, tenant_id, email: str | None = None, phone: str | None = None) -> list[dict]:
    """Every message kept for this person (in the caller's world), and their opt-outs."""
    rows = [{"type": "message", "id": str(m.id), "channel": m.channel, "template": m.template_name,
             "status": m.status, "to": m.recipient, "personalisation": m.personalisation,
             "created_at": m.created_at.isoformat()}
            for m in session.scalars(_matching(tenant_id, email, phone).order_by(Message.created_at))]
    rows += [{"type": "opt_out", "id": str(o.id), "channel": o.channel, "purpose": o.purpose,
              "created_at": o.created_at.isoformat()} for o in _opt_outs(tenant_id, email, phone)]
    audit.record("notify.personal_data_exported", tenant_id=tenant_id, subject_type="data_subject",
                 detail={"message_ids": [r["id"] for r in rows if r["type"] == "message"]})
    return rows


def erase(*, tenant_id, email: str | None = None, phone: str | None = None) -> int:
    """Blank the person's details on their messages (the delivery records stay). Opt-outs stay: erasing one
    would start sending to someone who asked us to stop."""
    ids = list(session.scalars(_matching(tenant_id, email, phone).with_only_columns(Message.id)))
    if ids:
        audit.record("notify.personal_data_erased", tenant_id=tenant_id, subject_type="data_subject",
                     detail={"message_ids": [str(i) for i in ids]})
        session.execute(sa.update(Message).where(Message.id.in_(ids))
                        .values({**ERASED, "purged_at": utcnow()}).execution_options(synchronize_session="fetch"))
    return len(ids)


def purge_tenant(*, tenant_id) -> int:
    """Erase the details of every message past its retention date (status and metadata stay)."""
    now = utcnow()
    result = session.execute(sa.update(Message).where(
        Message.tenant_id == tenant_id, Message.purge_after < now, Message.purged_at.is_(None))
        .values({**ERASED, "purged_at": now}).execution_options(synchronize_session=False))
    limiter.forget_expired(tenant_id=tenant_id)
    return result.rowcount or 0


def purge(payload: dict, job) -> None:
    """`notify.purge` (scheduled): every organisation's messages past retention lose their personal details."""
    for tenant_id in list(session.scalars(sa.select(Tenant.id))):
        with tenant_context(tenant_id):
            if purge_tenant(tenant_id=tenant_id):
                audit.record("notify.retention_purge", tenant_id=tenant_id, subject_type="notify_message")


ENTRY = PersonalData(component="notify", model=Message, fields=FIELDS,
                     purpose="To send the person the message the organisation wrote to them, and to show it was sent.",
                     export=export, erase=erase, retention_days=7)
