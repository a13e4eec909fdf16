"""Keeps the weekly counts (the place-wide views' pre-aggregate) up to date.

Each run recounts, from the reports, every week in which a report was made or changed since
the previous run (less a two-minute overlap, for transactions that were still open then).
Recounting whole weeks makes the job idempotent: running it twice changes nothing.
Cost grows with the reports of the weeks touched, not with the whole table.
"""
import datetime as dt

import sqlalchemy as sa

from civic.core.db import session
from civic.core.tenancy import place_wide
from civic.reporting.models import AreaWeeklyCount, Report, RollupState, WeeklyCount

STATE = "weekly_counts"
OVERLAP = dt.timedelta(minutes=2)


@place_wide("reporting.rollup")
def refresh(*, now: dt.datetime, full: bool = False) -> int:
    """Recount the weeks touched since the last run (all weeks the first time, or when `full`:
    after loading history in bulk); returns rows written."""
    state = session.get(RollupState, STATE)
    if state is None or full:
        if state is None:
            state = RollupState(name=STATE, refreshed_at=now)
            session.add(state)
        weeks = None
    else:
        weeks = sa.select(Report.week).where(Report.updated_at >= state.refreshed_at - OVERLAP).distinct()
    written = 0
    area = sa.func.coalesce(Report.area, "")
    for table, key in ((WeeklyCount, Report.status), (AreaWeeklyCount, area)):
        delete = sa.delete(table)
        counts = (sa.select(Report.week, Report.tenant_id, Report.category_id, key, sa.func.count())
                  .where(Report.sandbox.is_(False))
                  .group_by(Report.week, Report.tenant_id, Report.category_id, key))
        if weeks is not None:
            delete = delete.where(table.week.in_(weeks))
            counts = counts.where(Report.week.in_(weeks))
        session.execute(delete)
        columns = ["week", "tenant_id", "category_id", "status" if table is WeeklyCount else "area", "count"]
        written += session.execute(sa.insert(table).from_select(columns, counts)).rowcount
    state.refreshed_at = now
    session.flush()
    return written
