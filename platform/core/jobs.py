"""Outbox jobs: queued in the caller's transaction, run after commit, at least once.

Workers claim due jobs with `FOR UPDATE SKIP LOCKED` (PostgreSQL) and a lease,
so a killed worker's job is taken over when its lease runs out, and no job
is run by two workers at once. Failures retry with exponential backoff, then
the job is dead-lettered for a steward to see and retry.
"""
import contextlib
import datetime as dt
import logging
import os
import random
import socket
import threading
import time
import uuid

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from civic.core.db import Base, Entity, session, unit_of_work, utcnow
from civic.core import problems
from civic.core.errors import not_found
from civic.core.tenancy import tenant_context

log = logging.getLogger("civic.jobs")
STATUSES = ("pending", "running", "done", "dead")


class Job(Entity, Base):
    __tablename__ = "core_job"
    __table_args__ = (sa.Index("ix_core_job_due", "status", "run_at"),)

    tenant_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(120))
    payload: Mapped[dict] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    run_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[dt.datetime | None]
    locked_by: Mapped[str | None] = mapped_column(sa.String(120))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    finished_at: Mapped[dt.datetime | None]
    # Lets a periodic or "at most one pending" job be queued without duplicates.
    unique_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)


def register(app, name: str, handler, *, max_attempts: int | None = None, prepare=None, alone: bool = False) -> None:
    """Register `handler(payload: dict, job: Job)` under a job name.

    `alone=True`: the job waits on a slow outside party (a webhook receiver), so it runs in a transaction of
    its own after its batch's has committed, never holding the other jobs' work uncommitted while it waits.

    `prepare(jobs: list[Job])`, if given, runs once per claimed batch before that batch's jobs of this name,
    in their transaction: it may read (and lock) in a few statements what each job would read alone, and
    leave it on `flask.g` for the handler (one batch per app context). If it fails, its work is undone and
    each job reads for itself, as without it."""
    app.extensions.setdefault("civic.job_handlers", {})[name] = (handler, max_attempts)
    if alone:
        app.extensions.setdefault("civic.jobs_alone", set()).add(name)
    if prepare is not None:
        app.extensions.setdefault("civic.job_preparers", {})[name] = prepare


def schedule(app, name: str, every_seconds: int) -> None:
    """Run job `name` periodically (workers queue it once per period, never twice)."""
    app.extensions.setdefault("civic.job_schedule", {})[name] = every_seconds


def enqueue(name: str, payload: dict | None = None, *, tenant_id: uuid.UUID | None = None,
            run_at: dt.datetime | None = None, unique_key: str | None = None) -> Job:
    """Queue a job in the current transaction; it runs only if that transaction commits."""
    handlers = current_app.extensions.get("civic.job_handlers", {})
    if name not in handlers:
        raise LookupError(f"no job handler registered for {name!r}")
    max_attempts = handlers[name][1] or current_app.config["JOB_MAX_ATTEMPTS"]
    from civic.core import events  # (it imports this module)

    chain = events.current_chain()
    if chain and "civicchain" not in (payload or {}):  # queued by an automation's step: its events say so too
        payload = {**(payload or {}), "civicchain": list(chain)}
    job = Job(id=uuid.uuid4(), name=name, payload=payload or {}, tenant_id=tenant_id,
              run_at=run_at or utcnow(), max_attempts=max_attempts, unique_key=unique_key)
    session.add(job)
    if unique_key is not None:
        session.flush()  # a second job with the same key fails here, where the caller can see it
    # Otherwise the job goes with the request's other rows: jobs added together are one INSERT.
    return job


def noop(payload: dict, job) -> None:
    """`core.noop`: does nothing (after `sleep` seconds, at most 60), to check and measure the workers end to end."""
    delay = min(float(payload.get("sleep", 0)), 60.0)
    if delay > 0:
        time.sleep(delay)


DONE_JOBS_KEPT = dt.timedelta(days=7)


def housekeeping(payload: dict, job) -> None:
    """`core.housekeeping` (hourly): forget expired idempotency keys and jobs finished over a week ago."""
    from civic.core.idempotency import IdempotencyKey  # imports auth; kept out of this module's import

    now = utcnow()
    session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.expires_at < now))
    session.execute(sa.delete(Job).where(Job.status == "done", Job.finished_at < now - DONE_JOBS_KEPT))


def init_app(app) -> None:
    register(app, "core.noop", noop)
    register(app, "core.housekeeping", housekeeping)
    schedule(app, "core.housekeeping", 3600)


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: ~2s, 4s, 8s ... capped at one hour."""
    return min(2 ** attempts, 3600) * random.uniform(0.8, 1.2)


class Worker:
    """Claims and runs due jobs. One per thread or process; any number may share a database."""

    def __init__(self, app, *, batch: int = 50, name: str | None = None):
        self.app = app
        self.batch = batch
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:6]}"
        self.stopping = threading.Event()

    def claim(self) -> list[Job]:
        """Take up to `batch` due jobs (pending, or running with a lapsed lease) in one statement."""
        now = utcnow()
        lease = dt.timedelta(seconds=self.app.config["JOB_LEASE_SECONDS"])
        with unit_of_work():
            due = (sa.select(Job.id).where(Job.run_at <= now, Job.status.in_(("pending", "running")), sa.or_(
                Job.status == "pending", sa.and_(Job.status == "running", Job.locked_until < now)))
                .order_by(Job.run_at).limit(self.batch).with_for_update(skip_locked=True))
            claimed = list(session.scalars(
                sa.update(Job).where(Job.id.in_(due.scalar_subquery()))
                .values(status="running", locked_by=self.name, locked_until=now + lease, attempts=Job.attempts + 1)
                .returning(Job), execution_options={"synchronize_session": False}))
        return sorted(claimed, key=lambda job: job.run_at)

    def run_once(self) -> int:
        """Claim one batch and run it; returns how many jobs were claimed."""
        with self.app.app_context():
            self._queue_periodic()
            claimed = self.claim()
            if not claimed:
                return 0
            alone = self.app.extensions.get("civic.jobs_alone", set())
            together = [job for job in claimed if job.name not in alone]
            failures = self._run_together(together) if together else []
            for job in claimed:
                if job.name in alone:
                    failures += self._run_together([job])
            for job, error in failures:
                self._record_failure(job, error)
            return len(claimed)

    def _run_together(self, claimed: list[Job]) -> list:
        """Run these jobs in one transaction; returns the (job, error) of those that failed."""
        failures, done = [], []
        with unit_of_work():
            self._prepare(claimed)
            for job in claimed:
                if utcnow() >= job.locked_until:
                    continue  # its lease ran out while earlier jobs ran: another worker may have it now
                error = self._run_in_savepoint(job)
                if error:
                    failures.append((job, error))
                else:
                    done.append(job.id)
            # One statement for the batch. A job whose lease lapsed mid-run and was taken over stays
            # the new owner's to finish (handlers are idempotent: at least once, never lost).
            if done:
                session.execute(sa.update(Job).where(Job.id.in_(done), Job.locked_by == self.name)
                                .values(status="done", finished_at=utcnow(), locked_until=None, last_error=None),
                                execution_options={"synchronize_session": False})
        return failures

    def _prepare(self, claimed: list[Job]) -> None:
        for name, prepare in self.app.extensions.get("civic.job_preparers", {}).items():
            mine = [job for job in claimed if job.name == name]
            if not mine:
                continue
            savepoint = session.begin_nested()
            try:
                prepare(mine)
                savepoint.commit()
            except Exception:  # each job then reads for itself
                savepoint.rollback()
                log.warning("job preparation failed", extra={"job": name, "jobs": len(mine)}, exc_info=True)

    def _run_in_savepoint(self, job: Job) -> str | None:
        """Run the handler; a failing handler's changes are undone, the rest of the batch's are kept."""
        handler = self.app.extensions.get("civic.job_handlers", {}).get(job.name, (None,))[0]
        savepoint = session.begin_nested()
        try:
            if handler is None:
                raise LookupError(f"no handler registered for job {job.name!r}")
            # The job works for its tenant; a job with none declares `place_wide()` where it reads. One
            # queued by an automation's step (`civicchain`) emits its events as caused by that automation.
            from civic.core import events

            with tenant_context(job.tenant_id) if job.tenant_id else contextlib.nullcontext(), \
                    events.caused_by(job.payload.get("civicchain") or ()):
                handler(dict(job.payload), job)
            savepoint.commit()
            return None
        except Exception as exc:  # the job is retried
            savepoint.rollback()
            log.warning("job failed", extra={"job_id": str(job.id), "job": job.name, "attempt": job.attempts})
            return f"{type(exc).__name__}: {exc}"[:2000]

    def _record_failure(self, job: Job, error: str) -> None:
        with unit_of_work():
            dead = job.attempts >= job.max_attempts
            values = {"status": "dead" if dead else "pending", "last_error": error, "locked_until": None,
                      "run_at": utcnow() + dt.timedelta(seconds=backoff_seconds(job.attempts))}
            if dead:
                values["finished_at"] = utcnow()
            session.execute(sa.update(Job).where(Job.id == job.id, Job.locked_by == self.name).values(**values))

    def _queue_periodic(self) -> None:
        schedule = self.app.extensions.get("civic.job_schedule", {})
        if not schedule:
            return
        now = time.time()
        for name, every in schedule.items():
            key = f"periodic:{name}:{int(now // every)}"
            if session.scalar(sa.select(Job.id).where(Job.unique_key == key)) is not None:
                continue
            try:
                with unit_of_work():
                    enqueue(name, {}, unique_key=key)
            except sa.exc.IntegrityError:
                pass  # another worker queued this period first

    def run_forever(self) -> None:
        poll = self.app.config["JOB_POLL_SECONDS"]
        log.info("worker started", extra={"worker": self.name})
        while not self.stopping.is_set():
            try:
                claimed = self.run_once()
            except Exception:  # database away: wait and try again, never die
                log.exception("worker loop error")
                claimed = 0
            if claimed == 0:
                self.stopping.wait(poll)

    def drain(self, timeout: float = 30.0) -> None:
        """Run jobs until none is due (tests and the CLI use this)."""
        deadline = time.monotonic() + timeout
        while self.run_once() and time.monotonic() < deadline:
            pass


def start_embedded_worker(app) -> Worker:
    """The embedded default: one worker thread inside the web process."""
    worker = Worker(app)
    thread = threading.Thread(target=worker.run_forever, name="civic-worker", daemon=True)
    thread.start()
    return worker


def list_jobs(*, status: str | None = None) -> sa.Select:
    query = sa.select(Job)
    return query.where(Job.status == status) if status else query


def retry_job(*, job_id: uuid.UUID) -> Job:
    """Put a dead-lettered job back in the queue, with its attempts reset."""
    # Locked and read afresh: of two retries at once, the second sees the job queued already.
    job = session.get(Job, job_id, with_for_update=True, populate_existing=True)
    if job is None:
        raise not_found("job")
    if job.status != "dead":
        raise problems.JOB_NOT_DEAD("Only dead-lettered jobs can be retried.")
    job.status, job.attempts, job.run_at, job.finished_at = "pending", 0, utcnow(), None
    session.flush()
    return job
