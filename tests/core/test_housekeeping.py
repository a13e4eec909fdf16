"""Hourly housekeeping forgets expired idempotency keys and old finished jobs, and nothing else."""
import datetime as dt

import sqlalchemy as sa
from civic.core.tenancy import place_wide


def test_housekeeping_forgets_only_what_has_expired(app, worker):
    from civic.core import jobs
    from civic.core.db import session, unit_of_work, utcnow
    from civic.core.idempotency import IdempotencyKey

    now = utcnow()
    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        for key, expires in (("old", now - dt.timedelta(hours=1)), ("fresh", now + dt.timedelta(hours=1))):
            session.add(IdempotencyKey(owner="cl_x", key=key, request_hash="h", state="complete",
                                       created_at=now - dt.timedelta(hours=25), expires_at=expires))
        for name, finished in (("old-done", now - dt.timedelta(days=8)), ("recent-done", now - dt.timedelta(days=1))):
            session.add(jobs.Job(name=name, status="done", finished_at=finished, run_at=finished))
        session.add(jobs.Job(name="old-dead", status="dead", finished_at=now - dt.timedelta(days=30), run_at=now))
    worker.drain()  # the periodic job is queued and run
    with app.app_context(), place_wide("tests.inspection"):
        keys = set(session.scalars(sa.select(IdempotencyKey.key)))
        names = set(session.scalars(sa.select(jobs.Job.name)))
    assert keys == {"fresh"}
    assert {"recent-done", "old-dead", "core.housekeeping"} <= names and "old-done" not in names
