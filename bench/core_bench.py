"""The core's figures: `civic --help` start-up time, outbox drain rate with two `civic worker`
processes on PostgreSQL (a no-op job), and peak RSS of one web worker under load.

    python -m bench.core_bench [--quick]

PostgreSQL comes from CIVIC_BENCH_POSTGRES_URL (or CIVIC_TEST_POSTGRES_URL, or the CI default);
each run uses a database of its own and drops it afterwards. Figures are reported, never asserted.
"""
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import sqlalchemy as sa

SECRET = "bench-secret-key-that-is-long-enough-0123456789"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def _env(database_url: str, **extra: str) -> dict:
    return {**os.environ, "CIVIC_ENV": "test", "CIVIC_DATABASE_URL": database_url, "CIVIC_SECRET_KEY": SECRET,
            "CIVIC_LOG_LEVEL": "WARNING", **extra}


def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@contextlib.contextmanager
def postgres_database():
    """A fresh, migrated PostgreSQL database for one run."""
    from civic.core import db, migrate

    base = _psycopg(os.environ.get("CIVIC_BENCH_POSTGRES_URL") or os.environ.get("CIVIC_TEST_POSTGRES_URL") or DEFAULT_PG)
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"civic_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    engine = db.create_engine(url)
    try:
        migrate.upgrade(engine)
        yield url, engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def help_time(runs: int) -> dict:
    """Wall time of `civic --help` (interpreter start plus imports), and the slowest imports."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "civic.cli", "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    bare = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, capture_output=True)
        bare.append(time.perf_counter() - started)
    trace = subprocess.run([sys.executable, "-X", "importtime", "-m", "civic.cli", "--help"], capture_output=True,
                           text=True).stderr
    cumulative = []
    for line in trace.splitlines()[1:]:
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[1].isdigit():
            cumulative.append((int(parts[1]), parts[2]))
    top = [name.strip() for _us, name in sorted(cumulative, reverse=True) if not name.startswith(" ")][:8]
    return {"civic_help_seconds_median": round(statistics.median(times), 3),
            "civic_help_seconds_min": round(min(times), 3),
            "python_startup_seconds_median": round(statistics.median(bare), 3),
            "slowest_top_level_imports": top}


def _insert_noops(engine, count: int) -> None:
    from civic.core.db import utcnow
    from civic.core.jobs import Job

    now = utcnow()
    rows = [{"id": uuid.uuid4(), "name": "core.noop", "payload": {}, "status": "pending", "attempts": 0,
             "max_attempts": 8, "run_at": now, "created_at": now, "updated_at": now} for _ in range(count)]
    with engine.begin() as conn:
        conn.execute(sa.insert(Job), rows)


def _pending(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM core_job WHERE status <> 'done'")).scalar_one()


def drain_rate(jobs: int, workers: int = 2) -> dict:
    """Jobs per second that `workers` idle `civic worker` processes drain from a full outbox."""
    with postgres_database() as (url, engine):
        procs = [subprocess.Popen([sys.executable, "-m", "civic.cli", "worker"],
                                  env=_env(url, CIVIC_JOB_POLL_SECONDS="0.05"),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
        try:
            _insert_noops(engine, workers)  # wait until every worker is up and polling
            while _pending(engine):
                time.sleep(0.05)
            time.sleep(0.2)
            _insert_noops(engine, jobs)
            started = time.perf_counter()
            while _pending(engine):
                time.sleep(0.01)
            elapsed = time.perf_counter() - started
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(10)
        with engine.connect() as conn:
            attempts = conn.execute(sa.text("SELECT max(attempts) FROM core_job")).scalar_one()
    return {"drain_jobs": jobs, "drain_workers": workers, "drain_seconds": round(elapsed, 3),
            "drain_jobs_per_second": round(jobs / elapsed), "drain_max_attempts": attempts}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _peak_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


def web_worker_rss(seconds: float, threads: int = 8) -> dict:
    """Peak RSS of one `civic serve` process (embedded job worker included) under mixed reads and creates."""
    import requests

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/civic.db"
        env = _env(url)
        subprocess.run([sys.executable, "-m", "civic.cli", "db", "upgrade"], env=env, check=True, capture_output=True)
        # The core's demo place is enough here (the steward's credentials); components seed their own.
        demo = subprocess.run([sys.executable, "-m", "civic.cli", "demo", "--json"], env={**env, "CIVIC_COMPONENTS": ""},
                              check=True,
                              capture_output=True, text=True)
        steward = next(t for t in json.loads(demo.stdout)["tenants"] if t["slug"] == "platform-steward")["clients"][0]
        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "civic.cli", "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with contextlib.suppress(requests.ConnectionError):
                    if requests.get(base + "/healthz", timeout=1).ok:
                        break
                time.sleep(0.1)
            idle = _peak_rss_kib(server.pid)
            token = requests.post(base + "/oauth/token", data={"grant_type": "client_credentials",
                                                               "scope": "platform:admin"},
                                  auth=(steward["client_id"], steward["client_secret"]), timeout=10).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            stop_at = time.monotonic() + seconds
            counts = [0] * threads

            def load(n: int) -> None:
                with requests.Session() as http:
                    while time.monotonic() < stop_at:
                        if counts[n] % 5 == 0:
                            http.post(base + "/v1/admin/tenants", headers=headers, timeout=30,
                                      json={"slug": f"t-{n}-{counts[n]}-{uuid.uuid4().hex[:6]}", "name": "Bench"})
                        else:
                            http.get(base + "/v1/admin/tenants?limit=50", headers=headers, timeout=30)
                        http.get(base + "/openapi.json" if counts[n] % 50 == 0 else base + "/healthz", timeout=30)
                        counts[n] += 1

            pool = [threading.Thread(target=load, args=(n,)) for n in range(threads)]
            for t in pool:
                t.start()
            for t in pool:
                t.join()
            peak = _peak_rss_kib(server.pid)
        finally:
            server.terminate()
            server.wait(10)
    return {"web_rss_idle_mib": round(idle / 1024, 1), "web_rss_peak_mib": round(peak / 1024, 1),
            "web_load_requests": sum(counts) * 2, "web_load_seconds": seconds, "web_load_threads": threads}


def run(quick: bool = False) -> dict:
    """Measure everything; `quick` for a smoke run with small numbers."""
    results = {}
    results.update(help_time(3 if quick else 10))
    results.update(drain_rate(1000 if quick else 20000))
    results.update(web_worker_rss(3 if quick else 20))
    return results


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv[1:]), indent=2))
