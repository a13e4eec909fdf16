"""Behind a proxy: the issuer is configured or the request's (allowed) host; forwarded headers only when trusted."""
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import config_for, free_port
from tests.gateway.helpers import basic

NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
METADATA = "/.well-known/oauth-authorization-server"
DISCOVERY = "/open311/v2/discovery.json"


def endpoints_of(metadata: dict) -> list[str]:
    return [value for key, value in metadata.items() if key == "issuer" or key.endswith(("_endpoint", "_documentation"))]


@pytest.fixture
def new_app(database_url):
    """Another app on the test database with some settings: `new_app(ISSUER=...)`."""
    from civic.app import create_app

    apps = []

    def build(**overrides):
        apps.append(create_app(config_for(database_url, **overrides)))
        return apps[-1]

    yield build
    for application in apps:
        application.extensions["civic.engine"].dispose()


# --- in process ------------------------------------------------------------------------------
def test_a_configured_issuer_is_not_chosen_by_the_host_header(new_app):
    client = new_app(ISSUER="https://civic.example").test_client()
    for host in ("evil.example", "civic.example"):
        answer = client.get(METADATA, headers={"Host": host})
        assert answer.status_code == 200
        assert all(url.startswith("https://civic.example/") or url == "https://civic.example"
                   for url in endpoints_of(answer.json)), answer.json
        assert "max-age=" in answer.headers["Cache-Control"]
        discovery = client.get(DISCOVERY, headers={"Host": host})
        assert discovery.json["endpoints"][0]["url"] == "https://civic.example/open311/v2"
        assert "max-age=" in discovery.headers["Cache-Control"]


def test_without_a_configured_issuer_the_answers_are_not_cacheable(new_app):
    client = new_app().test_client()
    answer = client.get(METADATA, headers={"Host": "civic.example"})
    assert answer.json["issuer"] == "http://civic.example"
    assert answer.headers["Cache-Control"] == "no-store"
    assert client.get(DISCOVERY, headers={"Host": "civic.example"}).headers["Cache-Control"] == "no-store"


def test_a_host_that_is_not_allowed_is_a_400_problem(new_app):
    client = new_app(ALLOWED_HOSTS=["civic.example"]).test_client()
    for path in (METADATA, DISCOVERY, "/v1/whoami", "/oauth/token"):
        refused = client.get(path, headers={"Host": "evil.example"})
        assert refused.status_code == 400 and refused.mimetype == "application/problem+json", path
        assert refused.json["code"] == "host_not_allowed"
    assert client.get(METADATA, headers={"Host": "civic.example"}).json["issuer"] == "http://civic.example"
    assert client.get(METADATA, headers={"Host": "civic.example:8443"}).status_code == 200


def test_forwarded_headers_are_ignored_unless_a_proxy_is_trusted(new_app):
    forwarded = {"Host": "civic.example", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    untrusted = new_app().test_client().get(METADATA, headers=forwarded)
    assert untrusted.json["issuer"] == "http://civic.example"
    trusted = new_app(PROXY_X_PROTO=1).test_client().get(METADATA, headers=forwarded)
    assert trusted.json["issuer"] == "https://civic.example"  # the proto is trusted, the host is not


def test_plain_http_to_the_token_endpoint_is_a_400_not_a_500(new_app, make):
    client = new_app().test_client()
    app_client, shown = make.client(make.tenant(), ["booking:read"])
    answer = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                         headers={**basic(app_client.client_id, shown["client_secret"]), "Host": "civic.example"})
    assert answer.status_code == 400 and answer.json["code"] == "https_required"


# --- through a real reverse proxy --------------------------------------------------------------
NGINX_CONF = """
daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
        }}
    }}
}}
"""


@pytest.fixture
def nginx():
    """Start Debian's nginx in front of an upstream port: `nginx(upstream_port)` -> proxy URL."""
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install -y nginx-light; CI installs it)")
    processes = []

    def start(upstream: int) -> str:
        folder = tempfile.mkdtemp(prefix="nginx-")
        port = free_port()
        Path(folder, "nginx.conf").write_text(NGINX_CONF.format(dir=folder, port=port, upstream=upstream))
        process = subprocess.Popen([NGINX, "-p", folder, "-c", f"{folder}/nginx.conf"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append((process, folder))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError("nginx exited: " + Path(folder, "error.log").read_text())
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return f"http://127.0.0.1:{port}"
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start in 20 s")

    yield start
    for process, folder in processes:
        process.terminate()
        process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def test_the_token_endpoint_works_behind_a_tls_terminating_proxy(live_server, nginx, make):
    server = live_server(workers=2, env={"CIVIC_PROXY_X_PROTO": "1", "CIVIC_PROXY_X_FOR": "1",
                                         "CIVIC_ALLOWED_HOSTS": "civic.example"})
    proxy = nginx(server.port)
    host = {"Host": "civic.example"}
    app_client, shown = make.client(make.tenant(), ["booking:read"])
    token = requests.post(proxy + "/oauth/token", data={"grant_type": "client_credentials"}, timeout=30,
                          headers={**basic(app_client.client_id, shown["client_secret"]), **host})
    assert token.status_code == 200, token.text
    assert token.json()["token_type"] == "Bearer"
    metadata = requests.get(proxy + METADATA, headers=host, timeout=30).json()
    assert metadata["issuer"] == "https://civic.example"
    assert metadata["token_endpoint"] == "https://civic.example/oauth/token"
    assert requests.get(proxy + METADATA, headers={"Host": "evil.example"}, timeout=30).status_code == 400


def test_with_a_configured_issuer_the_proxy_host_does_not_matter(live_server, nginx, make):
    server = live_server(workers=2, env={"CIVIC_PROXY_X_PROTO": "1", "CIVIC_ISSUER": "https://civic.example"})
    proxy = nginx(server.port)
    app_client, shown = make.client(make.tenant(), ["booking:read"])
    token = requests.post(proxy + "/oauth/token", data={"grant_type": "client_credentials"}, timeout=30,
                          headers={**basic(app_client.client_id, shown["client_secret"]), "Host": "civic.example"})
    assert token.status_code == 200, token.text
    metadata = requests.get(proxy + METADATA, headers={"Host": "other.example"}, timeout=30)
    assert metadata.json()["issuer"] == "https://civic.example" and "max-age=" in metadata.headers["Cache-Control"]



def test_a_real_server_trusts_no_forwarded_scheme_unless_told(live_server):
    """Found by the attacker's review: gunicorn itself believed X-Forwarded-Proto/-Ssl from loopback."""
    server = live_server(workers=2)  # gunicorn (one worker is werkzeug's server, which trusts no header)
    for header in ({"X-Forwarded-Proto": "https"}, {"X-Forwarded-Ssl": "on"}):
        metadata = requests.get(server.url + METADATA, headers=header, timeout=30).json()
        assert metadata["issuer"].startswith("http://"), (header, metadata["issuer"])
