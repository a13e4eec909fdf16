"""Background jobs of the booking component."""
from civic.booking import service
from civic.core import jobs


def expire_hold(payload: dict, job) -> None:
    """Give back the place of a hold whose time is up (does nothing if it was confirmed, released or already expired)."""
    service.expire_hold(tenant_id=job.tenant_id, hold_id=payload["hold_id"])


def init_app(app) -> None:
    jobs.register(app, service.EXPIRE_HOLD_JOB, expire_hold)
