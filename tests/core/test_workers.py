"""Real worker processes share the outbox: none runs a job twice, none loses one, a killed one's job is taken over.

The jobs are the core's own `core.noop` (it does nothing, after an optional `sleep`), so a
`civic worker` subprocess can run them with no test code loaded into it.
"""
import os
import signal
import subprocess
import sys
import time

import sqlalchemy as sa

from civic.core import jobs
from civic.core.db import session, unit_of_work
from tests.conftest import postgres_only
from tests.core.conftest import civic_env
from civic.core.tenancy import place_wide


def start_worker(database_url: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "civic.cli", "worker"],
                            env=civic_env(database_url, CIVIC_JOB_POLL_SECONDS="0.05", **env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(condition, processes=(), timeout: float = 60.0, what: str = "condition"):
    """Poll until `condition()` is truthy; fail early if a worker process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        for process in processes:
            if process.poll() is not None:
                raise AssertionError(f"a worker exited ({process.returncode}): {process.stderr.read().decode()[-2000:]}")
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}: {condition()!r}")


def job_states(app) -> list[tuple]:
    """(id, status, attempts, locked_by) of the test's jobs (components may queue periodic ones of their own)."""
    with app.app_context(), place_wide("tests.inspection"):
        return list(session.execute(sa.select(jobs.Job.id, jobs.Job.status, jobs.Job.attempts, jobs.Job.locked_by)
                                    .where(jobs.Job.name == "core.noop")))


def enqueue_noops(app, count: int, **payload) -> list:
    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        return [jobs.enqueue("core.noop", dict(payload)).id for _ in range(count)]


@postgres_only
def test_two_worker_processes_drain_1000_jobs_none_twice_none_lost(app, database_url):
    # 10 ms each: 10 s of work for one worker alone, so the second, however slowly it starts on a loaded
    # machine, is running before the first has taken everything.
    queued = set(enqueue_noops(app, 1000, sleep=0.01))
    workers = [start_worker(database_url) for _ in range(2)]
    try:
        wait_for(lambda: all(status == "done" for _, status, _, _ in job_states(app)), workers, what="1,000 jobs done")
    finally:
        stop(*workers)
    states = job_states(app)
    assert {job_id for job_id, *_ in states} == queued  # none lost, none invented
    assert {(status, attempts) for _, status, attempts, _ in states} == {("done", 1)}  # each claimed exactly once
    assert len({locked_by for *_, locked_by in states}) == 2, "both workers should have shared the work"


@postgres_only
def test_a_killed_workers_job_is_run_again_after_its_lease(app, database_url):
    [job_id] = enqueue_noops(app, 1, sleep=3)
    lease = {"CIVIC_JOB_LEASE_SECONDS": "2"}
    first = start_worker(database_url, **lease)
    second = None
    try:
        running = wait_for(lambda: [s for s in job_states(app) if s[1] == "running"], [first], what="the job to start")
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        killed_name = running[0][3]
        second = start_worker(database_url, **lease)
        wait_for(lambda: job_states(app)[0][1] == "done", [second], what="the job to be taken over")
    finally:
        stop(*[p for p in (first, second) if p is not None])
    [(done_id, status, attempts, locked_by)] = job_states(app)
    assert (done_id, status, attempts) == (job_id, "done", 2)
    assert locked_by != killed_name


def test_serve_runs_jobs_in_process(app, live_server):
    """The embedded default: `civic serve` alone runs queued jobs, no extra service."""
    server = live_server()
    queued = set(enqueue_noops(app, 5))
    wait_for(lambda: {job_id for job_id, status, *_ in job_states(app) if status == "done"} == queued,
             what="the embedded worker to run the jobs", timeout=30)
    assert server.process.poll() is None
