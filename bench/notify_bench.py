"""Notify: sending throughput with two `civic worker` processes on PostgreSQL against a local Notify-compatible
server (the platform's simulator on loopback, limits lifted), validation time of a 10,000-row batch, and
callback processing rate. Figures are reported, never asserted."""
import contextlib
import http.server
import json
import sys
import threading
import time
import uuid

import sqlalchemy as sa

from bench.core_bench import SECRET, _env, postgres_database

TEMPLATE = "Your bulky waste collection is on ((date))."


class _KeepAliveHandler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 with connections kept open, as Notify's API does (werkzeug's development server closes every
    connection, so each message would pay for a new TCP connection that real Notify does not ask for)."""

    protocol_version = "HTTP/1.1"
    wbufsize = -1  # the headers and the body leave in one write (two small writes wait on delayed ACKs)
    simulator = None

    def _answer(self):
        from werkzeug.test import EnvironBuilder
        from werkzeug.wrappers import Response

        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, _, query = self.path.partition("?")
        environ = EnvironBuilder(path=path, query_string=query, method=self.command, data=body,
                                 headers=[(k, v) for k, v in self.headers.items() if k.lower() != "content-length"],
                                 base_url=self.simulator.base_url).get_environ()
        response = Response.from_app(self.simulator, environ)
        data = response.get_data()
        self.send_response(response.status_code)
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def notify_server():
    from civic.notify.simulator import Simulator

    simulator = Simulator(per_minute=10**9)
    handler = type("Handler", (_KeepAliveHandler,), {"simulator": simulator})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    simulator.base_url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield simulator
    finally:
        server.shutdown()
        server.server_close()


def _organisation(app, simulator):
    from bench.builders import bearer, create_tenant, create_token

    tenant = create_tenant(app, f"bench-notify-{uuid.uuid4().hex[:6]}")
    headers = bearer(create_token(app, tenant, "notify:read", "notify:write"))
    service_id, secret = str(uuid.uuid4()), str(uuid.uuid4())
    simulator.add_key(service_id, secret, "live")
    http = app.test_client()
    assert http.put("/v1/notify/config", headers=headers, json={
        "api_key": f"bench-{service_id}-{secret}", "key_type": "live",
        "callback_token": "bench-callback-token"}).status_code == 200
    template_id = simulator.add_template("sms", TEMPLATE)
    assert http.post("/v1/notify/templates", headers=headers, json={
        "name": "reminder", "notify_template_id": template_id, "channel": "sms"}).status_code == 201
    return tenant, headers, http


def _rows(n: int) -> list[dict]:
    return [{"phone_number": f"0771{i:07d}", "personalisation": {"date": "Friday 5 March"}} for i in range(n)]


def _queued(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM notify_message WHERE status = 'queued'")).scalar_one()


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far (Linux /proc; 0 elsewhere)."""
    import os

    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(quick: bool = False) -> dict:
    import subprocess

    from civic.app import create_app

    sends = 1000 if quick else 5000
    callbacks = 300 if quick else 2000
    results: dict = {}
    with postgres_database() as (url, engine), notify_server() as simulator:
        app = create_app({"ENV": "test", "DATABASE_URL": url, "SECRET_KEY": SECRET, "LOG_LEVEL": "WARNING",
                          "NOTIFY_BASE_URL": simulator.base_url, "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
                          # callbacks come with no platform token: the per-address limit would count them
                          "RATELIMIT_ANONYMOUS": "1000000 per minute"})
        tenant, headers, http = _organisation(app, simulator)
        body = {"template": "reminder", "recipients": _rows(10_000), "validate_only": True}
        started = time.perf_counter()
        checked = http.post("/v1/notify/batches", headers=headers, json=body)
        results["validate_10000_rows_seconds"] = round(time.perf_counter() - started, 3)
        assert checked.status_code == 200, checked.json

        env = _env(url, CIVIC_NOTIFY_BASE_URL=simulator.base_url, CIVIC_NOTIFY_PER_MINUTE="0",
                   CIVIC_NOTIFY_DAILY_LIMITS="", CIVIC_JOB_POLL_SECONDS="0.05")
        workers = [subprocess.Popen([sys.executable, "-m", "civic.cli", "worker"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
        try:
            time.sleep(3)  # both up and polling
            idle_cpu = sum(_cpu_seconds(worker.pid) for worker in workers)
            created = http.post("/v1/notify/batches", headers=headers,
                                json={"template": "reminder", "recipients": _rows(sends)})
            assert created.status_code == 201, created.json
            started = time.perf_counter()
            while _queued(engine):
                time.sleep(0.02)
            elapsed = time.perf_counter() - started
            cpu_seconds = sum(_cpu_seconds(worker.pid) for worker in workers) - idle_cpu
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(10)
        sent = simulator.sent()
        results.update(send_messages=sends, send_workers=2, send_seconds=round(elapsed, 3),
                       send_messages_per_second=round(sends / elapsed),
                       # the workers' own CPU per message sent: what a busy machine changes least
                       send_worker_cpu_ms_per_message=round(cpu_seconds * 1000 / sends, 2),
                       send_duplicates=len(sent) - len({n["reference"] for n in sent}))

        notes = sent[:callbacks]
        started = time.perf_counter()
        for note in notes:
            answer = http.post(f"/v1/notify/callbacks/{tenant.id}", headers={
                "Authorization": "Bearer bench-callback-token"}, json={**simulator.callback_body(note),
                                                                      "status": "delivered"})
            assert answer.status_code == 204, answer.json
        results["callbacks"] = len(notes)
        results["callbacks_per_second"] = round(len(notes) / (time.perf_counter() - started))
        app.extensions["civic.engine"].dispose()
    return results


def report(result: dict) -> str:
    return "\n".join([
        "| measure | figure | target |", "|---|---|---|",
        f"| sending, 2 workers, PostgreSQL, limits lifted | {result['send_messages_per_second']} messages/s "
        f"({result['send_messages']} in {result['send_seconds']} s, {result['send_duplicates']} duplicates) | >= 300/s |",
        f"| workers' CPU per message sent | {result.get('send_worker_cpu_ms_per_message')} ms | |",
        f"| validating a 10,000-row batch | {result['validate_10000_rows_seconds']} s | |",
        f"| callbacks processed (one client, sequential) | {result['callbacks_per_second']}/s | |"])


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv[1:]), indent=2))
