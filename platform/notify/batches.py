"""Bulk sends: one template to up to 50,000 recipients, checked whole before anything is queued.

Every bad row is reported with its row number (1 = the first recipient) and nothing is queued; with
`validate_only` nothing is queued either way. A good batch writes its messages and their send jobs in
bulk, in the same transaction, so they go through the same queue, budget and retries as single messages.
Pause keeps the queued messages waiting, resume queues them again, cancel ends them `cancelled`.
"""
import csv as csv_format
import io
import re
import uuid

import sqlalchemy as sa
from flask import current_app

from civic.core import audit
from civic.core.db import session, utcnow
from civic.core.jobs import Job
from civic.core.pagination import paginate
from civic.core.tenancy import current_world_is_sandbox, get_scoped, scoped
from civic.notify import problems, recipients, service
from civic.notify.models import Batch, Message

MAX_REPORTED = 1000
CSV_COLUMNS = {"email address": "email_address", "email_address": "email_address",
               "phone number": "phone_number", "phone_number": "phone_number"}


def rows_from_csv(text: str) -> list[dict]:
    """Notify's spreadsheet layout: `email address` / `phone number` / `address line 1..7` columns, then one
    column per personalisation field."""
    try:
        return _csv_rows(csv_format.DictReader(io.StringIO(text)))
    except csv_format.Error as error:  # a field beyond the csv module's limit, a NUL byte: the upload, not us
        raise problems.BAD_BATCH(f"The CSV cannot be read: {error}.",
                                 errors={"csv": ["Not a CSV file that can be read."]}) from None


def _csv_rows(reader) -> list[dict]:
    rows = []
    for raw in reader:
        item: dict = {"personalisation": {}}
        lines = {}
        for column, value in raw.items():
            if column is None:
                continue
            name = column.strip().lower()
            value = (value or "").strip()
            if name in CSV_COLUMNS:
                item[CSV_COLUMNS[name]] = value
            elif re.fullmatch(r"address line \d{0,2}", name.replace("_", " ")):
                lines[int(name.replace("_", " ").rsplit(" ", 1)[1] or 0)] = value
            elif name:
                item["personalisation"][column.strip()] = value
        if lines:
            item["address"] = [lines[n] for n in sorted(lines) if lines[n]]
        rows.append(item)
    return rows


def create_batch(*, tenant_id: uuid.UUID, template: str, recipients: list[dict] | None = None, csv: str | None = None,
                 validate_only: bool = False, purpose: str = "service", essential: bool = False,
                 postage: str | None = None, reference=None, metadata_=None) -> dict:
    """Check every row; unless `validate_only`, queue them all. Returns the batch (or the check's summary)."""
    recipients_ = recipients if recipients is not None else rows_from_csv(csv or "")
    config = service.current_config(tenant_id=tenant_id)
    found = service.find_template(tenant_id=tenant_id, template=template)
    limit = current_app.config["NOTIFY_BATCH_MAX"]
    if not recipients_ or len(recipients_) > limit:
        raise problems.BAD_BATCH(f"A batch has 1 to {limit} recipients.", errors={"recipients": [f"1 to {limit}."]})
    sandbox = current_world_is_sandbox()
    batch_id = uuid.uuid4()
    messages, errors = [], {}
    for number, item in enumerate(recipients_, start=1):
        message, row_errors = service.build_message(
            tenant_id=tenant_id, config=config, template=found, item=item if isinstance(item, dict) else {},
            purpose=purpose, essential=essential, postage=postage, batch_id=batch_id, row_number=number,
            sandbox=sandbox)
        if row_errors:
            if len(errors) < MAX_REPORTED:
                errors[str(number)] = row_errors
            else:
                errors.setdefault("more", 0)
                errors["more"] += 1
        else:
            messages.append(message)
    if errors:
        raise problems.BAD_BATCH(f"{len(recipients_) - len(messages)} of {len(recipients_)} rows cannot be sent; "
                                 "nothing was queued.", errors=errors)
    if validate_only:
        return {"validate_only": True, "total": len(messages), "valid": len(messages), "template": found.name}
    batch = Batch(id=batch_id, tenant_id=tenant_id, sandbox=sandbox, template_name=found.name, channel=found.channel,
                  status="running", total=len(messages), purpose=purpose, essential=essential, reference=reference,
                  metadata_=metadata_ or {})
    session.add(batch)
    session.flush()
    _insert(tenant_id, found.channel, purpose, essential, messages)
    audit.record("notify.batch_created", tenant_id=tenant_id, subject_type="notify_batch", subject_id=batch.id,
                 detail={"total": batch.total})
    return summary(batch)


def _insert(tenant_id, channel, purpose, essential, messages: list[Message]) -> None:
    opted = set()
    if not essential:
        forms = [recipients.opt_out_keys(channel, m.recipient, m.address) for m in messages]
        opted = service.opted_out(tenant_id=tenant_id, channel=channel, purpose=purpose,
                                  keys={f[0]: f for f in forms})
        for message, key in zip(messages, (f[0] for f in forms)):
            if key in opted:
                message.status = "opted_out"
    rows = [{c.key: getattr(m, c.key) for c in sa.inspect(Message).column_attrs} for m in messages]
    now = utcnow()
    for row in rows:
        row.update(created_at=now, updated_at=now)
    session.execute(sa.insert(Message), rows)
    _queue(tenant_id, [m.id for m in messages if m.status == "queued"], messages[0].sandbox if messages else False,
           messages[0].batch_id if messages else None)


def _queue(tenant_id, message_ids: list, sandbox: bool, batch_id: uuid.UUID) -> None:
    """Send jobs for these messages, written in bulk (the outbox's own table, one row per message). The job
    names the batch, so that the send locks the batch before the message, in the order a cancel does."""
    now = utcnow()
    max_attempts = current_app.config["JOB_MAX_ATTEMPTS"]
    rows = [{"id": uuid.uuid4(), "name": service.SEND_JOB, "tenant_id": tenant_id, "status": "pending", "attempts": 0,
             "max_attempts": max_attempts, "run_at": now, "created_at": now, "updated_at": now,
             "payload": {"message_id": str(mid), "sandbox": sandbox, "batch_id": str(batch_id)}} for mid in message_ids]
    for start in range(0, len(rows), 5000):
        session.execute(sa.insert(Job), rows[start:start + 5000])


def counts(batch: Batch) -> dict:
    found = session.execute(sa.select(Message.status, sa.func.count()).where(
        Message.tenant_id == batch.tenant_id, Message.batch_id == batch.id).group_by(Message.status))
    return {status: number for status, number in found}


def summary(batch: Batch) -> dict:
    by_status = counts(batch)
    status = batch.status
    if status == "running" and not by_status.get("queued"):
        status = "done"
    return {"id": batch.id, "template": batch.template_name, "channel": batch.channel, "status": status,
            "total": batch.total, "counts": by_status, "purpose": batch.purpose, "essential": batch.essential,
            "reference": batch.reference, "metadata_": batch.metadata_, "created_at": batch.created_at,
            "updated_at": batch.updated_at}


def get_batch(*, tenant_id: uuid.UUID, batch_id) -> dict:
    return summary(get_scoped(Batch, tenant_id, batch_id, what="batch"))


def list_batches(*, tenant_id: uuid.UUID, limit: int = 20, after: str | None = None) -> dict:
    page = paginate(scoped(Batch, tenant_id), Batch, limit=limit, after=after)
    return {"items": [summary(b) for b in page["items"]], "next": page["next"]}


def change_batch(*, tenant_id: uuid.UUID, batch_id, action: str) -> dict:
    """`pause`, `resume` or `cancel` a batch (locked, so two changes at once end as one after the other)."""
    batch = get_scoped(Batch, tenant_id, batch_id, what="batch", lock=True)
    allowed = {"pause": ("running",), "resume": ("paused",), "cancel": ("running", "paused")}[action]
    if batch.status not in allowed or (action != "resume" and not counts(batch).get("queued")):
        raise problems.NOT_CANCELLABLE(f"A {summary(batch)['status']} batch cannot be {action}d.")
    if action == "pause":
        batch.status = "paused"
    elif action == "resume":
        batch.status = "running"
        waiting = list(session.scalars(sa.select(Message.id).where(
            Message.tenant_id == tenant_id, Message.batch_id == batch.id, Message.status == "queued")))
        _queue(tenant_id, waiting, batch.sandbox, batch.id)
    else:
        batch.status = "cancelled"
        session.execute(sa.update(Message).where(Message.tenant_id == tenant_id, Message.batch_id == batch.id,
                                                 Message.status == "queued")
                        .values(status="cancelled", completed_at=utcnow(), reason="The batch was cancelled.")
                        .execution_options(synchronize_session=False))
    session.flush()
    audit.record(f"notify.batch_{action}", tenant_id=tenant_id, subject_type="notify_batch", subject_id=batch.id)
    return summary(batch)
