"""The platform as it ships (`civic serve`, gunicorn workers) against the bare baseline, same run.

    python -m bench.platform_bench [--quick] [--sqlite]

Endpoints: an authenticated create (a report), a read by id, a list page and an
availability query, each against the baseline doing the same database work;
token validation cost (`/v1/whoami` against the unprotected `/healthz` on the
same server) and token endpoint throughput; SQL queries per request; peak RSS
of a web worker.
"""
import contextlib
import datetime as dt
import json
import os
import sys
import tempfile

import requests

from bench import builders, harness

SECRET = "bench-secret-key-that-is-long-enough-0123456789"
WORKERS, THREADS = 2, 4
CATEGORY = {"code": "pothole", "name": "Pothole", "description": "A hole in the road"}
REPORT = {"category": "pothole", "description": "Deep pothole outside number 12", "lat": 51.5072, "long": -0.1276}
RESOURCE = {"name": "Bulky waste collection", "kind": "collection_round", "capacity": 5, "slot_minutes": 60,
            "opening_hours": {d: [{"start": "08:00", "end": "16:00"}]
                              for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")}}
SCOPES = "reporting:read reporting:write booking:read booking:write"


def _env(database_url: str) -> dict:
    # As shipped, except the rate limits, which a steward raises for a load test like this one.
    return {**os.environ, "CIVIC_ENV": "test", "CIVIC_DATABASE_URL": database_url, "CIVIC_SECRET_KEY": SECRET,
            "CIVIC_RATELIMIT_DEFAULT": "10000000 per minute", "CIVIC_RATELIMIT_ANONYMOUS": "10000000 per minute",
            "CIVIC_RATELIMIT_TOKEN_ENDPOINT": "10000000 per minute",
            "PYTHONPATH": os.getcwd()}


def _seed(database_url: str) -> dict:
    """An organisation with a client, a category, some reports and a resource."""
    from civic.app import create_app

    app = create_app({"ENV": "test", "DATABASE_URL": database_url, "SECRET_KEY": SECRET, "LOG_LEVEL": "WARNING"})
    tenant = builders.create_tenant(app, "bench-org", name="Bench Org", kind="voluntary")
    client, shown = builders.create_client(app, tenant, SCOPES.split(), name="bench")
    token = builders.mint_token(app, client, shown["client_secret"], SCOPES.split())
    auth = {**builders.bearer(token), "Content-Type": "application/json"}
    http = app.test_client()
    builders.create_category(http, auth, **CATEGORY)
    report_id = None
    for _ in range(50):
        report_id = builders.create_report(http, auth, **REPORT)["id"]
    resource_id = builders.create_resource(http, auth, **RESOURCE)["id"]
    app.extensions["civic.engine"].dispose()
    return {"tenant_id": str(tenant.id), "client_id": client.client_id, "secret": shown["client_secret"],
            "token": token, "report_id": report_id, "resource_id": resource_id, "app": app}


def _window() -> tuple[str, str]:
    start = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return start.isoformat(), (start + dt.timedelta(days=7)).isoformat()


def _scenarios(seed: dict) -> list[dict]:
    start, end = _window()
    window = f"from={requests.utils.quote(start)}&to={requests.utils.quote(end)}"
    auth = {"Authorization": f"Bearer {seed['token']}", "Content-Type": "application/json"}
    base = {"X-Tenant": seed["tenant_id"], "Content-Type": "application/json"}
    body = json.dumps(REPORT)
    return [
        {"name": "create report", "kind": "create", "method": "POST", "path": "/v1/reporting/reports", "body": body,
         "headers": auth, "baseline": ("POST", "/reports", base, body)},
        {"name": "read report by id", "kind": "read", "method": "GET", "path": f"/v1/reporting/reports/{seed['report_id']}",
         "headers": auth, "baseline": ("GET", f"/reports/{seed['report_id']}", base, None)},
        {"name": "list reports (page of 20)", "kind": "read", "method": "GET", "path": "/v1/reporting/reports?limit=20",
         "headers": auth, "baseline": ("GET", "/reports?limit=20", base, None)},
        {"name": "availability (7 days)", "kind": "read", "method": "GET",
         "path": f"/v1/booking/resources/{seed['resource_id']}/availability?{window}", "headers": auth,
         "baseline": ("GET", f"/resources/{seed['resource_id']}/availability?{window}", base, None)},
    ]


def queries_per_request(seed: dict, scenarios: list[dict]) -> dict:
    """SQL statements each endpoint sends, counted in-process on the same database."""
    app = seed["app"]
    engine = app.extensions["civic.engine"]
    http = app.test_client()
    counts = {}
    for scenario in scenarios:
        kwargs = {"headers": scenario["headers"]}
        if scenario.get("body"):
            kwargs["data"] = scenario["body"]
        http.open(scenario["path"], method=scenario["method"], **kwargs)  # warm caches
        with harness.counting_queries(engine) as count:
            response = http.open(scenario["path"], method=scenario["method"], **kwargs)
        counts[scenario["name"]] = {"queries": count[0], "status": response.status_code}
    with harness.counting_queries(engine) as count:
        http.get("/v1/whoami", headers=scenarios[0]["headers"])
    counts["whoami (token check only)"] = {"queries": count[0], "status": 200}
    engine.dispose()
    return counts


def run_backend(database_url: str, label: str, seconds: int) -> dict:
    seed = _seed(database_url)
    scenarios = _scenarios(seed)
    results = {"backend": label, "endpoints": [], "gateway": {}}
    results["queries_per_request"] = queries_per_request(seed, scenarios)
    env = _env(database_url)
    with harness.platform_server(database_url, workers=WORKERS, threads=THREADS, env=env) as platform, \
            harness.baseline_server(database_url, workers=WORKERS, threads=THREADS, env=env) as baseline:
        for scenario in scenarios:
            ours = harness.wrk(platform.url + scenario["path"], method=scenario["method"], headers=scenario["headers"],
                               body=scenario.get("body"), seconds=seconds)
            method, path, headers, body = scenario["baseline"]
            theirs = harness.wrk(baseline.url + path, method=method, headers=headers, body=body, seconds=seconds)
            results["endpoints"].append({"endpoint": scenario["name"], "kind": scenario["kind"], "platform": ours,
                                         "baseline": theirs, "ratio": round(ours["rps"] / theirs["rps"], 3)})
        auth = {"Authorization": f"Bearer {seed['token']}"}
        open_ = harness.wrk(platform.url + "/healthz", seconds=seconds)
        authed = harness.wrk(platform.url + "/v1/whoami", headers=auth, seconds=seconds)
        token_body = f"grant_type=client_credentials&client_id={seed['client_id']}&client_secret={seed['secret']}"
        tokens = harness.wrk(platform.url + "/oauth/token", method="POST", body=token_body,
                             headers={"Content-Type": "application/x-www-form-urlencoded"}, seconds=seconds)
        results["gateway"] = {"unprotected_healthz": open_, "authenticated_whoami": authed, "token_endpoint": tokens,
                              "token_check_overhead": round(1 - authed["rps"] / open_["rps"], 3)}
        results["peak_rss_mb_per_web_worker"] = platform.peak_rss_mb()
    return results


@contextlib.contextmanager
def sqlite_database():
    from civic.core import db, migrate

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        engine = db.create_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url


def run(quick: bool = False, sqlite: bool = True) -> dict:
    from bench.core_bench import postgres_database

    if not harness.have_wrk():
        raise SystemExit("make bench needs wrk (Debian: apt-get install wrk)")
    seconds = 3 if quick else 10
    out = {"workers": WORKERS, "threads": THREADS, "seconds_per_endpoint": seconds, "runs": []}
    with postgres_database() as (url, _engine):
        out["runs"].append(run_backend(url, "postgresql", seconds))
    if sqlite:
        with sqlite_database() as url:
            out["runs"].append(run_backend(url, "sqlite", seconds))
    return out


def report(results: dict) -> str:
    lines = []
    for run in results["runs"]:
        rows = []
        for e in run["endpoints"]:
            target = 0.6 if e["kind"] == "create" else 0.7
            rows.append({"endpoint": e["endpoint"], "platform req/s": e["platform"]["rps"],
                         "p50 ms": e["platform"]["p50_ms"], "p99 ms": e["platform"]["p99_ms"],
                         "baseline req/s": e["baseline"]["rps"], "base p50": e["baseline"]["p50_ms"],
                         "base p99": e["baseline"]["p99_ms"], "ratio": e["ratio"], "target": f">= {target}",
                         "queries": run["queries_per_request"][e["endpoint"]]["queries"],
                         "non-2xx": e["platform"]["non2xx"]})
        g = run["gateway"]
        lines.append(f"\n== {run['backend']} ({results['workers']} gunicorn workers x {results['threads']} threads, "
                     f"{results['seconds_per_endpoint']} s per endpoint, wrk 16 connections) ==")
        lines.append(harness.table(rows, list(rows[0])))
        lines.append(f"token check: /healthz {g['unprotected_healthz']['rps']} req/s, /v1/whoami "
                     f"{g['authenticated_whoami']['rps']} req/s -> overhead {g['token_check_overhead']:.1%} "
                     f"(target < 15%); token endpoint {g['token_endpoint']['rps']} req/s "
                     f"(p50 {g['token_endpoint']['p50_ms']} ms)")
        lines.append(f"peak RSS of one web worker: {run['peak_rss_mb_per_web_worker']} MB")
    return "\n".join(lines)


if __name__ == "__main__":
    result = run(quick="--quick" in sys.argv, sqlite="--no-sqlite" not in sys.argv)
    print(report(result))
