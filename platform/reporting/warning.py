"""Early warning: a category (in an area) with far more reports in the last 7 days than usual.

The method, kept simple so anyone can check it by hand:
- current: reports in the last 7 days;
- baseline: the weekly counts of the 8 weeks before that; mean and standard deviation;
- spread: the larger of the standard deviation, the square root of the mean (counts
  vary at least that much by chance) and 1;
- a spike: current >= the minimum count (default 5) and current > mean + 3 x spread.
Areas are H3 cells at resolution 7 (about 5 km²), and "all" for the organisation's whole area.
"""
import datetime as dt
import math
from collections import defaultdict

import h3
import sqlalchemy as sa
from flask import current_app

from civic.core.db import session
from civic.core.pagination import paginate
from civic.core.tenancy import Tenant, place_wide
from civic.reporting import events
from civic.reporting.models import Alert, Category, Report
from civic.reporting.service import AREA_RESOLUTION

BASELINE_WEEKS = 8
SIGMAS = 3.0


def assess(current: int, baseline: list[int], *, min_count: int = 5) -> dict:
    """Is `current` (last 7 days) a spike against the weekly `baseline` counts? With the figures."""
    mean = sum(baseline) / len(baseline)
    sd = math.sqrt(sum((x - mean) ** 2 for x in baseline) / len(baseline))
    threshold = mean + SIGMAS * max(sd, math.sqrt(mean), 1.0)
    return {"spike": current >= min_count and current > threshold, "current": current, "baseline_mean": mean,
            "baseline_sd": sd, "threshold": threshold}


def weekly_counts(now: dt.datetime) -> dict:
    """{(tenant, category, area): [this week, 1 week before, ... 8 weeks before]}, areas and "all"."""
    cutoffs = [now - dt.timedelta(weeks=k) for k in range(BASELINE_WEEKS + 2)]
    bucket = sa.case(*[(Report.created_at >= cutoffs[k + 1], k) for k in range(BASELINE_WEEKS + 1)], else_=-1)
    query = (sa.select(Report.tenant_id, Report.category_id, Report.cell, bucket.label("bucket"), sa.func.count())
             .join(Tenant, Report.tenant_id == Tenant.id)
             .where(Report.created_at >= cutoffs[-1], Report.created_at < now, Report.sandbox.is_(False),
                    Tenant.status == "active")
             .group_by(Report.tenant_id, Report.category_id, Report.cell, bucket))
    series: dict = defaultdict(lambda: [0] * (BASELINE_WEEKS + 1))
    for tenant_id, category_id, cell, k, count in session.execute(query):
        if k < 0:
            continue
        series[(tenant_id, category_id, "all")][k] += count
        if cell:
            series[(tenant_id, category_id, h3.cell_to_parent(cell, AREA_RESOLUTION))][k] += count
    return series


@place_wide("reporting.warning")
def detect_spikes(*, now: dt.datetime) -> list[Alert]:
    """Record (once a day) and announce each category and area whose last 7 days are a spike."""
    min_count = int(current_app.config["REPORTING_SPIKE_MIN_COUNT"])
    found = []
    for (tenant_id, category_id, area), weeks in weekly_counts(now).items():
        figures = assess(weeks[0], weeks[1:], min_count=min_count)
        if not figures["spike"]:
            continue
        exists = session.scalar(sa.select(Alert.id).where(Alert.category_id == category_id, Alert.area == area,
                                                          Alert.detected_on == now.date()))
        if exists:
            continue
        figures.pop("spike")
        alert = Alert(tenant_id=tenant_id, category_id=category_id, area=area, detected_on=now.date(),
                      window_start=now - dt.timedelta(weeks=1), window_end=now, **figures)
        session.add(alert)
        session.flush()
        category = session.get(Category, category_id)
        events.DEMAND_SPIKE.emit(tenant_id=tenant_id, subject=str(alert.id), data={
            "alert_id": str(alert.id), "category": category.code, "category_id": str(category_id), "area": area,
            "window_start": alert.window_start.isoformat(), "window_end": now.isoformat(), **figures,
            "sandbox": False})  # counted from live reports only
        found.append(alert)
    return found


def current_alerts(*, tenant_id, now: dt.datetime) -> sa.Select:
    """Alerts raised in the last 7 days: one tenant's, or every tenant's when `tenant_id` is None."""
    query = sa.select(Alert).where(Alert.detected_on >= (now - dt.timedelta(days=7)).date())
    return query.where(Alert.tenant_id == tenant_id) if tenant_id is not None else query


def list_alerts(*, tenant_id, now: dt.datetime, limit: int = 20, after: str | None = None) -> dict:
    """One page of the alerts of the last 7 days (every tenant's when `tenant_id` is None)."""
    return paginate(current_alerts(tenant_id=tenant_id, now=now), Alert, limit=limit, after=after)
