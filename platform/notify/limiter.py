"""Each organisation's sending budget: under Notify's 3,000 messages a minute per key, and its daily limits.

Notify counts any 60 seconds, not clock minutes, so the minute's budget is spent in 6-second slices of a
tenth each: no 60 seconds can then see more than 11/10 of it (2,970 with the default 2,700).

A message that would go over waits for the next window (its job is queued again for then) instead of
failing. Counters are rows of `notify_quota`, changed only by a conditional UPDATE (`used < limit`), so
any number of workers share them exactly. On PostgreSQL the counter is taken in its own short
transaction (its own session), so it does not hold a row lock while the rest of a worker's batch is sent.
"""
import datetime as dt
import uuid

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from civic.core import db
from civic.core.db import session, utcnow
from civic.notify.models import Quota


SLICE_SECONDS = 6


def clock() -> dt.datetime:
    """Now (tests hold it still, so that a budget's window cannot turn over mid-test)."""
    return utcnow()


def daily_limits() -> dict[str, int]:
    pairs = (part.split("=", 1) for part in current_app.config["NOTIFY_DAILY_LIMITS"].replace(" ", "").split(",") if part)
    return {channel: int(limit) for channel, limit in pairs}


def _take(db_session, *, tenant_id, sandbox: bool, window: str, limit: int, expires_at: dt.datetime) -> bool:
    where = (Quota.tenant_id == tenant_id, Quota.sandbox == sandbox, Quota.window == window)
    spend = sa.update(Quota).where(*where, Quota.used < limit).values(used=Quota.used + 1) \
        .execution_options(synchronize_session=False)
    if db_session.execute(spend).rowcount:
        return True
    if db_session.scalar(sa.select(Quota.id).where(*where)) is not None:
        return False  # full
    try:
        with db_session.begin_nested():
            db_session.add(Quota(id=uuid.uuid4(), tenant_id=tenant_id, sandbox=sandbox, window=window, used=1,
                                 expires_at=expires_at))
        return True
    except sa.exc.IntegrityError:  # another worker opened the window first
        return bool(db_session.execute(spend).rowcount)


def _give_back(db_session, *, tenant_id, sandbox: bool, window: str) -> None:
    db_session.execute(sa.update(Quota).where(Quota.tenant_id == tenant_id, Quota.sandbox == sandbox,
                                              Quota.window == window, Quota.used > 0)
                       .values(used=Quota.used - 1).execution_options(synchronize_session=False))


def take(*, tenant_id: uuid.UUID, sandbox: bool, channel: str) -> dt.datetime | None:
    """Spend one message of the budget: None if it may go now, else when to try again."""
    per_minute = current_app.config["NOTIFY_PER_MINUTE"]
    per_day = daily_limits().get(channel, 0)
    if per_minute <= 0 and per_day <= 0:
        return None  # limits lifted (benchmarks)
    now = clock()
    slice_start = now.replace(second=now.second - now.second % SLICE_SECONDS, microsecond=0)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    next_slice, next_day = slice_start + dt.timedelta(seconds=SLICE_SECONDS), day + dt.timedelta(days=1)
    windows = []
    if per_minute > 0:
        windows.append((f"s:{slice_start:%Y%m%d%H%M%S}", max(1, per_minute * SLICE_SECONDS // 60), next_slice))
    if per_day > 0:
        windows.append((f"d:{day:%Y%m%d}:{channel}", per_day, next_day))
    # PostgreSQL: a session of its own, committed at once (the counters' row locks last milliseconds).
    # SQLite has one writer at a time: the job's own session.
    own = db.dialect() == "postgresql"
    counters = Session(bind=db.engine()) if own else session
    try:
        taken = []
        for window, limit, until in windows:
            if not _take(counters, tenant_id=tenant_id, sandbox=sandbox, window=window, limit=limit, expires_at=until):
                for done in taken:
                    _give_back(counters, tenant_id=tenant_id, sandbox=sandbox, window=done)
                if own:
                    counters.commit()
                return until
            taken.append(window)
        if own:
            counters.commit()
        return None
    finally:
        if own:
            counters.close()


def forget_expired(*, tenant_id: uuid.UUID) -> None:
    session.execute(sa.delete(Quota).where(Quota.tenant_id == tenant_id, Quota.expires_at < utcnow()))
