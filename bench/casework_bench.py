"""Casework figures: the queue listing with filters over 200,000 cases on PostgreSQL (target: median
under 50 ms for a page of 50), and case creation and transition throughput over HTTP.

    python -m bench.casework_bench [--quick]

PostgreSQL runs when CIVIC_TEST_POSTGRES_URL (or CIVIC_BENCH_POSTGRES_URL) is set; SQLite otherwise, with
fewer cases. Figures are reported, never asserted.
"""
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
import uuid

import requests
import sqlalchemy as sa

from bench import builders
from bench.booking_bench import _app, _env, _post_all, _postgres_wanted, postgres_database
from bench.harness import platform_server
from bench.platform_bench import sqlite_database

CASE_TYPE = {"key": "bench", "name": "Bench cases", "states": [{"name": s, "sla": {"working_days": 3}} for s in
                                                                 ("new", "triage", "waiting", "active")] + [{"name": "closed"}],
             "initial_state": "new", "final_states": ["closed"],
             "transitions": [{"from": a, "to": b} for a, b in (("new", "triage"), ("triage", "active"), ("active", "closed"))],
             "sla": {"working_days": 20}, "priorities": ["low", "normal", "urgent"], "default_priority": "normal",
             "fields_schema": {"type": "object", "properties": {"ward": {"type": "string"}}}}
QUERIES = {"state+team": "state=triage&team=team-3", "assignee": "assignee_id={assignee}",
           "overdue": "overdue=true", "priority+due_before": "priority=urgent&due_before={soon}",
           "custom_field+state": "state=active&field=ward:ward-7", "no_filter": "", "second_page": "state=triage&after={cursor}"}


def _organisation(app):
    tenant = builders.create_tenant(app, f"bench-{uuid.uuid4().hex[:8]}", name="Bench")
    headers = builders.bearer(builders.create_token(app, tenant, "casework:read", "casework:write", "clients:manage",
                                                    name="bench"))
    response = app.test_client().post("/v1/casework/case-types", json=CASE_TYPE, headers=headers)
    assert response.status_code == 201, response.get_json()
    return tenant, headers, response.get_json()["id"]


def _fill(app, tenant, case_type_id: str, cases: int) -> list[uuid.UUID]:
    """`cases` rows written straight to the table (the API would take an hour), spread over states, teams,
    assignees, priorities, wards and due dates, a tenth of them overdue."""
    from civic.casework.models import NO_DUE, Case
    from civic.core.db import session, unit_of_work
    from civic.core.tenancy import place_wide

    rng, now = random.Random(14), dt.datetime.now(dt.timezone.utc)
    assignees = [uuid.uuid4() for _ in range(40)]
    with app.app_context(), place_wide("platform.operator"):
        for first in range(0, cases, 5000):
            rows = []
            for n in range(first, min(first + 5000, cases)):
                state = rng.choice(("new", "triage", "waiting", "active", "closed"))
                due = now + dt.timedelta(hours=rng.randint(-100, 2000)) if state != "closed" else NO_DUE
                rows.append({"id": uuid.uuid4(), "tenant_id": tenant.id, "sandbox": False, "case_type_id": uuid.UUID(case_type_id),
                             "case_type_key": "bench", "case_type_version": 1, "state": state, "open": state != "closed",
                             "title": f"Case {n}", "priority": rng.choice(("low", "normal", "normal", "urgent")),
                             "fields": {"ward": f"ward-{rng.randint(1, 20)}"}, "assignee_id": rng.choice(assignees),
                             "team": f"team-{rng.randint(1, 10)}", "links": [], "state_entered_at": now,
                             "state_due_at": due if state != "closed" else None, "case_due_at": None, "sort_due": due,
                             "sla_next": due, "clock_used_seconds": 0, "paused_seconds": 0, "overdue": due <= now,
                             "warned": [], "breached": [], "metadata": {}, "created_at": now, "updated_at": now})
            with unit_of_work():
                session.execute(sa.insert(Case.__table__), rows)
    return assignees


def queue_listing(database_url: str, *, cases: int, runs: int) -> dict:
    app = _app(database_url)
    tenant, headers, type_id = _organisation(app)
    began = time.perf_counter()
    assignees = _fill(app, tenant, type_id, cases)
    load_s = time.perf_counter() - began
    engine = app.extensions["civic.engine"]
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE casework_case"))
    client = app.test_client()
    first = client.get("/v1/casework/cases?state=triage&limit=50", headers=headers).get_json()
    values = {"assignee": assignees[0], "cursor": first["next"],
              "soon": (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=10)).isoformat().replace("+00:00", "Z")}
    figures = {}
    for name, query in QUERIES.items():
        url = "/v1/casework/cases?limit=50&" + query.format(**values)
        timings = []
        for _ in range(runs + 3):
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.get_json()
        timings = timings[3:]
        figures[name] = {"median_ms": round(statistics.median(timings), 1),
                         "p90_ms": round(statistics.quantiles(timings, n=10)[-1], 1),
                         "items": len(response.get_json()["items"])}
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get("/v1/casework/counts", headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
    figures["counts"] = {"median_ms": round(statistics.median(timings), 1)}
    engine.dispose()
    return {"cases": cases, "load_s": round(load_s, 1), "page": 50, "runs": runs, "queries": figures,
            "load_average_1m": round(os.getloadavg()[0], 1), "cpus": os.cpu_count()}


def throughput(database_url: str, *, cases: int, workers: int = 2, threads: int = 16) -> dict:
    """Cases opened per second, then moved (new -> triage) per second, over HTTP against `civic serve`."""
    app = _app(database_url)
    _tenant, headers, _type = _organisation(app)
    app.extensions["civic.engine"].dispose()
    bodies = [{"case_type": "bench", "title": f"Case {n}", "fields": {"ward": "ward-1"},
               "subject": {"name": f"Person {n}"}} for n in range(cases)]
    with platform_server(database_url, workers=workers, threads=4, env=_env(database_url)) as server:
        _post_all(f"{server.url}/v1/casework/cases", bodies[:20], headers, threads)  # warm-up
        session = requests.Session()
        created, create_s = [], 0.0
        import concurrent.futures

        def post(body):
            return session.post(f"{server.url}/v1/casework/cases", json=body, headers=headers, timeout=120)

        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            created = [r.json()["id"] for r in pool.map(post, bodies[20:]) if r.status_code == 201]
        create_s = time.perf_counter() - started

        def move(case_id):
            return session.post(f"{server.url}/v1/casework/cases/{case_id}/transition", json={"to": "triage"},
                                headers=headers, timeout=120).status_code

        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            moved = list(pool.map(move, created))
        move_s = time.perf_counter() - started
    return {"created_per_s": round(len(created) / create_s, 1), "created": len(created),
            "transitions_per_s": round(moved.count(200) / move_s, 1), "moved": moved.count(200),
            "errors": len(bodies) - 20 - len(created) + len(moved) - moved.count(200),
            "server_workers": workers, "client_threads": threads}


def run(quick: bool = False) -> dict:
    figures: dict = {}
    if _postgres_wanted():
        with postgres_database() as url:
            figures["queue_postgres"] = queue_listing(url, cases=20_000 if quick else 200_000, runs=15 if quick else 40)
        with postgres_database() as url:
            figures["throughput_postgres"] = throughput(url, cases=200 if quick else 1000)
    else:
        with sqlite_database() as url:
            figures["queue_sqlite"] = queue_listing(url, cases=20_000, runs=15)
    return figures


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv[1:]), indent=2))
