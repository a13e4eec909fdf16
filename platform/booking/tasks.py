"""Background jobs of the booking component."""
from flask import g

from civic.booking import service
from civic.core import jobs


def expire_hold(payload: dict, job) -> None:
    """Give back the place of a hold whose time is up (does nothing if it was confirmed, released or already expired)."""
    # A job has no caller: it works in the world of the hold it was queued for, and only for this job
    # (a worker runs a batch of jobs in one app context).
    outer = g.get("civic_sandbox", False)
    g.civic_sandbox = bool(payload.get("sandbox", False))
    try:
        service.expire_hold(tenant_id=job.tenant_id, hold_id=payload["hold_id"])
    finally:
        g.civic_sandbox = outer


def init_app(app) -> None:
    jobs.register(app, service.EXPIRE_HOLD_JOB, expire_hold)
