"""Brute-force protection for the token endpoint and the sign-in page.

Failures are counted per key (client id, address, account). After
LOGIN_MAX_FAILURES failures within the lock period the key is locked for
LOGIN_LOCK_SECONDS. Counts are committed at once: the failing request itself
is rolled back.
"""
import datetime as dt
import math

import sqlalchemy as sa
from flask import current_app

from civic.core.db import session, utcnow
from civic.core.errors import Problem
from civic.gateway.models import Throttle


def check(*keys: str) -> None:
    """Raise a 429 problem if any key is locked."""
    now = utcnow()
    rows = session.scalars(sa.select(Throttle).where(Throttle.key.in_(keys))).all()
    locked = [r.locked_until for r in rows if r.locked_until and r.locked_until > now]
    if locked:
        wait = math.ceil((max(locked) - now).total_seconds())
        raise Problem(429, "too_many_failures", "Too many failed attempts. Wait before trying again.",
                      title="Too many failed attempts", headers={"Retry-After": str(wait)})


def fail(*keys: str) -> None:
    """Count one failure for each key, lock those over the limit, and commit now."""
    config, now = current_app.config, utcnow()
    window = dt.timedelta(seconds=config["LOGIN_LOCK_SECONDS"])
    session.rollback()
    for key in keys:
        row = session.get(Throttle, key, with_for_update=True)
        if row is None:
            row = Throttle(key=key, failures=0, window_started_at=now)
            session.add(row)
        if row.window_started_at < now - window:
            row.failures, row.window_started_at = 0, now
        row.failures += 1
        if row.failures >= config["LOGIN_MAX_FAILURES"]:
            row.locked_until, row.failures, row.window_started_at = now + window, 0, now
    try:
        session.commit()
    except sa.exc.IntegrityError:  # two first failures at once: the other one counted
        session.rollback()


def succeed(*keys: str) -> None:
    """A success clears the count for these keys (in the request's own transaction)."""
    session.execute(sa.delete(Throttle).where(Throttle.key.in_(keys), Throttle.locked_until.is_(None)))
