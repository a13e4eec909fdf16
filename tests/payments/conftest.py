"""Payments test helpers: a real localstripe on loopback behind a proxy that can fail on purpose, signed webhooks.

localstripe keeps one store for every key and has no idempotency keys, so the proxy records the
Idempotency-Key each call carried (that is what makes real Stripe answer a retry with the same intent).
"""
import hashlib
import hmac
import http.client
import http.server
import json
import threading
import time
import uuid

import pytest
import stripe

from tests.payments import stripe_server

SECRET_KEY = "sk_test_" + "a1b2c3d4" * 3
PUBLISHABLE_KEY = "pk_test_" + "e5f6a7b8" * 3
WEBHOOK_SECRET = "whsec_" + "c0ffee12" * 4
CARD_OK, CARD_DECLINED, CARD_3DS = "4242424242424242", "4000000000000341", "4000002500003155"  # localstripe's


@pytest.fixture(scope="session")
def localstripe():
    return stripe_server.url()


class FaultProxy(http.server.ThreadingHTTPServer):
    """Forwards to localstripe; `mode` makes it answer 500, 429, or answer too late (after Stripe did the work)."""

    daemon_threads = True

    def __init__(self, upstream: str):
        super().__init__(("127.0.0.1", 0), _Forward)
        self.upstream = upstream.removeprefix("http://")
        self.mode, self.calls, self.delay = "pass", [], 2.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Forward(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _any(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server = self.server
        server.calls.append((self.command, self.path, self.headers.get("Idempotency-Key")))
        if server.mode in ("500", "429"):
            payload = json.dumps({"error": {"type": "api_error", "message": "injected"}}).encode()
            self.send_response(int(server.mode))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            if server.mode == "429":
                self.send_header("Retry-After", "7")
            self.end_headers()
            self.wfile.write(payload)
            return
        upstream = http.client.HTTPConnection(server.upstream, timeout=10)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        upstream.request(self.command, self.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        if server.mode == "late":  # Stripe did the work; the answer never arrives in time
            time.sleep(server.delay)
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("transfer-encoding", "content-length", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_DELETE = _any


@pytest.fixture
def stripe_proxy(localstripe):
    proxy = FaultProxy(localstripe)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    yield proxy
    proxy.shutdown()
    proxy.server_close()


@pytest.fixture
def app_config(stripe_proxy):
    return {"PAYMENTS_STRIPE_API_BASE": stripe_proxy.url, "PAYMENTS_STRIPE_TIMEOUT_SECONDS": 1.0,
            "PAYMENTS_STRIPE_RETRIES": 0}


def page(localstripe: str) -> stripe.StripeClient:
    """What the payer's page does with Stripe's elements, straight against localstripe."""
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": localstripe}, max_network_retries=0)


def pay(localstripe: str, intent_id: str, card: str = CARD_OK):
    """Attach a test card to the intent and confirm it, as Stripe.js would; returns Stripe's intent."""
    client = page(localstripe)
    method = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": card, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    client.v1.payment_intents.update(intent_id, params={"payment_method": method.id})
    try:
        return client.v1.payment_intents.confirm(intent_id)
    except stripe.CardError:
        return client.v1.payment_intents.retrieve(intent_id)


def signed(event: dict, secret: str = WEBHOOK_SECRET, at: int | None = None) -> tuple[bytes, dict]:
    """A webhook body and its Stripe-Signature header, signed as Stripe signs them."""
    body = json.dumps(event).encode()
    stamp = int(time.time()) if at is None else at
    signature = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={stamp},v1={signature}", "Content-Type": "application/json"}


def event(kind: str, obj: dict, event_id: str | None = None) -> dict:
    return {"id": event_id or f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "type": kind,
            "created": int(time.time()), "api_version": "2024-06-20", "data": {"object": obj}}


def intent_object(intent_id: str, status: str, **extra) -> dict:
    return {"id": intent_id, "object": "payment_intent", "status": status, "amount": 2500, "currency": "gbp", **extra}


class Org:
    """An organisation with payments clients: `both` (read+write), `admin` (can set keys), and its tenant."""

    def __init__(self, make, *, sandbox: bool = False, keys: bool = True):
        self.tenant = make.tenant()
        self.both = make.headers(self.tenant, "payments:read", "payments:write", sandbox=sandbox)
        self.admin = make.headers(self.tenant, "payments:read", "payments:write", "clients:manage", sandbox=sandbox)
        self.make = make
        self.sandbox = sandbox
        if keys:
            self.set_keys()

    def set_keys(self, secret=SECRET_KEY, publishable=PUBLISHABLE_KEY, webhook=WEBHOOK_SECRET):
        http = self.make.http
        answer = http.put("/v1/payments/account", headers=self.admin, json={
            "secret_key": secret, "publishable_key": publishable, "webhook_secret": webhook})
        assert answer.status_code == 200, answer.get_json()
        return answer

    def pay(self, client, headers=None, **overrides):
        body = {"amount": 2500, "description": "Community room hire", "reference": "ROOM-1",
                "return_url": "https://club.example.org/paid", **overrides}
        return client.post("/v1/payments", headers={**(headers or self.both)}, json=body)

    def webhook(self, client, body_headers, tenant=None):
        body, headers = body_headers
        return client.post(f"/v1/payments/webhooks/stripe/{tenant or self.tenant.id}", data=body, headers=headers)


@pytest.fixture
def org(make) -> Org:
    return Org(make)


@pytest.fixture
def other_org(make) -> Org:
    return Org(make)
