"""Reporting figures: insight and open-data latency at 100k and 1M reports, and report creation over HTTP.

    python -m bench.reporting_bench [--quick]

Uses a PostgreSQL database of its own (`civic_bench_<random>`, as every benchmark here) on the
server at CIVIC_BENCH_POSTGRES_URL or CIVIC_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test), created and dropped by the run. `--quick`
stops at 100k reports and runs shorter loads. Figures are reported, never asserted; the target
is a median under 250 ms per endpoint.
"""
import json
import os
import statistics
import sys
import time
import types

import requests
import sqlalchemy as sa

from bench import builders, core_bench, harness, reporting_data

SECRET = "bench-secret-key-that-is-long-enough-0123456789"
TARGET_MS = 250
RUNS = 7


def _env(database_url: str) -> dict:
    return {**os.environ, "CIVIC_ENV": "test", "CIVIC_DATABASE_URL": database_url, "CIVIC_SECRET_KEY": SECRET,
            "CIVIC_LOG_LEVEL": "WARNING", "CIVIC_EMBEDDED_WORKER": "false",
            "CIVIC_RATELIMIT_DEFAULT": "1000000 per minute",
            "CIVIC_RATELIMIT_ANONYMOUS": "1000000 per minute"}


def _tokens(app, place) -> dict:
    """A steward token and one organisation's token (reporting:read and write)."""
    steward_org = builders.create_tenant(app, "bench-steward", name="Bench steward")
    organisation = types.SimpleNamespace(id=place[0]["tenant_id"])
    return {"steward": builders.create_token(app, steward_org, "platform:admin", name="steward"),
            "org": builders.create_token(app, organisation, "reporting:read", "reporting:write", name="org")}


QUERIES = [
    ("org: counts by category", "org", "/v1/reporting/insight/counts?by=category"),
    ("org: counts by week and category", "org", "/v1/reporting/insight/counts?by=week,category"),
    ("org: map, resolution 8", "org", "/v1/reporting/insight/map?resolution=8"),
    ("steward: counts by organisation and category", "steward", "/v1/reporting/insight/counts?by=tenant,category"),
    ("steward: counts by week and status", "steward", "/v1/reporting/insight/counts?by=week,status"),
    ("steward: counts by area, resolution 8", "steward", "/v1/reporting/insight/counts?by=area&resolution=8"),
    ("steward: time series", "steward", "/v1/reporting/insight/timeseries"),
    ("steward: map, resolution 7", "steward", "/v1/reporting/insight/map?resolution=7"),
    ("steward: counts, 52 weeks, by category", "steward",
     "/v1/reporting/insight/counts?by=category&start=2000-01-01T00:00:00Z"),
    ("public: open data by week", None, "/v1/reporting/open-data/demand"),
    ("public: open data by area", None, "/v1/reporting/open-data/demand?columns=area&resolution=7"),
]


def time_queries(base_url: str, tokens: dict) -> list[dict]:
    results = []
    session = requests.Session()
    for name, who, path in QUERIES:
        headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
        timings = []
        for _ in range(RUNS + 1):
            started = time.perf_counter()
            response = session.get(base_url + path, headers=headers, timeout=120)
            timings.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
        median = statistics.median(timings[1:])  # the first run warms caches
        results.append({"query": name, "median_ms": round(median, 1), "max_ms": round(max(timings[1:]), 1),
                        "first_ms": round(timings[0], 1), "under_target": median < TARGET_MS})
    return results


def creation_throughput(server, tokens: dict, seconds: int) -> dict:
    body = json.dumps({"category": "fly-tipping", "description": "Bench report", "lat": 51.45, "long": -2.59,
                       "attributes": {"waste": ["household"], "size": "bag"}})
    return harness.wrk(server.url + "/v1/reporting/reports", method="POST", body=body, seconds=seconds,
                       connections=16, headers={"Authorization": f"Bearer {tokens['org']}",
                                                "Content-Type": "application/json"})


def spike_check_seconds(app) -> float:
    from civic.core.db import unit_of_work, utcnow
    from civic.reporting import warning

    with app.app_context(), unit_of_work():
        started = time.perf_counter()
        warning.detect_spikes(now=utcnow())
        return round(time.perf_counter() - started, 2)


def run(quick: bool = False) -> dict:
    from civic.app import create_app

    sizes = [100_000] if quick else [100_000, 1_000_000]
    result = {"target_median_ms": TARGET_MS, "sizes": {}}
    with core_bench.postgres_database() as (url, engine):
        app = create_app({"ENV": "test", "DATABASE_URL": url, "SECRET_KEY": SECRET, "LOG_LEVEL": "WARNING"})
        place = reporting_data.create_place(app)
        tokens = _tokens(app, place)
        loaded = 0
        with harness.platform_server(url, workers=2, threads=4, env=_env(url)) as server:
            for size in sizes:
                seconds = reporting_data.load_reports(app.extensions["civic.engine"], place, size - loaded,
                                                      seed=size)
                loaded = reporting_data.count_reports(engine)
                rollup_seconds = reporting_data.refresh_counts(app)
                with engine.begin() as conn:
                    conn.execute(sa.text("ANALYZE"))
                result["sizes"][loaded] = {"load_seconds": round(seconds, 1), "rollup_seconds": round(rollup_seconds, 1),
                                           "queries": time_queries(server.url, tokens),
                                           "spike_check_seconds": spike_check_seconds(app)}
            result["create_over_http"] = creation_throughput(server, tokens, 3 if quick else 10)
        app.extensions["civic.engine"].dispose()
    return result


def main() -> None:
    result = run(quick="--quick" in sys.argv)
    for size, figures in result["sizes"].items():
        print(f"\n{size:,} reports (loaded in {figures['load_seconds']} s; weekly counts rebuilt in "
              f"{figures['rollup_seconds']} s; spike check {figures['spike_check_seconds']} s)")
        print(harness.table(figures["queries"], ["query", "median_ms", "max_ms", "first_ms", "under_target"]))
    print("\nreport creation over HTTP:", result["create_over_http"])
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
