"""Deliveries: each event of an organisation to each of its endpoints that subscribed, signed, retried, logged.

`flows.fan_out` is subscribed to every event (`events.subscribe(app, "*", ..., when=listens)`: a job queued
in the transaction that emitted the event, so it runs after commit, at least once; only for an organisation
with an active endpoint for that type, which `listens` knows from a per-process cache). It works in the event's world
(`data.sandbox`): a sandbox event goes to the sandbox world's endpoints only, a live one to live endpoints only.
It makes one delivery per active endpoint whose types match (unique per endpoint and event, so a second run
makes none) and queues `flows.deliver` for each.

`flows.deliver` makes one attempt: a POST of the CloudEvents envelope with Standard Webhooks headers
(`webhook-id` is the delivery's id, the same on every retry, for the receiver to drop duplicates). A 2xx
succeeds; anything else (a 3xx too: redirects are never followed), a time-out or a refused address is a
failure, tried again on Svix's schedule: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h later
(8 attempts), no sooner than a 429's or 503's `Retry-After`; then the delivery has failed. A 410 Gone
disables the endpoint at once; an endpoint with no success for FLOWS_DISABLE_AFTER_HOURS is disabled too,
each with `civic.flows.endpoint_disabled`. While an endpoint is paused or disabled its deliveries are held
(pending, no next attempt) and resuming it sends them. A replay is one attempt now, outside the schedule.
"""
import datetime as dt
import email.utils
import json
import logging
import time
import uuid

import sqlalchemy as sa
from flask import current_app
from standardwebhooks.webhooks import Webhook

from civic.core import audit, caching, jobs
from civic.core.db import session, utcnow
from civic.core.pagination import paginate
from civic.core.tenancy import current_world_is_sandbox, get_scoped, in_world, scoped, tenant_context
from civic.flows import automations, composed, events, problems, service, transport
from civic.flows.models import Attempt, Delivery, Endpoint

log = logging.getLogger("civic.flows")
FAN_OUT_JOB, DELIVER_JOB = "flows.fan_out", "flows.deliver"
# Seconds to wait after each failed attempt (Svix's): the 1st attempt is at once, the 8th and last 10 h after the 7th.
RETRY_DELAYS = (5, 300, 1800, 7200, 18000, 36000, 36000)
ATTEMPTS = len(RETRY_DELAYS) + 1
RETRY_AFTER_MAX = 24 * 3600
ERROR_CHARS = 500


# --- fan-out ------------------------------------------------------------------------------
def listens(event_type: str, tenant_id: uuid.UUID | None, data: dict) -> bool:
    """Asked when an event is emitted: has its tenant an active endpoint or automation, or a service that
    waits for it, in its world for this type? Only then is a fan-out job queued, so events of organisations
    without webhooks, automations or services cost nothing more. The types come from this process's cache
    (`caching`: any committed change to an endpoint, an automation or a service drops it in every process)."""
    if tenant_id is None or event_type in events.NOT_FANNED_OUT:
        return False
    sandbox = bool(data.get("sandbox", False))
    if sandbox != current_world_is_sandbox():
        return True  # an event of the other world than its caller's: the job looks, in the event's world
    found = caching.caches()
    patterns = found.get("flows.listening", (tenant_id, sandbox))
    if patterns is None:
        generation = found.generation()
        with tenant_context(tenant_id):
            patterns = _listening(tenant_id)
        found.put("flows.listening", (tenant_id, sandbox), patterns, generation)
    return service.matches(list(patterns), event_type)


def _listening(tenant_id: uuid.UUID) -> tuple[str, ...]:
    """Every active endpoint's event types, every active automation's trigger and every service's waits: one
    statement."""
    endpoints = scoped(Endpoint, tenant_id).with_only_columns(
        sa.literal("endpoint"), sa.cast(Endpoint.event_types, sa.Text)).where(Endpoint.status == "active")
    rows = session.execute(sa.union_all(endpoints, automations.triggers_query(tenant_id),
                                        composed.waits_query(tenant_id))).all()
    return tuple(p for kind, value in rows for p in (json.loads(value) if kind != "automation" else [value]))


def fan_out(payload: dict, job) -> None:
    """Job: one delivery per matching active endpoint of the event's tenant and world."""
    if job.tenant_id is None or payload.get("type") in events.NOT_FANNED_OUT:
        return
    with in_world((payload.get("data") or {}).get("sandbox", False)):
        _fan_out(payload, job.tenant_id)


def _fan_out(envelope: dict, tenant_id: uuid.UUID) -> None:
    composed.resume(envelope, tenant_id)
    automations.queue_runs(envelope, tenant_id)
    endpoints = [e for e in session.scalars(scoped(Endpoint, tenant_id).where(Endpoint.status == "active"))
                 if service.matches(e.event_types, envelope["type"])]
    if not endpoints:
        return
    event_id = uuid.UUID(envelope["id"])
    done = set(session.scalars(scoped(Delivery, tenant_id).with_only_columns(Delivery.endpoint_id).where(
        Delivery.event_id == event_id)))
    for endpoint in endpoints:
        if endpoint.id not in done:
            queue(tenant_id=tenant_id, endpoint=endpoint, envelope=envelope)


def cloudevent(envelope: dict) -> dict:
    """The body sent: the CloudEvents 1.0 envelope (the platform's own `tenantid` extension left out)."""
    return {key: envelope.get(key) for key in
            ("specversion", "id", "source", "type", "time", "subject", "datacontenttype", "data")}


def queue(*, tenant_id: uuid.UUID, endpoint: Endpoint, envelope: dict) -> Delivery:
    delivery = Delivery(id=uuid.uuid4(), tenant_id=tenant_id, endpoint_id=endpoint.id, sandbox=endpoint.sandbox,
                        event_id=uuid.UUID(envelope["id"]), event_type=envelope["type"], envelope=cloudevent(envelope),
                        status="pending", attempts=0, token=0)
    session.add(delivery)
    _schedule(delivery, utcnow())
    return delivery


def _schedule(delivery: Delivery, at: dt.datetime | None) -> None:
    """Plan the next attempt (None: held until the endpoint is resumed); an older queued job then stops."""
    delivery.token = (delivery.token or 0) + 1
    delivery.next_attempt_at = at
    if at is not None:
        jobs.enqueue(DELIVER_JOB, {"delivery_id": str(delivery.id), "token": delivery.token,
                                   "sandbox": bool(delivery.sandbox)}, tenant_id=delivery.tenant_id, run_at=at)


def release_held(*, tenant_id: uuid.UUID, endpoint: Endpoint) -> None:
    held = session.scalars(scoped(Delivery, tenant_id).where(
        Delivery.endpoint_id == endpoint.id, Delivery.status == "pending", Delivery.next_attempt_at.is_(None))
        .with_for_update())
    now = utcnow()
    for delivery in held:
        _schedule(delivery, now)
    session.flush()


# --- one attempt ----------------------------------------------------------------------------
def deliver(payload: dict, job) -> None:
    """Job: one attempt of one delivery (idempotent: a job whose token is not the delivery's does nothing)."""
    with in_world(payload.get("sandbox", False)):
        _deliver(payload, job.tenant_id)


def headers_for(endpoint: Endpoint, delivery: Delivery, body: str) -> dict:
    sent_at = dt.datetime.fromtimestamp(int(time.time()), dt.timezone.utc)  # the receiver checks it against its clock
    signatures = [Webhook(secret).sign(str(delivery.id), sent_at, body) for secret in service.signing_secrets(endpoint)]
    return {"webhook-id": str(delivery.id), "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": " ".join(signatures)}


def _deliver(payload: dict, tenant_id: uuid.UUID) -> None:
    delivery = session.scalars(scoped(Delivery, tenant_id).where(Delivery.id == uuid.UUID(payload["delivery_id"]))
                               .with_for_update().execution_options(populate_existing=True)).first()
    if delivery is None or delivery.status != "pending" or delivery.token != payload.get("token"):
        return  # deleted, finished, or planned again since this job was queued
    # Read, not locked: deliveries to one endpoint run side by side; the endpoint is locked only to change it.
    endpoint = session.get(Endpoint, delivery.endpoint_id, populate_existing=True)
    if endpoint.status != "active":
        _schedule(delivery, None)  # held until the endpoint is resumed
        return
    body = json.dumps(delivery.envelope, separators=(",", ":"), sort_keys=True)
    config = current_app.config
    started = utcnow()
    code, error, retry_after, latency = None, None, None, None
    try:
        answer = transport.post(endpoint.url, body.encode(), headers_for(endpoint, delivery, body),
                                timeout=config["FLOWS_WEBHOOK_TIMEOUT_SECONDS"], allow_http=service.allow_http(),
                                allow_private=service.allow_private())
        code, latency = answer.status, answer.latency_ms
        if not 200 <= code < 300:
            error = f"answered {code}" + (f" (redirect to {answer.headers.get('location')!s:.200}, not followed)"
                                          if 300 <= code < 400 else "") + (f": {answer.text}" if answer.text else "")
            if code in (429, 503):
                retry_after = _retry_after(answer.headers.get("retry-after"))
    except (transport.Refused, transport.SendFailed) as failure:
        error = str(failure)
    _record(delivery, endpoint, started=started, code=code, latency=latency, error=error, retry_after=retry_after)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # `isdigit` alone takes "²", which float() refuses
        return min(float(value), RETRY_AFTER_MAX)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, min((when - utcnow()).total_seconds(), RETRY_AFTER_MAX))


def _record(delivery: Delivery, endpoint: Endpoint, *, started, code, latency, error, retry_after) -> None:
    now = utcnow()
    delivery.attempts += 1
    delivery.last_response_code, delivery.last_error = code, (error or None) and error[:ERROR_CHARS]
    next_at = None
    if error is None:
        delivery.status, delivery.finished_at, delivery.manual = "succeeded", now, False
        delivery.next_attempt_at = None
        if endpoint.failing_since is not None:
            _endpoint_failing_since(endpoint, None)
    else:
        if endpoint.failing_since is None:
            _endpoint_failing_since(endpoint, now)
        gone = code == 410
        if gone or delivery.manual or delivery.attempts >= ATTEMPTS:
            delivery.status, delivery.finished_at, delivery.manual = "failed", now, False
            delivery.next_attempt_at = None
        else:
            wait = max(RETRY_DELAYS[delivery.attempts - 1], retry_after or 0)
            next_at = now + dt.timedelta(seconds=wait)
            _schedule(delivery, next_at)
        if gone:
            _disable(endpoint, "gone")
        elif now - (endpoint.failing_since or now) >= dt.timedelta(hours=current_app.config["FLOWS_DISABLE_AFTER_HOURS"]):
            _disable(endpoint, "failing")
    session.add(Attempt(id=uuid.uuid4(), tenant_id=delivery.tenant_id, sandbox=delivery.sandbox,
                        delivery_id=delivery.id, number=delivery.attempts, started_at=started,
                        status="failed" if error else "succeeded", response_code=code, latency_ms=latency,
                        error=(error or None) and error[:ERROR_CHARS], next_attempt_at=next_at))
    session.flush()
    log.info("webhook attempt", extra={"delivery_id": str(delivery.id), "endpoint_id": str(endpoint.id),
                                       "status": "failed" if error else "succeeded", "response_code": code})


def _endpoint_failing_since(endpoint: Endpoint, when: dt.datetime | None) -> None:
    """Start (or end, with None) the endpoint's failing streak, unless another delivery already did."""
    unchanged = Endpoint.failing_since.is_(None) if when is not None else Endpoint.failing_since.is_not(None)
    session.execute(sa.update(Endpoint).where(Endpoint.id == endpoint.id, unchanged)
                    .values(failing_since=when, updated_at=Endpoint.updated_at),
                    execution_options={"synchronize_session": False})
    session.refresh(endpoint, ["failing_since"])


def _disable(endpoint: Endpoint, reason: str) -> None:
    session.refresh(endpoint, ["status", "failing_since"], with_for_update=True)  # locked: disabled once
    if endpoint.status != "active":
        return  # disabled (or paused) meanwhile
    endpoint.status, endpoint.disabled_reason = "disabled", reason
    events.ENDPOINT_DISABLED.emit(tenant_id=endpoint.tenant_id, subject=str(endpoint.id), data={
        "endpoint_id": str(endpoint.id), "cause": reason, "sandbox": bool(endpoint.sandbox)})
    audit.record("flows.endpoint_disabled", tenant_id=endpoint.tenant_id, subject_type="flows_endpoint",
                 subject_id=endpoint.id, detail={"reason": reason})


# --- the API's reads and actions -------------------------------------------------------------
def list_deliveries(*, tenant_id: uuid.UUID, endpoint_id, status: str | None = None, event_type: str | None = None,
                    limit: int = 20, after: str | None = None) -> dict:
    endpoint = service.get_endpoint(tenant_id=tenant_id, endpoint_id=endpoint_id)
    query = scoped(Delivery, tenant_id).where(Delivery.endpoint_id == endpoint.id)
    if status:
        query = query.where(Delivery.status == status)
    if event_type:
        query = query.where(Delivery.event_type == event_type)
    return paginate(query, Delivery, limit=limit, after=after)


def get_delivery(*, tenant_id: uuid.UUID, delivery_id, lock: bool = False) -> Delivery:
    delivery = get_scoped(Delivery, tenant_id, delivery_id, what="delivery", lock=lock)
    delivery.attempt_log = list(session.scalars(scoped(Attempt, tenant_id).where(
        Attempt.delivery_id == delivery.id).order_by(Attempt.number)))
    return delivery


def _replay(delivery: Delivery) -> None:
    delivery.status, delivery.manual, delivery.finished_at = "pending", True, None
    _schedule(delivery, utcnow())


def replay(*, tenant_id: uuid.UUID, principal, delivery_id) -> Delivery:
    """One more attempt now, outside the schedule (of a delivery that succeeded or failed)."""
    service.admin_only(principal)
    delivery = get_delivery(tenant_id=tenant_id, delivery_id=delivery_id, lock=True)
    if delivery.status == "pending":
        raise problems.DELIVERY_PENDING("This delivery is still on its schedule: wait for it to finish.")
    _replay(delivery)
    session.flush()
    audit.record("flows.delivery_replayed", tenant_id=tenant_id, subject_type="flows_delivery", subject_id=delivery.id)
    return delivery


RECOVER_AT_MOST = 500


def recover(*, tenant_id: uuid.UUID, principal, endpoint_id, since: dt.datetime,
            until: dt.datetime | None = None) -> dict:
    """Replay the failed deliveries of an endpoint made since a time, oldest first, up to RECOVER_AT_MOST a
    call (call again for the rest: the answer's `more` says so)."""
    service.admin_only(principal)
    endpoint = service.get_endpoint(tenant_id=tenant_id, endpoint_id=endpoint_id)
    query = scoped(Delivery, tenant_id).where(Delivery.endpoint_id == endpoint.id, Delivery.status == "failed",
                                              Delivery.created_at >= since)
    if until is not None:
        query = query.where(Delivery.created_at < until)
    failed = list(session.scalars(query.order_by(Delivery.created_at).limit(RECOVER_AT_MOST + 1).with_for_update()))
    more = len(failed) > RECOVER_AT_MOST
    failed = failed[:RECOVER_AT_MOST]
    for delivery in failed:
        _replay(delivery)
    session.flush()
    audit.record("flows.deliveries_recovered", tenant_id=tenant_id, subject_type="flows_endpoint",
                 subject_id=endpoint.id, detail={"count": len(failed)})
    return {"endpoint_id": endpoint.id, "since": since, "until": until, "replayed": len(failed), "more": more}


def send_test(*, tenant_id: uuid.UUID, principal, endpoint_id) -> Delivery:
    """A `civic.flows.test` event, recorded like any other, delivered to this endpoint only (even when paused: held)."""
    service.admin_only(principal)
    endpoint = service.get_endpoint(tenant_id=tenant_id, endpoint_id=endpoint_id)
    event = events.TEST.emit(tenant_id=tenant_id, subject=str(endpoint.id), data={
        "endpoint_id": str(endpoint.id), "sandbox": current_world_is_sandbox()})
    delivery = queue(tenant_id=tenant_id, endpoint=endpoint, envelope=event.envelope())
    session.flush()
    return delivery


def call(*, tenant_id: uuid.UUID, endpoint_id, values: dict) -> Delivery:
    """`flows.call_webhook`: a `civic.flows.webhook_called` event delivered to this endpoint only."""
    endpoint = service.get_endpoint(tenant_id=tenant_id, endpoint_id=endpoint_id)
    event = events.WEBHOOK_CALLED.emit(tenant_id=tenant_id, subject=str(endpoint.id), data={
        "endpoint_id": str(endpoint.id), "values": values, "sandbox": current_world_is_sandbox()})
    delivery = queue(tenant_id=tenant_id, endpoint=endpoint, envelope=event.envelope())
    session.flush()
    return delivery
