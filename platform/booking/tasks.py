"""Background jobs of the booking component."""
from civic.booking import service
from civic.core import jobs
from civic.core.tenancy import in_world


def expire_hold(payload: dict, job) -> None:
    """Give back the place of a hold whose time is up (does nothing if it was confirmed, released or already expired)."""
    # A job has no caller: it works in the world of the hold it was queued for, and only for this job
    # (a worker runs a batch of jobs in one app context).
    with in_world(payload.get("sandbox", False)):
        service.expire_hold(tenant_id=job.tenant_id, hold_id=payload["hold_id"])


def init_app(app) -> None:
    jobs.register(app, service.EXPIRE_HOLD_JOB, expire_hold)
