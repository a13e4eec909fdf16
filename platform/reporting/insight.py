"""Demand insight: counts of reports by category, status, week and area, and the public open data table.

Areas are H3 hexagons: each report stores its resolution-9 cell, and coarser areas are
its parents, worked out after the database has grouped by the fine cell.
"""
import datetime as dt
import uuid
from collections import Counter

import h3
import sqlalchemy as sa
from flask import current_app

from civic.core.db import session
from civic.core.tenancy import Tenant, place_wide
from civic.reporting import open_tables, problems
from civic.reporting.insight_schemas import MAX_WINDOW_YEARS, PERIODS
from civic.reporting.models import AreaWeeklyCount, Category, Report, WeeklyCount
from civic.reporting.service import AREA_RESOLUTION, week_of

DIMENSIONS = ("tenant", "category", "status", "week", "area", "street")
LICENCE = {"name": "Open Government Licence v3.0",
           "url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"}
DEFAULT_WEEKS = 12
MAX_WINDOW = dt.timedelta(days=365 * MAX_WINDOW_YEARS + 2)  # five years, leap days included


def window(start: dt.datetime | None, end: dt.datetime | None, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The period asked for; by default the 12 weeks before the end. At most five years, so that every answer
    (a weekly series has at most 262 points) stays small."""
    end = end or now
    start = start or end - dt.timedelta(weeks=DEFAULT_WEEKS)
    if end < start:
        raise problems.BAD_DATE_RANGE("end is before start.")
    if end - start > MAX_WINDOW:
        raise problems.WINDOW_TOO_LONG(f"start to end may span at most {MAX_WINDOW_YEARS} years.")
    return start, end


def _columns(source, by: list[str]) -> list:
    column = {"tenant": Tenant.slug, "category": Category.code, "status": getattr(source, "status", None),
              "week": source.week, "area": source.cell if source is Report else getattr(source, "area", None),
              "street": getattr(source, "usrn", None)}
    return [column[d] for d in by]


def source_for(tenant_id, by: list[str], resolution: int):
    """The place-wide view (a steward's) reads the weekly counts, unless it needs finer detail."""
    if tenant_id is not None or "street" in by:
        return Report
    if "area" not in by:
        return WeeklyCount
    return AreaWeeklyCount if resolution <= AREA_RESOLUTION and "status" not in by else Report


@place_wide("reporting.insight")
def counts(*, tenant_id: uuid.UUID | None, by: list[str], start: dt.datetime, end: dt.datetime,
           resolution: int = 8, category: str | None = None) -> list[dict]:
    """Report counts grouped by the dimensions in `by`; every tenant's when `tenant_id` is None.

    An organisation's own counts come from its reports, exact to the second. The whole place's
    come from the weekly counts (whole weeks, refreshed every few minutes) when they can.
    """
    by = [d for d in DIMENSIONS if d in by]
    source = source_for(tenant_id, by, resolution)
    columns = _columns(source, by)
    total = sa.func.count() if source is Report else sa.func.sum(source.count)
    query = (sa.select(*[c.label(d) for c, d in zip(columns, by)], total.label("count"))
             .select_from(source).where(source.week >= week_of(start), source.week <= week_of(end)))
    if category or "category" in by:
        query = query.join(Category, source.category_id == Category.id)
    if source is Report:
        query = query.where(Report.created_at >= start, Report.created_at < end, Report.sandbox.is_(False))
    if "tenant" in by:
        query = query.join(Tenant, source.tenant_id == Tenant.id)
    if tenant_id is not None:
        query = query.where(source.tenant_id == tenant_id)
    if category:
        query = query.where(Category.code == category)
    if by:
        query = query.group_by(*columns)
    most = current_app.config["REPORTING_INSIGHT_MAX_GROUPS"]
    too_large = problems.ANSWER_TOO_LARGE(f"The answer would have more than {most} groups: "
                                         "choose a shorter window, fewer dimensions or larger areas.")
    # The database groups by the finest cell (coarser areas are merged here): bound its rows too.
    rows = session.execute(query.limit(most * 20 + 1)).all()
    if len(rows) > most * 20:
        raise too_large
    totals: Counter = Counter()
    for row in rows:
        key = tuple(_value(d, getattr(row, d), resolution) for d in by)
        totals[key] += int(row.count or 0)
    if len(totals) > most:
        raise too_large
    return [{**dict(zip(by, key)), "count": count} for key, count in sorted(totals.items(), key=_sort_key)]


def _value(dimension: str, value, resolution: int):
    if dimension == "area":
        if not value:
            return None
        return h3.cell_to_parent(value, resolution) if resolution < h3.get_resolution(value) else value
    if dimension == "week":
        return value.isoformat()
    return value


def _sort_key(item):
    return tuple("" if v is None else str(v) for v in item[0])


def weekly_series(items: list[dict], start: dt.datetime, end: dt.datetime) -> list[dict]:
    """Counts per week with the empty weeks filled in (for a time-series chart)."""
    by_week = Counter()
    for item in items:
        by_week[item["week"]] += item["count"]
    week, last, series = week_of(start), week_of(end), []
    while week <= last:
        series.append({"week": week.isoformat(), "count": by_week.get(week.isoformat(), 0)})
        week += dt.timedelta(weeks=1)
    return series


def geojson(items: list[dict], resolution: int) -> dict:
    """Area counts as a GeoJSON FeatureCollection of hexagons, ready for a map."""
    features = []
    for item in items:
        if item.get("area") is None:
            continue
        ring = [[lng, lat] for lat, lng in h3.cell_to_boundary(item["area"])]
        features.append({"type": "Feature", "id": item["area"],
                         "geometry": {"type": "Polygon", "coordinates": [ring + ring[:1]]},
                         "properties": {**item, "resolution": resolution}})
    return {"type": "FeatureCollection", "features": features}


# --- open data -------------------------------------------------------------------
@place_wide("reporting.open_data")
def open_data(*, columns: str, period: str | None, resolution: int, now: dt.datetime) -> dict:
    """One of the fixed published tables. All of them are worked out (and suppressed) together and kept
    for REPORTING_OPEN_DATA_CACHE_SECONDS (default 60): they are public, asked for often, and change only
    when a new week completes or the weekly counts of past weeks change."""
    period = period or ("13w" if columns == "week" else "52w")
    weeks = PERIODS[period]
    if columns == "area" and weeks != open_tables.PERIODS[-1]:
        raise problems.TABLE_NOT_OFFERED("Tables by area are published for period=52w only.")
    threshold = int(current_app.config["REPORTING_SUPPRESSION_THRESHOLD"])
    keep = float(current_app.config["REPORTING_OPEN_DATA_CACHE_SECONDS"])
    cache = current_app.extensions.setdefault("civic.reporting.open_data", {})
    key = (threshold, week_of(now))
    cached = cache.get(key)
    if cached is None or (now - cached[0]).total_seconds() >= keep:
        cache.clear()  # one set of tables at a time: the current week's
        cached = cache[key] = (now, _published(threshold=threshold, now=now))
    names, last, tables = cached[1]
    table = tables["week", weeks] if columns == "week" else tables["area", resolution]
    start = last - dt.timedelta(weeks=weeks - 1)
    return {
        "title": "Reports of problems and needs made to organisations in this place",
        "licence": LICENCE,
        "publisher": current_app.config["REPORTING_OPEN_DATA_PUBLISHER"],
        "generated_at": cached[0].replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "period": {"name": period, "weeks": weeks, "start": start.isoformat(),
                   "end": (last + dt.timedelta(days=6)).isoformat()},
        "columns_are": columns, "resolution": resolution if columns == "area" else None,
        "suppression_threshold": threshold, "suppressed_cells": table["suppressed"],
        "columns": table["columns"],
        "rows": [{"category": names[key][0], "lgsl_code": names[key][1], "counts": counts_, "total": total}
                 for key, counts_, total in zip(sorted_keys(names), table["cells"], table["row_totals"])],
        "column_totals": table["column_totals"], "total": table["total"],
    }


def sorted_keys(names: dict) -> list:
    return sorted(names, key=lambda k: (names[k][0].lower(), k))


def _published(*, threshold: int, now: dt.datetime) -> tuple[dict, dt.date, dict]:
    """Every table, from the weekly counts of public categories of active organisations over the last
    52 complete weeks (the current week is left out until it is over: a table that changed every
    few minutes could be subtracted from itself an hour later)."""
    last = week_of(now) - dt.timedelta(weeks=1)
    weeks = [last - dt.timedelta(weeks=open_tables.PERIODS[-1] - 1 - i) for i in range(open_tables.PERIODS[-1])]
    label = sa.func.coalesce(Category.lgsl_code, sa.func.lower(Category.name))
    names: dict = {}
    found = {}
    for source, column in ((WeeklyCount, WeeklyCount.week), (AreaWeeklyCount, AreaWeeklyCount.area)):
        query = (sa.select(label.label("key"), sa.func.min(Category.name).label("name"),
                           sa.func.min(Category.lgsl_code).label("lgsl"), column.label("column"),
                           sa.func.sum(source.count).label("count"))
                 .select_from(source).join(Category, source.category_id == Category.id)
                 .join(Tenant, source.tenant_id == Tenant.id)
                 .where(source.week >= weeks[0], source.week <= last, Tenant.status == "active",
                        Category.public.is_(True))  # a category kept private never reaches open data
                 .group_by(label, column))
        counts_: Counter = Counter()
        for row in session.execute(query):
            counts_[row.key, row.column or None] += int(row.count)
            if row.key not in names or row.name < names[row.key][0]:
                names[row.key] = (row.name, row.lgsl)
        found[source] = counts_
    tables = open_tables.build(rows=sorted_keys(names), weeks=weeks, week_counts=found[WeeklyCount],
                               area_counts=found[AreaWeeklyCount], threshold=threshold)
    return names, last, tables
