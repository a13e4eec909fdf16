"""Request ids, JSON logs, Prometheus metrics, and the health endpoints."""
import functools
import hmac
import json
import logging
import sys
import time
import uuid

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from civic.core.auth import SCOPES_ATTR, public, require
from civic.core.db import engine

# Attributes every LogRecord has; anything else was passed in `extra=` and is logged.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
SECRET_WORDS = ("secret", "password", "token", "authorization", "api_key", "apikey", "code_verifier")


class JsonFormatter(logging.Formatter):
    """One JSON object per line; fields whose names look secret are never written."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                 "logger": record.name, "message": record.getMessage()}
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = _redact(key, value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def _redact(key: str, value):
    """The value, with anything under a secret-looking name (at any depth) replaced."""
    if any(word in key.lower() for word in SECRET_WORDS):
        return "[redacted]"
    if isinstance(value, dict):
        return {k: _redact(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact("", v) for v in value]
    return value


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.request_id = g.get("request_id")
        except RuntimeError:  # outside a request
            record.request_id = None
        return True


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if any(getattr(h, "_civic", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler._civic = True
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("werkzeug").setLevel("WARNING")
    logging.captureWarnings(True)  # Python warnings too, so stderr stays one JSON object per line


health = Blueprint("health", __name__)


@health.get("/healthz")
@public
def healthz():
    """Liveness: the process is up."""
    return {"status": "ok"}


@health.get("/readyz")
@public
def readyz():
    """Readiness: the database answers."""
    try:
        with engine().connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        return {"status": "unavailable", "database": "unreachable", "error": type(exc).__name__}, 503
    return {"status": "ok", "database": "ok"}


def _metrics():
    """Prometheus metrics for this process."""
    return Response(generate_latest(current_app.extensions["civic.metrics"]["registry"]), mimetype=CONTENT_TYPE_LATEST)


_steward_metrics = require("platform:admin")(_metrics)


def _private_metrics():
    """Prometheus metrics for this process: a steward's token, or the CIVIC_METRICS_TOKEN secret."""
    secret = current_app.config["METRICS_TOKEN"]
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    if secret and scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), secret.encode()):
        return _metrics()
    return _steward_metrics()


setattr(_private_metrics, SCOPES_ATTR, ("platform:admin", "(or CIVIC_METRICS_TOKEN)"))


def _metrics_view(app):
    """Public in development and test by default; CIVIC_METRICS_PUBLIC decides."""
    return public(functools.wraps(_metrics)(lambda: _metrics())) if app.config["METRICS_PUBLIC"] else _private_metrics


def init_app(app) -> None:
    configure_logging(app.config["LOG_LEVEL"])
    registry = CollectorRegistry()
    requests_total = Counter("civic_http_requests_total", "HTTP requests", ["method", "endpoint", "status"], registry=registry)
    latency = Histogram("civic_http_request_seconds", "HTTP request latency", ["method", "endpoint"], registry=registry)
    app.extensions["civic.metrics"] = {"registry": registry}
    access = logging.getLogger("civic.access")

    @app.before_request
    def _start():
        # Always our own id: a caller's X-Request-ID could otherwise name another request in the audit.
        g.request_id = uuid.uuid4().hex
        incoming = request.headers.get("X-Request-ID", "")
        g.client_request_id = incoming[:64] if incoming.isprintable() else None
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        endpoint = request.endpoint or "unmatched"
        requests_total.labels(request.method, endpoint, response.status_code).inc()
        latency.labels(request.method, endpoint).observe(elapsed)
        fields = {"method": request.method, "path": request.path, "status": response.status_code,
                  "ms": round(elapsed * 1000, 2)}
        if g.get("client_request_id"):
            fields["client_request_id"] = g.client_request_id  # the caller's own id, logged beside ours
        access.info("request", extra=fields)
        return response

    app.register_blueprint(health)
    app.add_url_rule("/metrics", endpoint="health.metrics", view_func=_metrics_view(app), methods=["GET"])
