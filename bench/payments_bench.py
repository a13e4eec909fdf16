"""Payments figures: payment creation latency against localstripe, and webhook throughput with deduplication
(a burst of 1,000 events delivered three times each, shuffled).

    python -m bench.payments_bench [--quick]

In process (Flask test client) on SQLite, and on PostgreSQL when CIVIC_TEST_POSTGRES_URL (or
CIVIC_BENCH_POSTGRES_URL) is set. Each figure has its baseline in the same run: creation against the bare
PaymentIntent call to the same localstripe; webhooks against stripe's signature check alone. Figures are
reported, never asserted.
"""
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid

from bench import builders
from bench.harness import free_port, table
from bench.platform_bench import sqlite_database

SECRET = "bench-secret-key-that-is-long-enough-0123456789"
KEYS = {"secret_key": "sk_test_" + "b3nch" * 5, "publishable_key": "pk_test_" + "b3nch" * 5,
        "webhook_secret": "whsec_" + "b3nchb3nch" * 3}


def start_localstripe() -> tuple[str, subprocess.Popen]:
    """localstripe on a free loopback port (the tests use this too); returns its URL and its process.

    `--from-scratch`: never load the store every localstripe on the machine pickles to one shared file.
    """
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return f"http://127.0.0.1:{port}", process
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("localstripe did not start") from None
            time.sleep(0.1)


@contextlib.contextmanager
def localstripe():
    url, process = start_localstripe()
    try:
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _app(database_url: str, stripe_url: str):
    from civic.app import create_app

    return create_app({"ENV": "test", "DATABASE_URL": database_url, "SECRET_KEY": SECRET, "LOG_LEVEL": "WARNING",
                       "RATELIMIT_DEFAULT": "1000000 per minute", "RATELIMIT_ANONYMOUS": "1000000 per minute",
                       "PAYMENTS_STRIPE_API_BASE": stripe_url, "PAYMENTS_STRIPE_RETRIES": 0})


def _organisation(app) -> tuple[dict, object]:
    tenant = builders.create_tenant(app, f"bench-{uuid.uuid4().hex[:8]}", name="Bench")
    headers = builders.bearer(builders.create_token(app, tenant, "payments:read", "payments:write", "clients:manage",
                                                    name="bench"))
    answer = app.test_client().put("/v1/payments/account", headers=headers, json=KEYS)
    assert answer.status_code == 200, answer.get_json()
    return headers, tenant


def _ms(timings: list[float]) -> dict:
    return {"median_ms": round(statistics.median(timings), 2), "p90_ms": round(statistics.quantiles(timings, n=10)[-1], 2)}


def creation(database_url: str, stripe_url: str, *, runs: int) -> dict:
    """POST /v1/payments (validation, record, PaymentIntent at localstripe, history, expiry job) vs the bare call."""
    import stripe

    app = _app(database_url, stripe_url)
    headers, _tenant = _organisation(app)
    client = app.test_client()
    body = {"amount": 2500, "description": "Community room hire", "reference": "BENCH",
            "return_url": "https://club.example.org/paid", "email": "sam@example.org"}
    platform, bare = [], []
    direct = stripe.StripeClient(KEYS["secret_key"], base_addresses={"api": stripe_url}, max_network_retries=0)
    for n in range(runs + 3):
        began = time.perf_counter()
        answer = client.post("/v1/payments", headers={**headers, "Idempotency-Key": f"bench-{n}"}, json=body)
        platform.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 201, answer.get_json()
        began = time.perf_counter()
        direct.v1.payment_intents.create(params={"amount": 2500, "currency": "gbp", "payment_method_types": ["card"]},
                                         options={"idempotency_key": f"bare-{uuid.uuid4()}"})
        bare.append((time.perf_counter() - began) * 1000)
    app.extensions["civic.engine"].dispose()
    platform, bare = platform[3:], bare[3:]
    return {"runs": runs, "platform": _ms(platform), "bare_stripe_call": _ms(bare),
            "ratio_median": round(statistics.median(platform) / statistics.median(bare), 2)}


def _signed(event: dict) -> tuple[bytes, dict]:
    body = json.dumps(event).encode()
    stamp = int(time.time())
    signature = hmac.new(KEYS["webhook_secret"].encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={stamp},v1={signature}", "Content-Type": "application/json"}


def _payments(app, tenant, count: int) -> list[str]:
    """`count` unfinished payments with intent ids, written directly (the burst is what is measured)."""
    from civic.core.db import session, unit_of_work
    from civic.core.tenancy import tenant_context
    from civic.payments.models import Payment

    now = dt.datetime.now(dt.timezone.utc)
    intents = [f"pi_bench_{uuid.uuid4().hex}" for _ in range(count)]
    with app.app_context(), tenant_context(tenant.id), unit_of_work():
        session.add_all([Payment(id=uuid.uuid4(), tenant_id=tenant.id, sandbox=False, amount=2500, currency="GBP",
                                 description="Bench", reference="BENCH", return_url="https://club.example.org/paid",
                                 state="created", finished=False, provider="stripe", provider_id=intent,
                                 provider_status="requires_payment_method", amount_refunded=0,
                                 expires_at=now + dt.timedelta(minutes=90), created_at=now, updated_at=now,
                                 metadata_={}, delayed_capture=False) for intent in intents])
    return intents


def webhooks(database_url: str, stripe_url: str, *, events: int, copies: int = 3) -> dict:
    """A burst of `events` Stripe events, each delivered `copies` times, shuffled: events/s and the outcome."""
    import stripe

    app = _app(database_url, stripe_url)
    _headers, tenant = _organisation(app)
    intents = _payments(app, tenant, events)
    unique = [{"id": f"evt_{uuid.uuid4().hex}", "object": "event", "type": "payment_intent.succeeded",
               "created": int(time.time()), "data": {"object": {"id": intent, "object": "payment_intent",
                                                                "status": "succeeded"}}} for intent in intents]
    deliveries = [_signed(event) for event in unique for _ in range(copies)]
    random.Random(13).shuffle(deliveries)
    client = app.test_client()
    url = f"/v1/payments/webhooks/stripe/{tenant.id}"
    outcomes: dict[str, int] = {}
    began = time.perf_counter()
    for body, headers in deliveries:
        answer = client.post(url, data=body, headers=headers)
        assert answer.status_code == 200, answer.get_json()
        outcome = answer.get_json()["outcome"]
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    elapsed = time.perf_counter() - began
    began = time.perf_counter()
    for body, headers in deliveries:
        stripe.Webhook.construct_event(body, headers["Stripe-Signature"], KEYS["webhook_secret"], api_key="sk_unused")
    verify_only = time.perf_counter() - began

    from civic.core.db import session
    from civic.core.tenancy import tenant_context
    from civic.payments.models import Payment
    import sqlalchemy as sa
    with app.app_context(), tenant_context(tenant.id):
        succeeded = session.scalar(sa.select(sa.func.count()).select_from(Payment).where(Payment.state == "success"))
    app.extensions["civic.engine"].dispose()
    assert outcomes.get("applied") == events and outcomes.get("already_received") == events * (copies - 1), outcomes
    assert succeeded == events
    return {"events": events, "deliveries": len(deliveries), "outcomes": outcomes,
            "deliveries_per_s": round(len(deliveries) / elapsed, 1),
            "signature_check_only_per_s": round(len(deliveries) / verify_only, 1),
            "ratio": round((len(deliveries) / verify_only) / (len(deliveries) / elapsed), 1),
            "payments_succeeded": succeeded}


def _postgres():
    from bench.core_bench import postgres_database as fresh

    return fresh()


def run(*, quick: bool = False) -> dict:
    runs, events = (30, 300) if quick else (200, 1000)
    results = {}
    with localstripe() as stripe_url:
        with sqlite_database() as url:
            results["sqlite"] = {"creation": creation(url, stripe_url, runs=runs),
                                 "webhooks": webhooks(url, stripe_url, events=events)}
        if os.environ.get("CIVIC_BENCH_POSTGRES_URL") or os.environ.get("CIVIC_TEST_POSTGRES_URL"):
            with _postgres() as (url, _engine):
                results["postgres"] = {"creation": creation(url, stripe_url, runs=runs),
                                       "webhooks": webhooks(url, stripe_url, events=events)}
    return results


def report(result: dict) -> str:
    rows = []
    for backend, figures in result.items():
        creation_, hooks = figures["creation"], figures["webhooks"]
        rows.append({"backend": backend, "create median ms": creation_["platform"]["median_ms"],
                     "create p90 ms": creation_["platform"]["p90_ms"],
                     "bare Stripe call ms": creation_["bare_stripe_call"]["median_ms"],
                     "create ratio": creation_["ratio_median"], "webhook deliveries/s": hooks["deliveries_per_s"],
                     "signature-only/s": hooks["signature_check_only_per_s"], "webhook ratio": hooks["ratio"]})
    return table(rows, list(rows[0]))


if __name__ == "__main__":
    figures = run(quick="--quick" in sys.argv)
    print(json.dumps(figures, indent=2))
    print(report(figures))
