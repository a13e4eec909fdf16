"""Keeping a payment or refund whose provider call failed, so reconciliation can repair it.

The request that met the failure answers with a 502/503 problem, and the core rolls its work back, as
for any error. But Stripe may have made the intent (or refund) before the answer was lost, so the
platform must remember it tried: `keep(obj)` notes the record, and after the rollback this module
writes it again in a transaction of its own (one row and its history, nothing else of the request).
The same Idempotency-Key then resumes the same record, and Stripe receives the same idempotency key.
"""
import sqlalchemy as sa
from flask import g

from civic.core import jobs
from civic.core.db import session, unit_of_work


def keep(obj, *also, job: tuple | None = None) -> None:
    """Write `obj` (and `also`, e.g. its history) again after this failed request is rolled back."""
    rows = [(type(o), {c.key: getattr(o, c.key) for c in sa.inspect(type(o)).mapper.column_attrs}) for o in (obj, *also)]
    g.setdefault("civic_payments_kept", []).append((rows, job))


def after_request(response):
    """A payments blueprint hook: runs before the core's own end of request, for payments routes only."""
    kept = g.pop("civic_payments_kept", None)
    if not kept or response.status_code < 500:
        return response
    session.rollback()  # the request's own work goes, as the core would do; then the kept rows, alone
    with unit_of_work():
        for rows, job in kept:
            for model, values in rows:
                session.merge(model(**values))  # a new row, or one the request had changed (a payment)
            session.flush()
            if job is not None:
                name, payload, tenant_id, run_at = job
                jobs.enqueue(name, payload, tenant_id=tenant_id, run_at=run_at)
    return response
