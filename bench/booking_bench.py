"""Booking figures: availability for 30 days of a busy resource, booking creation throughput over
HTTP on PostgreSQL, and how long 200 people competing for 5 places take to settle.

    python -m bench.booking_bench [--quick]

SQLite runs always; PostgreSQL runs when CIVIC_TEST_POSTGRES_URL (or CIVIC_BENCH_POSTGRES_URL) is set,
each in a database of its own. Figures are reported, never asserted (target: availability median
under 20 ms in process).
"""
import concurrent.futures
import contextlib
import datetime as dt
import json
import os
import statistics
import sys
import time
import uuid
import zoneinfo

import requests

from bench import builders
from bench.harness import platform_server
from bench.platform_bench import sqlite_database

SECRET = "bench-secret-key-that-is-long-enough-0123456789"
LONDON = zoneinfo.ZoneInfo("Europe/London")
EVERY_DAY = {day: [{"start": "08:00", "end": "18:00"}]
             for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}


def _env(database_url: str) -> dict:
    return {**os.environ, "CIVIC_ENV": "test", "CIVIC_DATABASE_URL": database_url, "CIVIC_SECRET_KEY": SECRET,
            "CIVIC_LOG_LEVEL": "WARNING", "CIVIC_RATELIMIT_DEFAULT": "1000000 per minute"}


@contextlib.contextmanager
def postgres_database():
    from bench.core_bench import postgres_database as fresh

    with fresh() as (url, _engine):
        yield url


def _postgres_wanted() -> bool:
    return bool(os.environ.get("CIVIC_BENCH_POSTGRES_URL") or os.environ.get("CIVIC_TEST_POSTGRES_URL"))


def _app(database_url: str):
    from civic.app import create_app

    return create_app({"ENV": "test", "DATABASE_URL": database_url, "SECRET_KEY": SECRET, "LOG_LEVEL": "WARNING",
                       "RATELIMIT_DEFAULT": "1000000 per minute"})


def _organisation(app, **resource) -> tuple[dict, uuid.UUID, str]:
    """A tenant, a booking token and one resource; returns (headers, tenant id, resource id)."""
    tenant = builders.create_tenant(app, f"bench-{uuid.uuid4().hex[:8]}", name="Bench")
    headers = builders.bearer(builders.create_token(app, tenant, "booking:read", "booking:write", name="bench"))
    fields = {"name": "Bench room", "slot_minutes": 30, "max_advance_days": 60, "opening_hours": EVERY_DAY, **resource}
    resource_id = builders.create_resource(app.test_client(), headers, **fields)["id"]
    return headers, tenant.id, str(resource_id)


def _slot_starts(days: int, first_day: int = 1) -> list[dt.datetime]:
    """Every 30-minute slot from 08:00 to 18:00 local, from tomorrow on (bank holidays are closed: left out)."""
    from civic.core.calendar import bank_holidays

    today, closed = dt.datetime.now(LONDON).date(), bank_holidays("england-and-wales")
    return [dt.datetime.combine(day, dt.time(8), tzinfo=LONDON) + dt.timedelta(minutes=30 * n)
            for day in (today + dt.timedelta(days=d) for d in range(first_day, first_day + days))
            if day not in closed for n in range(20)]


def availability(database_url: str, *, runs: int) -> dict:
    """Median time of GET availability for 30 days of a resource holding 500 bookings (Flask test client)."""
    from civic.booking import service as booking
    from civic.core.db import unit_of_work
    from civic.core.tenancy import tenant_context

    app = _app(database_url)
    headers, tenant_id, resource_id = _organisation(app, capacity=2)
    starts = _slot_starts(30)
    with app.app_context(), unit_of_work(), tenant_context(tenant_id):
        for n in range(500):
            booking.create_booking(tenant_id=tenant_id, resource_id=resource_id, start=starts[n % len(starts)],
                                   attendee={"name": f"Person {n}"})
    client = app.test_client()
    query = {"from": starts[0].isoformat(), "to": (starts[0] + dt.timedelta(days=30)).isoformat()}
    url = f"/v1/booking/resources/{resource_id}/availability"
    timings, cpu, slots = [], [], 0
    for _ in range(runs + 3):
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, query_string=query, headers=headers)
        timings.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
        assert response.status_code == 200, response.get_json()
        slots = len(response.get_json()["slots"])
    timings, cpu = timings[3:], cpu[3:]  # warm-up
    app.extensions["civic.engine"].dispose()
    # CPU time too: on a busy machine wall time mostly measures the wait for a core.
    return {"median_ms": round(statistics.median(timings), 2), "p90_ms": round(statistics.quantiles(timings, n=10)[-1], 2),
            "median_cpu_ms": round(statistics.median(cpu), 2), "slots": slots, "bookings": 500, "runs": runs,
            "load_average_1m": round(os.getloadavg()[0], 1), "cpus": os.cpu_count()}


def _post_all(url: str, bodies: list[dict], headers: dict, threads: int) -> tuple[list[int], float]:
    session = requests.Session()

    def post(body):
        return session.post(url, json=body, headers=headers, timeout=120).status_code

    began = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
        statuses = list(pool.map(post, bodies))
    return statuses, time.perf_counter() - began


def creation_throughput(database_url: str, *, bookings: int, workers: int = 2, threads: int = 16) -> dict:
    """Bookings created per second over HTTP by a thread pool against `civic serve --workers N`."""
    app = _app(database_url)
    headers, _tenant, resource_id = _organisation(app, capacity=1000)
    app.extensions["civic.engine"].dispose()
    starts = _slot_starts(30)
    bodies = [{"resource_id": resource_id, "start": starts[n % len(starts)].isoformat(), "attendee": {"name": f"P{n}"}}
              for n in range(bookings)]
    with platform_server(database_url, workers=workers, threads=4, env=_env(database_url)) as server:
        _post_all(f"{server.url}/v1/booking/bookings", bodies[:20], headers, threads)  # warm-up
        statuses, seconds = _post_all(f"{server.url}/v1/booking/bookings", bodies[20:], headers, threads)
    created = statuses.count(201)
    return {"bookings_per_s": round(created / seconds, 1), "created": created, "errors": len(statuses) - created,
            "server_workers": workers, "client_threads": threads}


def contention(database_url: str, *, workers: int = 4, threads: int = 40) -> dict:
    """200 concurrent requests for one slot with 5 places: how long until every one has its answer."""
    app = _app(database_url)
    headers, _tenant, resource_id = _organisation(app, capacity=5)
    app.extensions["civic.engine"].dispose()
    start = _slot_starts(1, first_day=2)[4].isoformat()
    bodies = [{"resource_id": resource_id, "start": start, "attendee": {"name": f"P{n}"}} for n in range(200)]
    with platform_server(database_url, workers=workers, threads=4, env=_env(database_url)) as server:
        requests.get(f"{server.url}/v1/booking/resources/{resource_id}", headers=headers, timeout=30)
        statuses, seconds = _post_all(f"{server.url}/v1/booking/bookings", bodies, headers, threads)
    return {"settle_s": round(seconds, 2), "created": statuses.count(201), "refused_409": statuses.count(409),
            "other": len(statuses) - statuses.count(201) - statuses.count(409), "server_workers": workers}


def run(quick: bool = False) -> dict:
    """Every booking figure, SQLite first, then PostgreSQL when configured."""
    runs = 15 if quick else 60
    figures: dict = {}
    with sqlite_database() as url:
        figures["availability_30_days_sqlite"] = availability(url, runs=runs)
    with sqlite_database() as url:
        figures["contention_200_for_5_sqlite"] = contention(url)
    if _postgres_wanted():
        with postgres_database() as url:
            figures["availability_30_days_postgres"] = availability(url, runs=runs)
        with postgres_database() as url:
            figures["create_throughput_postgres"] = creation_throughput(url, bookings=300 if quick else 2000)
        with postgres_database() as url:
            figures["contention_200_for_5_postgres"] = contention(url)
    return figures


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv[1:]), indent=2))
