"""Health, readiness, metrics, the OpenAPI spec and the interactive docs (which work with no internet)."""
import re

from openapi_spec_validator import validate

from tests.browser import chromium_page


def test_healthz_and_readyz_answer_when_all_is_well(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ok", "database": "ok"}


def test_metrics_are_prometheus_text_counting_requests(client):
    client.get("/healthz")
    client.get("/no-such-page")
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert "# TYPE civic_http_requests_total counter" in text
    assert re.search(r'civic_http_requests_total\{endpoint="health.healthz",method="GET",status="200"\} 1\.0', text)
    assert re.search(r'civic_http_requests_total\{endpoint="unmatched",method="GET",status="404"\} 1\.0', text)
    assert "civic_http_request_seconds_bucket" in text


def test_the_openapi_spec_is_valid_and_documents_errors_as_problems(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    operation = spec["paths"]["/v1/admin/tenants"]["post"]
    assert operation["summary"] == "Onboard an organisation."
    assert operation["security"] == [{"oauth2": ["platform:admin"]}]
    assert "application/problem+json" in operation["responses"]["422"]["content"]


def test_the_spec_is_written_once_the_same_whoever_reads_it_first(app):
    # The document is written on first read: concurrent first readers get one whole document, and the
    # first reader's host never leaks into it (the examples' problem `type`s stay relative).
    from concurrent.futures import ThreadPoolExecutor

    def read(host):
        return app.test_client().get("/openapi.json", base_url=f"http://{host}").get_data(as_text=True)

    with ThreadPoolExecutor(4) as pool:
        bodies = list(pool.map(read, ["first.example", "second.example", "third.example", "fourth.example"]))
    assert len(set(bodies)) == 1 and '"/v1/admin/tenants"' in bodies[0]
    assert not any(f"{n}.example" in bodies[0] for n in ("first", "second", "third", "fourth"))
    assert '"type": "/problems/validation_failed"' in bodies[0]


def test_docs_reference_only_our_own_assets_and_send_a_csp(client):
    response = client.get("/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert not re.findall(r"https?://", html), "the docs page must not load anything from another host"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    for asset in re.findall(r'(?:src|href)="(/docs/static/[^"]+)"', html):
        assert client.get(asset).status_code == 200, asset


def test_docs_assets_cannot_escape_the_bundle(client):
    assert client.get("/docs/static/../../app.py").status_code == 404
    assert client.get("/docs/static/index.html").status_code == 404


def test_the_docs_list_the_operations_in_a_real_browser(live_server):
    server = live_server()
    requests_elsewhere = []
    with chromium_page() as page:
        page.on("request", lambda r: None if r.url.startswith(server.url) else requests_elsewhere.append(r.url))
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(server.url + "/docs")
        page.get_by_text("Onboard an organisation.").first.wait_for(timeout=15000)
        assert page.get_by_text("/v1/admin/tenants").first.is_visible()
        assert "Civic Platform" in page.content()
    assert not requests_elsewhere
    assert not [e for e in errors if "Content Security Policy" in e]
