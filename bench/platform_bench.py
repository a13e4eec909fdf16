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
    """Each endpoint, with its "same database work" baseline and (where there is one) its bare limit."""
    start, end = _window()
    window = f"from={requests.utils.quote(start)}&to={requests.utils.quote(end)}"
    auth = {"Authorization": f"Bearer {seed['token']}", "Content-Type": "application/json"}
    base = {"X-Tenant": seed["tenant_id"], "Content-Type": "application/json"}
    body = json.dumps(REPORT)
    report = f"/reports/{seed['report_id']}"
    return [
        {"name": "create report", "kind": "create", "method": "POST", "path": "/v1/reporting/reports", "body": body,
         "headers": auth, "baseline": ("POST", "/reports", base, body), "bare": ("POST", "/bare/reports", base, body)},
        {"name": "read report by id", "kind": "read", "method": "GET", "path": f"/v1/reporting{report}",
         "headers": auth, "baseline": ("GET", report, base, None), "bare": ("GET", f"/bare{report}", base, None)},
        {"name": "list reports (page of 20)", "kind": "list", "method": "GET", "path": "/v1/reporting/reports?limit=20",
         "headers": auth, "baseline": ("GET", "/reports?limit=20", base, None),
         "bare": ("GET", "/bare/reports?limit=20", base, None)},
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


def _measure(server, spec: tuple, seconds: int) -> dict:
    method, path, headers, body = spec
    return harness.wrk(server.url + path, method=method, headers=headers, body=body, seconds=seconds)


def _ratio(ours: dict, theirs: dict) -> float:
    return round(ours["rps"] / theirs["rps"], 3) if theirs["rps"] else 0.0


def run_backend(database_url: str, label: str, seconds: int, rounds: int = 2) -> dict:
    """Every endpoint on the platform, its same-work baseline and its bare limit, interleaved, `rounds` times."""
    seed = _seed(database_url)
    scenarios = _scenarios(seed)
    results = {"backend": label, "rounds": [], "gateway": []}
    results["queries_per_request"] = queries_per_request(seed, scenarios)
    env = _env(database_url)
    auth = {"Authorization": f"Bearer {seed['token']}"}
    with harness.platform_server(database_url, workers=WORKERS, threads=THREADS, env=env) as platform, \
            harness.baseline_server(database_url, workers=WORKERS, threads=THREADS, env=env) as baseline:
        for _ in range(rounds):
            endpoints = []
            for scenario in scenarios:
                ours = _measure(platform, (scenario["method"], scenario["path"], scenario["headers"],
                                           scenario.get("body")), seconds)
                same = _measure(baseline, scenario["baseline"], seconds)
                bare = _measure(baseline, scenario["bare"], seconds) if "bare" in scenario else None
                endpoints.append({"endpoint": scenario["name"], "kind": scenario["kind"], "platform": ours,
                                  "baseline": same, "bare": bare, "ratio": _ratio(ours, same),
                                  "bare_ratio": _ratio(ours, bare) if bare else None})
            results["rounds"].append(endpoints)
            open_ = harness.wrk(platform.url + "/healthz", seconds=seconds)
            authed = harness.wrk(platform.url + "/v1/whoami", headers=auth, seconds=seconds)
            results["gateway"].append({"unprotected_healthz": open_, "authenticated_whoami": authed,
                                       "token_check_overhead": round(1 - authed["rps"] / open_["rps"], 3)})
        token_body = f"grant_type=client_credentials&client_id={seed['client_id']}&client_secret={seed['secret']}"
        results["token_endpoint"] = harness.wrk(platform.url + "/oauth/token", method="POST", body=token_body,
                                                headers={"Content-Type": "application/x-www-form-urlencoded"},
                                                seconds=seconds)
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


def run(quick: bool = False, sqlite: bool = True, rounds: int | None = None) -> dict:
    from bench.core_bench import postgres_database

    if not harness.have_wrk():
        raise SystemExit("make bench needs wrk (Debian: apt-get install wrk)")
    seconds = 3 if quick else 8
    rounds = rounds or 2
    out = {"workers": WORKERS, "threads": THREADS, "seconds_per_endpoint": seconds, "rounds": rounds, "runs": []}
    with postgres_database() as (url, _engine):
        out["runs"].append(run_backend(url, "postgresql", seconds, rounds))
    if sqlite:
        with sqlite_database() as url:
            out["runs"].append(run_backend(url, "sqlite", seconds, rounds))
    return out


TARGETS = {"create": 0.40, "read": 0.50, "list": 0.50}  # against the bare limit, PostgreSQL (issue targets)


def _span(values: list) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    low, high = min(values), max(values)
    return f"{low:g}" if low == high else f"{low:g}-{high:g}"


def report(results: dict) -> str:
    """Ranges over the interleaved rounds: req/s, p50 and p99 of the platform, the same-work baseline and the bare
    limit, and the platform's ratio to each."""
    lines = []
    for run in results["runs"]:
        rows = []
        for index, first in enumerate(run["rounds"][0]):
            each = [endpoints[index] for endpoints in run["rounds"]]

            def pick(who, field):
                return _span([e[who][field] for e in each if e[who]])

            rows.append({"endpoint": first["endpoint"], "platform req/s": pick("platform", "rps"),
                         "p50 ms": pick("platform", "p50_ms"), "p99 ms": pick("platform", "p99_ms"),
                         "same-work req/s": pick("baseline", "rps"), "same p50/p99": (
                             f"{pick('baseline', 'p50_ms')}/{pick('baseline', 'p99_ms')}"),
                         "bare req/s": pick("bare", "rps"),
                         "bare p50/p99": f"{pick('bare', 'p50_ms')}/{pick('bare', 'p99_ms')}" if first["bare"] else "-",
                         "ratio same-work": _span([e["ratio"] for e in each]),
                         "ratio bare": _span([e["bare_ratio"] for e in each]),
                         "bare target": f">= {TARGETS[first['kind']]}" if first["bare"] else "-",
                         "queries": run["queries_per_request"][first["endpoint"]]["queries"],
                         "non-2xx": sum(e["platform"]["non2xx"] for e in each)})
        lines.append(f"\n== {run['backend']} ({results['workers']} gunicorn workers x {results['threads']} threads, "
                     f"{results['seconds_per_endpoint']} s per endpoint, wrk 16 connections, "
                     f"{len(run['rounds'])} interleaved rounds; ranges over rounds) ==")
        lines.append(harness.table(rows, list(rows[0])))
        gateway = run["gateway"]
        healthz = _span([g["unprotected_healthz"]["rps"] for g in gateway])
        whoami = _span([g["authenticated_whoami"]["rps"] for g in gateway])
        overhead = _span([round(g["token_check_overhead"] * 100, 1) for g in gateway])
        lines.append(f"token check: /healthz {healthz} req/s (p50 "
                     f"{_span([g['unprotected_healthz']['p50_ms'] for g in gateway])} ms), /v1/whoami {whoami} req/s "
                     f"(p50 {_span([g['authenticated_whoami']['p50_ms'] for g in gateway])} ms, p99 "
                     f"{_span([g['authenticated_whoami']['p99_ms'] for g in gateway])} ms) -> overhead {overhead}% "
                     f"(target < 25%); queries per whoami: {run['queries_per_request']['whoami (token check only)']['queries']}")
        token = run["token_endpoint"]
        lines.append(f"token endpoint {token['rps']} req/s (p50 {token['p50_ms']} ms); peak RSS of one web worker: "
                     f"{run['peak_rss_mb_per_web_worker']} MB")
    return "\n".join(lines)


if __name__ == "__main__":
    rounds = next((int(a.split("=", 1)[1]) for a in sys.argv if a.startswith("--rounds=")), None)
    result = run(quick="--quick" in sys.argv, sqlite="--no-sqlite" not in sys.argv, rounds=rounds)
    print(report(result))
