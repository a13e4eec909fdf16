"""Shared benchmark plumbing: start servers, drive them with wrk, count queries, read memory.

Load comes from `wrk` (Debian package `wrk`) on loopback, in a second process,
so the load generator does not share the server's interpreter. Every figure is
measured in the same run as its baseline; we report ratios, never absolute
pass/fail thresholds.
"""
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import requests

LUA = """
wrk.method = "{method}"
wrk.body = {body}
{headers}
done = function(summary, latency, requests)
  io.write(string.format('{{"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p99_us": %d}}\\n', summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def wrk(url: str, *, method: str = "GET", headers: dict | None = None, body: str | None = None,
        seconds: int = 10, connections: int = 16, threads: int = 2) -> dict:
    """Requests per second and latency percentiles of one endpoint under steady load."""
    header_lines = "\n".join(f'wrk.headers["{k}"] = {json.dumps(v)}' for k, v in (headers or {}).items())
    script = LUA.format(method=method, body=json.dumps(body) if body is not None else "nil", headers=header_lines)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency",
                              "-s", handle.name, url], capture_output=True, text=True, timeout=seconds + 60)
    finally:
        os.unlink(handle.name)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith('{"requests"')), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {out.stdout[-500:]} {out.stderr[-500:]}")
    raw = json.loads(line)
    seconds_run = raw["duration_us"] / 1e6
    return {"rps": round(raw["requests"] / seconds_run, 1), "p50_ms": round(raw["p50_us"] / 1000, 2),
            "p99_ms": round(raw["p99_us"] / 1000, 2), "requests": raw["requests"], "non2xx": raw["non2xx"],
            "socket_errors": raw["socket_errors"]}


class Server:
    """A server subprocess on a free loopback port, stopped on exit."""

    def __init__(self, argv: list[str], env: dict, port: int, name: str):
        self.port, self.name = port, name
        self.url = f"http://127.0.0.1:{port}"
        # Logs go to a file: a pipe nobody reads would fill up and stall the server under load.
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=self.log,
                                        start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"{name} exited: {self.log.read().decode()[-2000:]}")
            try:
                if requests.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{name} did not start")

    def worker_pids(self) -> list[int]:
        """The web worker processes (gunicorn's children)."""
        try:
            out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        except FileNotFoundError:
            return [self.process.pid]
        return [int(p) for p in out.split()] or [self.process.pid]

    def peak_rss_mb(self) -> float:
        """Largest peak resident memory (VmHWM) of one web worker."""
        peaks = []
        for pid in self.worker_pids():
            with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
        return round(max(peaks), 1) if peaks else 0.0

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, 15)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def platform_server(database_url: str, *, workers: int, threads: int, env: dict) -> Server:
    port = free_port()
    return Server([sys.executable, "-m", "civic.cli", "serve", "--port", str(port), "--workers", str(workers),
                   "--threads", str(threads)], env, port, "platform")


def baseline_server(database_url: str, *, workers: int, threads: int, env: dict) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--threads", str(threads), "--worker-class", "gthread" if threads > 1 else "sync",
            "bench.baseline:create_app()"]
    return Server(argv, {**env, "BASELINE_DATABASE_URL": database_url}, port, "baseline")


@contextlib.contextmanager
def counting_queries(engine):
    """Count SQL statements sent on `engine` inside the block: `with counting_queries(e) as n: ...; n[0]`."""
    from sqlalchemy import event

    count = [0]

    def before(*_args, **_kwargs):
        count[0] += 1

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield count
    finally:
        event.remove(engine, "before_cursor_execute", before)


def table(rows: list[dict], columns: list[str]) -> str:
    """A plain text table."""
    widths = [max(len(str(c)), *(len(str(r.get(c, ""))) for r in rows)) for c in columns]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(columns, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(r.get(c, "")).ljust(w) for c, w in zip(columns, widths)) for r in rows]
    return "\n".join(lines)
