"""Flows test helpers: a webhook receiver on loopback that verifies Standard Webhooks signatures, and an
organisation with a flows and booking client."""
import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from civic.core.db import session, unit_of_work
from civic.core.jobs import Job
from civic.core.tenancy import place_wide
from tests.booking.conftest import at, iso, next_weekday
from tests.builders import create_booking, create_resource

FLOWS = ("flows:read", "flows:write")
BOOKING = ("booking:read", "booking:write")


class Receiver:
    """A threaded HTTP server on 127.0.0.1 answering each POST with the next planned answer (else 200)."""

    def __init__(self):
        self.received: list[dict] = []
        self.plan: queue.Queue = queue.Queue()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                owner.received.append({"path": self.path, "headers": dict(self.headers), "body": body.decode()})
                try:
                    status, headers, text, delay = owner.plan.get_nowait()
                except queue.Empty:
                    status, headers, text, delay = 200, {}, "ok", 0
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    payload = text.encode()
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the platform gave up waiting

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def answer(self, status: int, headers: dict | None = None, text: str = "", delay: float = 0) -> None:
        self.plan.put((status, headers or {}, text, delay))

    def verified(self, secret: str, index: int = -1) -> dict:
        """The CloudEvent of a request, after checking its signature (raises if it does not verify)."""
        request = self.received[index]
        return Webhook(secret).verify(request["body"], request["headers"])

    def verifies(self, secret: str, index: int = -1) -> bool:
        try:
            self.verified(secret, index)
            return True
        except WebhookVerificationError:
            return False

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.stop()


@pytest.fixture
def flows_settings():
    """Override in a test module to change the component's settings."""
    return {"FLOWS_WEBHOOK_ALLOW_PRIVATE": True}


@pytest.fixture
def app_config(flows_settings):
    return {"FLOWS_WEBHOOK_TIMEOUT_SECONDS": 1.0, **flows_settings}


class Org:
    """An organisation with an app holding flows and booking scopes, and a resource to book."""

    def __init__(self, make, client, *, sandbox=False):
        self.make, self.client = make, client
        self.tenant = make.tenant()
        self.headers = make.headers(self.tenant, *FLOWS, *BOOKING, sandbox=sandbox)
        self._resource = None
        self._day = 0

    def subscribe(self, url, event_types=("civic.booking.created",), **extra) -> dict:
        answer = self.client.post("/v1/flows/webhooks", headers=self.headers,
                                  json={"url": url, "event_types": list(event_types), **extra})
        assert answer.status_code == 201, answer.json
        return answer.json

    def book(self) -> dict:
        """Cause a real `civic.booking.created` through the booking API."""
        if self._resource is None:
            self._resource = create_resource(self.client, self.headers, capacity=50)
        self._day += 1  # a new hour each time: one place each
        return create_booking(self.client, self.headers, self._resource["id"],
                              iso(at(next_weekday(self._day % 5), f"{9 + self._day // 5 % 8:02d}:00")))

    def get(self, path, **kwargs):
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path, **kwargs):
        return self.client.post(path, headers=self.headers, **kwargs)

    def deliveries(self, endpoint, **query) -> list[dict]:
        answer = self.get(f"/v1/flows/webhooks/{endpoint['id']}/deliveries", query_string=query)
        assert answer.status_code == 200, answer.json
        return answer.json["items"]

    def delivery(self, delivery_id) -> dict:
        answer = self.get(f"/v1/flows/deliveries/{delivery_id}")
        assert answer.status_code == 200, answer.json
        return answer.json


@pytest.fixture
def org(make, client) -> Org:
    return Org(make, client)


@pytest.fixture
def other_org(make, client) -> Org:
    return Org(make, client)


def jobs_due_now(app) -> None:
    """Move time on for the queue: every pending job is due now (instead of waiting out its delay)."""
    with app.app_context(), unit_of_work():
        session.execute(sa.update(Job).where(Job.status == "pending").values(run_at=sa.func.now()))


def stored(app, model, *where):
    with app.app_context(), place_wide("tests.inspection"):
        return list(session.scalars(sa.select(model).where(*where)))


def change(app, model, *where, **values) -> None:
    with app.app_context(), unit_of_work(), place_wide("tests.inspection"):
        session.execute(sa.update(model).where(*where).values(**values))


def envelope_of(request: dict) -> dict:
    return json.loads(request["body"])
