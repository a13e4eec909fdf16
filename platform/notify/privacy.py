"""Recipients' personal data: declared to the core registry, exported and erased per person, purged after retention.

A message's `recipient`, `address`, `personalisation` and `unsubscribe_url` are personal; its status,
template, reference, metadata and times are not, and stay after a purge or an erasure (so counts and
delivery records survive). Opt-outs hold only a keyed hash (HMAC) of the address.
"""
import sqlalchemy as sa

from civic.core import audit, privacy
from civic.core.db import session, utcnow
from civic.core.privacy import Identifiers, Match, PersonalData
from civic.core.tenancy import Tenant, scoped, tenant_context
from civic.notify.models import Message, OptOut
from civic.notify import limiter, recipients

FIELDS = ("recipient", "address", "personalisation", "unsubscribe_url")
ERASED = {**dict.fromkeys(FIELDS), "secret_encrypted": None}


HELD = {"email": "recipient", "phone": "recipient"}  # a message's recipient is an address or a number


def _matching(tenant_id, who: Identifiers) -> sa.Select:
    return privacy.matching(scoped(Message, tenant_id), Message, who, HELD)


def _opt_out_keys(who: Identifiers) -> list[tuple[str, str]]:
    """(identifier, an opt-out's recipient hash) for the person's email and phone, in every form an opt-out
    may be kept under (`recipients.opt_out_keys`: the HMAC under each encryption key, the old SHA-256)."""
    return [("email", key) for key in (recipients.opt_out_keys("email", who.email, None) if who.email else [])] + \
        [("phone", key) for key in (recipients.opt_out_keys("sms", who.phone, None) if who.phone else [])]


def _opt_outs(tenant_id, who: Identifiers) -> list[tuple[str, OptOut]]:
    keys = dict((key, identifier) for identifier, key in _opt_out_keys(who))
    if not keys:
        return []
    found = session.scalars(scoped(OptOut, tenant_id).where(OptOut.recipient_hash.in_(keys)).order_by(OptOut.created_at))
    return [(keys[o.recipient_hash], o) for o in found]


def search(*, tenant_id, who: Identifiers) -> list[Match]:
    """The messages sent to the person's address or number, and their opt-outs (matched by hash)."""
    found = privacy.search_rows(session, scoped(Message, tenant_id), Message, who, HELD, component="notify",
                                type="message")
    return found + [Match(component="notify", type="opt_out", id=str(o.id), reasons=((identifier, "recipient_hash"),))
                    for identifier, o in _opt_outs(tenant_id, who)]


def export(*, tenant_id, who: Identifiers) -> list[dict]:
    """Every message kept for this person (in the caller's world), and their opt-outs."""
    rows = [{"type": "message", "id": str(m.id), "channel": m.channel, "template": m.template_name,
             "status": m.status, "to": m.recipient, "personalisation": m.personalisation,
             "created_at": m.created_at.isoformat()}
            for m in session.scalars(_matching(tenant_id, who).order_by(Message.created_at))]
    rows += [{"type": "opt_out", "id": str(o.id), "channel": o.channel, "purpose": o.purpose,
              "created_at": o.created_at.isoformat()} for _, o in _opt_outs(tenant_id, who)]
    audit.record("notify.personal_data_exported", tenant_id=tenant_id, subject_type="data_subject",
                 detail={"message_ids": [r["id"] for r in rows if r["type"] == "message"]})
    return rows


def erase(*, tenant_id, who: Identifiers) -> int:
    """Blank the person's details on their messages (the delivery records stay). Opt-outs stay: erasing one
    would start sending to someone who asked us to stop."""
    ids = list(session.scalars(_matching(tenant_id, who).with_only_columns(Message.id)))
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


def rectify(*, tenant_id, who: Identifiers, to: Identifiers) -> int:
    """A message records where it was sent: an address it went to is history, not an identifier to correct."""
    return 0


def expire(*, tenant_id, before, dry_run: bool) -> list[str]:
    """Blank the details of every message (both worlds) made before `before` and not yet purged, as
    `purge_tenant` does at a message's own `purge_after`: whichever comes first clears it. A message still on
    its way (queued, or sending and not past its own `purge_after`) keeps its recipient until it is done."""
    from civic.notify.delivery import FINAL

    done = sa.or_(Message.status.in_(FINAL), Message.purge_after < utcnow())
    ids = list(session.scalars(sa.select(Message.id).where(
        Message.tenant_id == tenant_id, Message.created_at < before, Message.purged_at.is_(None), done)
        .execution_options(civic_tenant=tenant_id).order_by(Message.created_at, Message.id)))
    if ids and not dry_run:
        session.execute(sa.update(Message).where(Message.id.in_(ids))
                        .values({**ERASED, "purged_at": utcnow()}).execution_options(synchronize_session="fetch"))
    return [str(i) for i in ids]


ENTRY = PersonalData(component="notify", model=Message, fields=FIELDS,
                     purpose="To send the person the message the organisation wrote to them, and to show it was sent.",
                     search=search, export=export, erase=erase, retention_days=7,
                     rectify=rectify,
                     expire=expire, clock="the message being sent", lawful_basis="public_task",
                     categories_of_people=("people the organisation sends emails, text messages or letters to",),
                     categories_of_data=("email address", "phone number", "postal address",
                                         "the words of the message written for the person"))
