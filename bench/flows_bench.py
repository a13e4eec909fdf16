"""Flows: event-to-webhook delivery latency (median, 99th percentile) and throughput with two `civic worker`
processes on PostgreSQL, delivering to a receiver on loopback that verifies every signature. Latency runs
from the answer of the API call that caused the event (its commit) to the signed request's arrival: two
outbox jobs (fan-out, then the delivery) and the HTTP POST. And what 100 automations' CEL conditions cost
per event, beside the same tests in Python. Figures are reported, never asserted."""
import contextlib
import json
import statistics
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.core_bench import SECRET, _env, postgres_database


@contextlib.contextmanager
def receiver(secret_box: dict):
    from standardwebhooks.webhooks import Webhook

    arrivals: dict = {}
    bad: list = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            now = time.perf_counter()
            try:
                event = Webhook(secret_box["secret"]).verify(body, dict(self.headers))
                arrivals.setdefault(event["subject"], now)
            except Exception as exc:  # a signature that does not verify is counted, not hidden
                bad.append(repr(exc))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks", arrivals, bad
    finally:
        server.shutdown()
        server.server_close()


def _wait(arrivals: dict, subjects, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(s in arrivals for s in subjects):
        time.sleep(0.005)


def _emit_burst(app, tenant_id, n: int) -> list[str]:
    """`n` booking events committed in one transaction (copies of a real one's payload, each its own subject)."""
    import sqlalchemy as sa

    from civic.booking import events as booking_events
    from civic.core.db import session, unit_of_work
    from civic.core.events import Event
    from civic.core.tenancy import tenant_context

    subjects = [str(uuid.uuid4()) for _ in range(n)]
    with app.test_request_context(), tenant_context(tenant_id), unit_of_work():
        data = session.scalars(sa.select(Event.data).where(Event.type == "civic.booking.created")
                               .order_by(Event.time.desc()).limit(1)).one()
        for subject in subjects:
            booking_events.CREATED.emit(tenant_id=tenant_id, subject=subject, data=dict(data))
    return subjects


def condition_cost(automations_defined: int = 100, events: int = 200) -> dict:
    """What deciding costs per event when one tenant has 100 automations: each one's CEL condition evaluated
    against the event (compiled once, as the runner keeps them), beside the same tests written in Python."""
    from civic.flows import automations

    conditions = [f'event.data.category == "c{i}" && event.data.status in ["open", "acknowledged"]'
                  for i in range(automations_defined)]
    envelope = {"type": "civic.reporting.report_created", "subject": "r",
                "data": {"report_id": str(uuid.uuid4()), "category": "c7", "status": "open", "sandbox": False}}
    for condition in conditions:
        automations._condition_holds(condition, envelope)  # compiled and cached
    started = time.perf_counter()
    for _ in range(events):
        held = sum(automations._condition_holds(condition, envelope) for condition in conditions)
    cel = (time.perf_counter() - started) / events
    started = time.perf_counter()
    for _ in range(events):
        plain = sum(envelope["data"]["category"] == f"c{i}" and envelope["data"]["status"] in ("open", "acknowledged")
                    for i in range(automations_defined))
    python = (time.perf_counter() - started) / events
    assert held == plain == 1
    return {"automations": automations_defined, "cel_ms_per_event": round(cel * 1000, 2),
            "python_ms_per_event": round(python * 1000, 3), "cel_vs_python": round(cel / python, 1)}


def run(quick: bool = False) -> dict:
    from bench.builders import bearer, create_resource, create_tenant, create_token
    from civic.app import create_app

    paced, burst = (100, 200) if quick else (400, 1000)
    results: dict = {"conditions": condition_cost(events=50 if quick else 200)}
    box: dict = {}
    with postgres_database() as (url, engine), receiver(box) as (hook_url, arrivals, bad):
        app = create_app({"ENV": "test", "DATABASE_URL": url, "SECRET_KEY": SECRET, "LOG_LEVEL": "WARNING",
                          "FLOWS_WEBHOOK_ALLOW_PRIVATE": True, "RATELIMIT_DEFAULT": "1000000 per minute"})
        tenant = create_tenant(app, f"bench-flows-{uuid.uuid4().hex[:6]}")
        headers = bearer(create_token(app, tenant, "flows:read", "flows:write", "booking:read", "booking:write"))
        http = app.test_client()
        endpoint = http.post("/v1/flows/webhooks", headers=headers,
                             json={"url": hook_url, "event_types": ["civic.booking.created"]})
        assert endpoint.status_code == 201, endpoint.json
        box["secret"] = endpoint.json["secret"]
        room = create_resource(http, headers, capacity=10_000)
        start = (time.strftime("%Y-%m-%d", time.gmtime(time.time() + 14 * 86400))) + "T10:00:00+00:00"

        def book() -> tuple[str, float]:
            answer = http.post("/v1/booking/bookings", headers=headers, json={
                "resource_id": room["id"], "start": start, "attendee": {"name": "Sam Citizen"}})
            assert answer.status_code == 201, answer.json
            return answer.json["id"], time.perf_counter()

        env = _env(url, CIVIC_FLOWS_WEBHOOK_ALLOW_PRIVATE="true", CIVIC_JOB_POLL_SECONDS="0.05")
        workers = [subprocess.Popen([sys.executable, "-m", "civic.cli", "worker"], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
        try:
            warm = [book()[0] for _ in range(4)]  # the workers are up and polling once these arrive
            _wait(arrivals, warm, 120)
            time.sleep(1)
            made = {}
            for _ in range(paced):  # one event at a time, as a service makes them
                subject, at = book()
                made[subject] = at
                time.sleep(0.02)
            _wait(arrivals, made, 60)
            latencies = sorted((arrivals[s] - at) * 1000 for s, at in made.items() if s in arrivals)
            results.update(paced_events=paced, delivered=len(latencies),
                           latency_median_ms=round(statistics.median(latencies), 1),
                           latency_p99_ms=round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1))
            burst_made = _emit_burst(app, tenant.id, burst)
            started = time.perf_counter()  # committed at once: now the two workers fan out and deliver them
            _wait(arrivals, burst_made, 300)
            done = sum(1 for s in burst_made if s in arrivals)
            elapsed = max(arrivals[s] for s in burst_made if s in arrivals) - started
            results.update(burst_events=burst, burst_delivered=done, burst_seconds=round(elapsed, 3),
                           deliveries_per_second=round(done / elapsed) if elapsed > 0 else None,
                           bad_signatures=len(bad), workers=2)
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(10)
        app.extensions["civic.engine"].dispose()
    return results


def report(result: dict) -> str:
    return "\n".join([
        "| measure | figure |", "|---|---|",
        f"| event to webhook, 2 workers, PostgreSQL (median) | {result['latency_median_ms']} ms |",
        f"| event to webhook (99th percentile) | {result['latency_p99_ms']} ms ({result['delivered']}/{result['paced_events']} delivered) |",
        f"| {result['burst_events']} events committed at once, to the last delivered | {result['deliveries_per_second']} "
        f"deliveries/s ({result['burst_delivered']} in {result['burst_seconds']} s, {result['bad_signatures']} bad signatures) |",
        f"| {result['conditions']['automations']} automations' CEL conditions per event | "
        f"{result['conditions']['cel_ms_per_event']} ms ({result['conditions']['cel_vs_python']}x the same tests in "
        f"Python, {result['conditions']['python_ms_per_event']} ms) |"])


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv[1:]), indent=2))
