"""Webhook URLs cannot reach the platform's own network: checked when saved and at every delivery."""
import pytest

from civic.flows import transport
from tests.flows.conftest import jobs_due_now


@pytest.fixture
def flows_settings():
    return {"FLOWS_WEBHOOK_ALLOW_PRIVATE": False}  # the production default


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hooks", "https://10.0.0.5/hooks", "https://169.254.169.254/latest/meta-data",
                                 "https://[::1]/hooks", "https://[::ffff:127.0.0.1]/hooks", "https://192.168.1.10/x",
                                 "https://224.0.0.1/x", "https://0.0.0.0/x", "https://100.64.0.1/x",
                                 "https://[2002:a9fe:a9fe::]/x", "https://[2002:7f00:1::]/x", "https://[fec0::1]/x"])
def test_private_literal_addresses_are_refused_when_saved(org, url):
    answer = org.post("/v1/flows/webhooks", json={"url": url, "event_types": ["*"]})
    assert answer.status_code == 422 and answer.json["code"] == "webhook_url_refused"
    assert "url" in answer.json["errors"]


def test_a_name_resolving_to_loopback_is_refused_at_delivery(org, receiver, worker, app):
    url = receiver.url.replace("127.0.0.1", "localhost")
    endpoint = org.subscribe(url)  # a name: saved, then checked at each delivery
    org.book()
    worker.drain()
    [delivery] = org.deliveries(endpoint)
    assert delivery["status"] == "pending" and delivery["last_response_code"] is None
    assert "does not resolve to a public address" in delivery["last_error"]
    jobs_due_now(app)
    worker.drain()
    assert org.delivery(delivery["id"])["attempts"] == 2  # checked again, refused again
    assert receiver.received == []  # never connected


def test_a_name_that_changes_to_a_private_address_is_refused_at_the_next_delivery(org, receiver, worker, app, monkeypatch):
    import socket

    endpoint = org.subscribe("https://hooks.riverside-community.org.uk/civic")
    answers = {"hooks.riverside-community.org.uk": "169.254.169.254"}
    real = socket.getaddrinfo

    def fake_dns(host, port, *args, **kwargs):  # a DNS answer that changed after the endpoint was saved
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    org.book()
    worker.drain()
    [delivery] = org.deliveries(endpoint)
    # Refused, without saying the address: the answer would map the platform's own network.
    assert "does not resolve to a public address" in delivery["last_error"]
    assert "169.254" not in delivery["last_error"]
    answers["hooks.riverside-community.org.uk"] = "10.0.0.5"
    jobs_due_now(app)
    worker.drain()
    refused = org.delivery(delivery["id"])
    assert refused["attempts"] == 2 and "10.0.0.5" not in refused["last_error"]


def test_the_connection_goes_to_the_address_checked(monkeypatch):
    """One look-up per delivery: the socket connects to the address that passed the check."""
    import socket

    looked_up, connected = [], []
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *a, **k: looked_up.append(host) or [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))])
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: connected.append(address) or (_ for _ in ()).throw(
        ConnectionRefusedError("test: no network")))
    with pytest.raises(transport.SendFailed):
        transport.post("http://example.org/hooks", b"{}", {}, timeout=1, allow_http=True, allow_private=False)
    # The name is looked up once; the connection is made to the numeric address checked (no DNS for that).
    assert looked_up[0] == "example.org" and set(looked_up[1:]) <= {"93.184.215.14"}
    assert connected == [("93.184.215.14", 80)]


def test_http_is_refused_where_the_platform_requires_https(org, app):
    app.config["FLOWS_WEBHOOK_ALLOW_HTTP"] = False
    answer = org.post("/v1/flows/webhooks", json={"url": "http://hooks.example.org/x", "event_types": ["*"]})
    assert answer.status_code == 422 and answer.json["code"] == "webhook_url_refused"
    assert "https" in answer.json["errors"]["url"][0]


def test_production_requires_https_and_refuses_the_private_allowance(database_url):
    from cryptography.fernet import Fernet

    from civic.app import create_app
    from civic.config import load
    from tests.conftest import config_for

    config = load({"ENV": "test"})
    assert config["FLOWS_WEBHOOK_ALLOW_HTTP"] is None and config["FLOWS_WEBHOOK_ALLOW_PRIVATE"] is False
    production = config_for(database_url, ENV="production", ENCRYPTION_KEYS=[Fernet.generate_key().decode()],
                            ISSUER="https://platform.example.org")
    app = create_app(production)
    with app.test_request_context():
        from civic.flows import service

        assert service.allow_http() is False and service.allow_private() is False
    app.extensions["civic.engine"].dispose()
    with pytest.raises(RuntimeError, match="FLOWS_WEBHOOK_ALLOW_PRIVATE"):
        create_app({**production, "FLOWS_WEBHOOK_ALLOW_PRIVATE": True})


def test_a_redirect_to_a_private_address_is_not_followed(make, client, worker, app, receiver):
    """With loopback allowed (to reach the receiver), a redirect to the metadata address is still only a failure."""
    app.config["FLOWS_WEBHOOK_ALLOW_PRIVATE"] = True
    from tests.flows.conftest import Org

    org = Org(make, client)
    endpoint = org.subscribe(receiver.url)
    for target in ("http://169.254.169.254/latest/meta-data", "http://10.0.0.5/", "http://127.0.0.1:1/"):
        receiver.answer(307, {"Location": target})
    org.book()
    worker.drain()
    for _ in range(2):
        jobs_due_now(app)
        worker.drain()
    detail = org.delivery(org.deliveries(endpoint)[0]["id"])
    assert [a["response_code"] for a in detail["attempt_log"]] == [307, 307, 307]
    assert all("not followed" in a["error"] for a in detail["attempt_log"])
    assert len(receiver.received) == 3  # the no-internet guard would have failed any connect elsewhere
