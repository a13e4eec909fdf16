"""JSON logs: one object per line, with the request id, and never a secret."""
import io
import json
import logging

import pytest

from civic.core.observability import JsonFormatter, RequestIdFilter


@pytest.fixture
def log_lines():
    """Everything the platform logs during the test, formatted as it ships."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


def test_each_request_is_logged_as_json_with_its_request_id(client, log_lines):
    response = client.get("/healthz", headers={"X-Request-ID": "trace-abc-123"})
    # The platform's own id; the caller's is only logged beside it.
    assert response.headers["X-Request-ID"] != "trace-abc-123"
    [access] = [line for line in log_lines() if line["logger"] == "civic.access"]
    assert access["request_id"] == response.headers["X-Request-ID"]
    assert access["client_request_id"] == "trace-abc-123"
    assert access["path"] == "/healthz" and access["status"] == 200 and access["method"] == "GET"


def test_a_request_without_an_id_gets_a_fresh_one(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert len(first.headers["X-Request-ID"]) >= 16
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize("incoming", ["x" * 65, "bad\nid"])
def test_an_unusable_request_id_is_replaced(client, incoming):
    echoed = client.get("/healthz", headers={"X-Request-ID": incoming.replace("\n", "%0A")} if "\n" in incoming
                        else {"X-Request-ID": incoming}).headers["X-Request-ID"]
    assert echoed != incoming and 0 < len(echoed) <= 64


def test_fields_named_like_secrets_are_redacted_even_when_nested(log_lines):
    log = logging.getLogger("civic.test")
    log.warning("token issued", extra={"client_secret": "cs_123", "Authorization": "Bearer abc", "tenant": "food-bank",
                                       "request": {"password": "hunter2", "items": [{"api_key": "ak_1"}], "n": 1}})
    [line] = [entry for entry in log_lines() if entry["logger"] == "civic.test"]
    assert line["client_secret"] == "[redacted]" and line["Authorization"] == "[redacted]"
    assert line["tenant"] == "food-bank"
    assert line["request"] == {"password": "[redacted]", "items": [{"api_key": "[redacted]"}], "n": 1}
    assert "hunter2" not in json.dumps(line) and "ak_1" not in json.dumps(line) and "cs_123" not in json.dumps(line)


@pytest.mark.parametrize("workers", [1, 2], ids=["embedded", "gunicorn"])
def test_a_real_server_writes_one_json_object_per_line(live_server, workers):
    import requests

    server = live_server(workers=workers, env={"CIVIC_LOG_LEVEL": "INFO"})
    requests.get(server.url + "/readyz", headers={"X-Request-ID": "live-1"}, timeout=10)
    requests.get(server.url + "/nowhere", headers={"X-Request-ID": "live-2"}, timeout=10)
    server.stop()
    lines = [json.loads(line) for line in server.logs().splitlines() if line.strip()]
    assert {(line.get("path"), line.get("client_request_id")) for line in lines if line["logger"] == "civic.access"} >= {
        ("/readyz", "live-1"), ("/nowhere", "live-2")}
    assert all(line["request_id"] not in ("live-1", "live-2") for line in lines if line["logger"] == "civic.access")
