"""Sending to Notify and following each message's status, reliably.

The send job (`notify.send`) locks its message, and sends only a message still `queued`. Notify has no
idempotency key, so the reference we send is the platform's message id (unique), and any attempt after the
first (a timeout, a 5xx, a worker killed mid-send whose lease ran out) first asks Notify for that reference
and adopts what it finds instead of sending again. 429, 5xx and timeouts retry with the outbox's backoff;
400 and 403 end the message `failed` with Notify's reason. Over the organisation's budget, the job is
queued again for the next window: bulk sends slow down instead of failing.

Statuses are Notify's own words. A final status is never replaced, and a status only moves forward, so
duplicate and out-of-order callbacks and polls change nothing.
"""
import datetime as dt
import json
import logging
import uuid

import sqlalchemy as sa
from flask import current_app, g
from notifications_python_client.errors import APIError

from civic.core import crypto, jobs
from civic.core.db import session, utcnow
from civic.core.tenancy import Tenant, in_world, tenant_context
from civic.notify import events, limiter, notify_api
from civic.notify.models import Batch, Config, Message

log = logging.getLogger("civic.notify")
SEND_JOB = "notify.send"
FINAL = {"delivered", "permanent-failure", "temporary-failure", "technical-failure", "received", "cancelled",
         "validation-failed", "failed", "opted_out"}
RANK = {"queued": 0, "created": 1, "accepted": 1, "sending": 2, "pending": 3, "sent": 4}
DELIVERED = {"delivered", "received"}
FAILED = {"permanent-failure", "temporary-failure", "technical-failure", "validation-failed", "failed", "cancelled"}
POLL_BATCH = 500
NOTIFY_KEEPS = dt.timedelta(days=7)  # Notify's own retention: older messages cannot be looked up


class RetryLater(Exception):
    """Notify could not take the message now (429, 5xx, a timeout): the outbox retries with backoff."""


def _event_for(status: str):
    if status in DELIVERED:
        return events.DELIVERED
    if status in FAILED:
        return events.FAILED
    if status == "opted_out":
        return events.OPTED_OUT
    if status in ("created", "accepted"):
        return events.ACCEPTED
    return events.STATUS_CHANGED


def apply_status(message: Message, status: str, *, reason: str | None = None, notify_id: str | None = None) -> bool:
    """Move the message to `status` if that is a step forward; emit its event. False when it changes nothing."""
    if notify_id and not message.notify_id:
        message.notify_id = notify_id
    if message.status in FINAL or (status not in FINAL and RANK.get(status, 0) <= RANK.get(message.status, 0)):
        return False
    previous, message.status = message.status, status
    message.secret_encrypted = None  # Notify has it (or it will never be sent): the secret goes
    if status in ("created", "accepted") or (previous == "queued" and message.notify_id):
        message.accepted_at = message.accepted_at or utcnow()
    if status in FINAL:
        message.completed_at = utcnow()
    if reason:
        message.reason = reason[:2000]
    session.flush()
    _event_for(status).emit(tenant_id=message.tenant_id, subject=str(message.id),
                            data=events.message_data(message, previous))
    return True


def _config(tenant_id: uuid.UUID, sandbox: bool) -> Config | None:
    prepared = _prepared(tenant_id)
    if prepared is not None:
        return prepared["configs"].get((tenant_id, sandbox))
    return session.scalars(sa.select(Config).where(Config.tenant_id == tenant_id, Config.sandbox == sandbox)).first()


# --- a worker's batch of sends, read together ------------------------------------------------
PREPARED = "civic_notify_prepared"


def prepare(claimed: list) -> None:
    """Before a worker's claimed sends run: lock their batches (shared), then their messages, and read each
    organisation's Notify settings: a few statements for the whole claim instead of three per message.

    Every batch is locked before any message (each in id order), the order a cancel takes them in, so a
    send and a cancel still end one after the other. The locks last to the claim's commit, as the sends'
    own did. The settings are read once per claim (seconds): a key changed meanwhile is used from the
    next claim on, as a key changed during one send would have been."""
    by_tenant: dict = {}
    for job in claimed:
        if job.tenant_id is not None and job.payload.get("message_id"):
            by_tenant.setdefault(job.tenant_id, []).append(job)
    batches, messages, configs = {}, {}, {}
    for tenant_id, mine in by_tenant.items():
        batch_ids = sorted({uuid.UUID(job.payload["batch_id"]) for job in mine if job.payload.get("batch_id")})
        if batch_ids:
            with tenant_context(tenant_id):
                batches.update((b.id, b) for b in session.scalars(sa.select(Batch).where(
                    Batch.tenant_id == tenant_id, Batch.id.in_(batch_ids)).order_by(Batch.id)
                    .with_for_update(read=True, of=Batch).execution_options(populate_existing=True)))
    for tenant_id, mine in by_tenant.items():
        message_ids = sorted({uuid.UUID(job.payload["message_id"]) for job in mine})
        with tenant_context(tenant_id):
            messages.update((m.id, m) for m in session.scalars(sa.select(Message).where(
                Message.tenant_id == tenant_id, Message.id.in_(message_ids)).order_by(Message.id)
                .with_for_update(of=Message).execution_options(populate_existing=True)))
            configs.update(((c.tenant_id, c.sandbox), c) for c in session.scalars(
                sa.select(Config).where(Config.tenant_id == tenant_id)))
    setattr(g, PREPARED, {"tenants": set(by_tenant), "batches": batches, "messages": messages, "configs": configs})


def _prepared(tenant_id) -> dict | None:
    prepared = g.get(PREPARED)
    return prepared if prepared is not None and tenant_id in prepared["tenants"] else None


def _personalisation(message: Message) -> dict:
    values = dict(message.personalisation or {})
    if message.secret_encrypted:
        values.update(json.loads(crypto.decrypt(message.secret_encrypted)))
    if message.address:
        values.update({f"address_line_{n}": line for n, line in enumerate(message.address, start=1)})
    if message.unsubscribe_url and "unsubscribe_link" not in values:
        values["unsubscribe_link"] = message.unsubscribe_url
    return values


def _post(client, message: Message, config: Config) -> dict:
    reference = str(message.id)  # unique per platform message: what a retry looks up
    values = _personalisation(message)
    if message.channel == "email":
        return client.send_email_notification(message.recipient, message.notify_template_id, personalisation=values,
                                              reference=reference, email_reply_to_id=config.email_reply_to_id,
                                              one_click_unsubscribe_url=message.unsubscribe_url)
    if message.channel == "sms":
        return client.send_sms_notification(message.recipient, message.notify_template_id, personalisation=values,
                                            reference=reference, sms_sender_id=config.sms_sender_id)
    if message.postage:  # the client's letter call has no postage argument: the same POST with it added
        return client.post("/v2/notifications/letter", data={"template_id": message.notify_template_id,
                                                              "personalisation": values, "reference": reference,
                                                              "postage": message.postage})
    return client.send_letter_notification(message.notify_template_id, values, reference=reference)


def _already_at_notify(client, message: Message) -> dict | None:
    found = client.get_all_notifications(reference=str(message.id)).get("notifications") or []
    return found[0] if found else None


def send(payload: dict, job) -> None:
    """`notify.send`: send one queued message to Notify, at most once."""
    with in_world(payload.get("sandbox", False)):
        _send(payload, job)


def _locked_message(tenant_id, message_id) -> Message | None:
    return session.scalars(sa.select(Message).where(Message.tenant_id == tenant_id, Message.id == uuid.UUID(message_id))
                           .with_for_update(of=Message).execution_options(populate_existing=True)).first()


def _send(payload: dict, job) -> None:
    # A batch's message: the batch is locked (shared) first, as a cancel locks it (exclusive) before its
    # messages, so a send and a cancel at once end as one after the other, never as a cancelled batch whose
    # message was sent anyway. A worker's claim has them locked already (`prepare`).
    prepared = _prepared(job.tenant_id)
    if prepared is not None and job.payload.get("message_id") == payload["message_id"]:
        batch = prepared["batches"].get(uuid.UUID(payload["batch_id"])) if payload.get("batch_id") else None
        message = prepared["messages"].get(uuid.UUID(payload["message_id"]))
    else:
        batch = session.scalars(sa.select(Batch).where(
            Batch.tenant_id == job.tenant_id, Batch.id == uuid.UUID(payload["batch_id"]))
            .with_for_update(read=True, of=Batch).execution_options(populate_existing=True)).first() if payload.get("batch_id") else None
        message = _locked_message(job.tenant_id, payload["message_id"])
    if message is None or message.status != "queued" or message.purged_at is not None:
        return  # sent, cancelled, erased or gone: nothing to do (the job may run more than once)
    if message.batch_id:
        batch = batch or session.get(Batch, message.batch_id)
        if batch is not None and batch.status == "paused":
            return  # resuming queues it again
        if batch is not None and batch.status == "cancelled":
            apply_status(message, "cancelled", reason="The batch was cancelled.")
            return
    config = _config(message.tenant_id, message.sandbox)
    if config is None:
        apply_status(message, "failed", reason="notify_not_configured: the organisation removed its Notify settings.")
        return
    client = notify_api.client_for(config)
    look_first = job.attempts > 1 or bool(payload.get("look_first"))
    try:
        if look_first:
            found = _already_at_notify(client, message)
            if found is not None:
                apply_status(message, found["status"], notify_id=found["id"])
                return
        wait = limiter.take(tenant_id=message.tenant_id, sandbox=message.sandbox, channel=message.channel)
        if wait is not None:
            jobs.enqueue(SEND_JOB, {**payload, "look_first": look_first}, tenant_id=message.tenant_id, run_at=wait)
            _hold_the_rest(message.tenant_id, message.sandbox, wait)
            return
        answer = _post(client, message, config)
    except APIError as error:
        _failed_call(message, error, job)
        return
    message.notify_id = answer["id"]
    apply_status(message, "accepted" if message.channel == "letter" else "created")
    if message.sandbox and not current_app.config["NOTIFY_SANDBOX_BASE_URL"]:
        _follow(client, message)  # the simulator settles at once, as Notify's test keys do


def _hold_the_rest(tenant_id: uuid.UUID, sandbox: bool, until: dt.datetime) -> None:
    """The budget is spent: the organisation's other waiting sends (of this world) wait too, in one statement,
    instead of each being claimed only to be queued again."""
    session.execute(sa.update(jobs.Job).where(
        jobs.Job.name == SEND_JOB, jobs.Job.tenant_id == tenant_id, jobs.Job.status == "pending",
        jobs.Job.run_at < until, jobs.Job.payload["sandbox"].as_boolean() == sandbox)
        .values(run_at=until).execution_options(synchronize_session=False))


def _failed_call(message: Message, error: APIError, job) -> None:
    kind = notify_api.kind_of(error)
    reason = notify_api.message_of(error)
    if kind == "permanent":
        apply_status(message, "failed", reason=f"Notify refused the message: {reason}")
    elif kind == "refused":
        apply_status(message, "failed", reason=f"Notify refused the organisation's API key: {reason}")
    elif job.attempts >= job.max_attempts:
        apply_status(message, "failed", reason=f"Notify did not take the message after {job.attempts} attempts: {reason}")
    else:
        log.warning("notify send will be retried", extra={"message_id": str(message.id), "status": error.status_code})
        raise RetryLater(reason)


def _follow(client, message: Message) -> None:
    try:
        found = client.get_notification_by_id(message.notify_id)
    except APIError as error:
        log.warning("notify status look-up failed", extra={"message_id": str(message.id), "status": error.status_code})
        return
    apply_status(message, found["status"])


# --- callbacks and polling ---------------------------------------------------------------
def receive_callback(*, config: Config, body: dict) -> bool:
    """Apply one delivery receipt (matched by our reference, else Notify's id); False if it changed nothing."""
    where = [Message.tenant_id == config.tenant_id, Message.sandbox == config.sandbox]
    message_id = _uuid(body.get("reference"))
    query = sa.select(Message).where(*where).with_for_update(of=Message).execution_options(populate_existing=True)
    message = session.scalars(query.where(Message.id == message_id)).first() if message_id else None
    if message is None:
        message = session.scalars(query.where(Message.notify_id == str(body["id"]))).first()
    if message is None:
        return False
    return apply_status(message, body["status"], notify_id=str(body["id"]))


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def poll(payload: dict, job) -> None:
    """`notify.poll` (scheduled): look up messages Notify has not finished, within Notify's retention."""
    tenant_ids = list(session.scalars(sa.select(Tenant.id).where(Tenant.status == "active")))
    for tenant_id in tenant_ids:
        with tenant_context(tenant_id):
            poll_tenant(tenant_id=tenant_id)


def poll_tenant(*, tenant_id: uuid.UUID) -> int:
    since = utcnow() - NOTIFY_KEEPS
    unfinished = list(session.scalars(sa.select(Message).where(
        Message.tenant_id == tenant_id, Message.notify_id.is_not(None), Message.status.not_in(FINAL),
        Message.accepted_at >= since).order_by(Message.accepted_at).limit(POLL_BATCH)))
    changed = 0
    for sandbox in {m.sandbox for m in unfinished}:
        config = _config(tenant_id, sandbox)
        if config is None:
            continue
        client = notify_api.client_for(config)
        for message in (m for m in unfinished if m.sandbox == sandbox):
            try:
                found = client.get_notification_by_id(message.notify_id)
            except APIError as error:
                if notify_api.kind_of(error) != "permanent":
                    break  # Notify is unwell or refuses the key: try again next time
                continue
            changed += apply_status(message, found["status"])
    return changed
