"""Background jobs of the payments component: expiry, cancelling failed intents, reconciliation."""
from civic.core import jobs
from civic.core.tenancy import in_world
from civic.payments import reconcile, service


def _world(payload: dict):
    # A job has no caller: it works in the world of the record it was queued for, and only for this job.
    return in_world(payload.get("sandbox", False))


def expire(payload: dict, job) -> None:
    """Fail a payment not finished 90 minutes after it was made (P0020); does nothing if it finished."""
    with _world(payload):
        service.expire_payment(tenant_id=job.tenant_id, payment_id=payload["payment_id"])


def cancel_at_provider(payload: dict, job) -> None:
    with _world(payload):
        service.cancel_at_provider(tenant_id=job.tenant_id, payment_id=payload["payment_id"])


def reconcile_all(payload: dict, job) -> None:
    reconcile.queue_all()


def reconcile_tenant(payload: dict, job) -> None:
    with _world(payload):
        reconcile.reconcile_tenant(tenant_id=job.tenant_id)


def init_app(app) -> None:
    jobs.register(app, service.EXPIRE_JOB, expire)
    jobs.register(app, service.CANCEL_AT_PROVIDER_JOB, cancel_at_provider)
    jobs.register(app, reconcile.RECONCILE_JOB, reconcile_all)
    jobs.register(app, reconcile.RECONCILE_TENANT_JOB, reconcile_tenant)
    jobs.schedule(app, reconcile.RECONCILE_JOB, app.config["PAYMENTS_RECONCILE_SECONDS"])
