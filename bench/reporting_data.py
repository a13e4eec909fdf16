"""Benchmark data for reporting: 50 organisations, their categories, and reports loaded with COPY.

Reports come from the same generator as the demo (civic.reporting.demo.synthetic_rows),
spread over the last 52 weeks around one town, streamed one organisation at a time so a
million rows never sit in memory at once.
"""
import datetime as dt
import json
import random
import uuid

import sqlalchemy as sa

TENANTS = 50
WEEKS = 52
COLUMNS = ["id", "tenant_id", "category_id", "status", "closing_reason", "description", "lat", "long", "address",
           "uprn", "usrn", "cell", "area", "week", "answers", "media_url", "reporter_name", "reporter_email",
           "reporter_phone", "token", "source", "sandbox", "transferred_from_tenant_id", "reference", "metadata",
           "created_at", "updated_at"]


def create_place(app) -> list[dict]:
    """50 organisations, each with the categories of one of the demo organisations (unit of work)."""
    from civic.core.db import unit_of_work
    from civic.gateway import service as gateway
    from civic.reporting import demo
    from civic.reporting.service import create_category

    kinds = list(demo.CATEGORIES)
    place = []
    with app.app_context(), unit_of_work():
        for i in range(TENANTS):
            tenant = gateway.create_tenant(slug=f"bench-org-{i:02d}", name=f"Bench organisation {i}")
            definitions = demo.CATEGORIES[kinds[i % len(kinds)]]
            categories = [(create_category(tenant_id=tenant.id, **dict(fields)), rate) for fields, rate in definitions]
            place.append({"tenant_id": tenant.id, "slug": tenant.slug, "categories": categories})
    return place


def _copy_value(column: str, value):
    if value is None:
        return None
    if column in ("answers", "metadata"):
        return json.dumps(value)
    return value


def load_reports(engine, place: list[dict], total: int, *, seed: int = 1) -> float:
    """COPY `total` reports into the database, spread evenly over the organisations; returns seconds taken."""
    import time

    from civic.reporting.demo import synthetic_rows

    started = time.perf_counter()
    now = dt.datetime.now(dt.timezone.utc)
    rng = random.Random(seed)
    per_tenant = total // len(place)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for index, org in enumerate(place):
            count = per_tenant + (1 if index < total % len(place) else 0)
            weight = sum(rate for _, rate in org["categories"])
            rates = [(c, count * rate / weight / WEEKS) for c, rate in org["categories"]]
            rows = synthetic_rows(tenant_id=org["tenant_id"], categories=rates, weeks=WEEKS, now=now, rng=rng,
                                  spread=0.05)
            with cursor.copy(f"COPY reporting_report ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    row["metadata"] = row.pop("metadata_")
                    row["token"] = uuid.uuid4().hex[:16]
                    row["id"] = uuid.uuid4()
                    copy.write_row([_copy_value(c, row[c]) for c in COLUMNS])
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def count_reports(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM reporting_report")).scalar()


def refresh_counts(app) -> float:
    """Rebuild the weekly counts (what the periodic job does); returns seconds taken."""
    import time

    from civic.core.db import unit_of_work, utcnow
    from civic.reporting import rollup

    started = time.perf_counter()
    with app.app_context(), unit_of_work():
        rollup.refresh(now=utcnow(), full=True)
    return time.perf_counter() - started
