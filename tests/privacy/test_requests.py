"""Subject access requests through HTTP: the clock, the moves, the export (JSON and a page), who may."""
import datetime as dt
import uuid

from civic.core.audit import AuditEntry
from civic.core.db import session
from civic.core.tenancy import tenant_context
from civic.privacy.deadlines import deadline
from civic.privacy.models import AccessRequest
from civic.privacy.service import today

from tests.core.conftest import assert_problem
from tests.privacy.conftest import SUBJECT

REQUESTS = "/v1/privacy/requests"


def test_a_request_is_recorded_on_its_clock_with_its_subject_encrypted(app, client, org):
    made = org.request(subject={"email": "SAM@example.org", "nhs_number": "943 476 5919"},
                       received_on="2026-01-31", reference="SAR-1")
    assert (made["state"], made["received_on"], made["due_on"]) == ("received", "2026-01-31", "2026-03-02")
    assert made["subject"]["email"] == "sam@example.org" and made["subject"]["nhs_number"] == "9434765919"
    assert made["handled_by"] == str(org.admin_user.id) and made["transitions"][0] == "awaiting_id"
    with app.app_context(), tenant_context(org.tenant.id):
        row = session.get(AccessRequest, uuid.UUID(made["id"]))
        assert "sam@example.org" not in row.subject_encrypted and row.subject.email == "sam@example.org"
    got = client.get(f"{REQUESTS}/{made['id']}", headers=org.admin)
    assert got.status_code == 200 and got.headers["ETag"]
    assert [r["id"] for r in client.get(REQUESTS, headers=org.app).get_json()["items"]] == [made["id"]]
    assert client.get(f"{REQUESTS}?state=completed", headers=org.app).get_json()["items"] == []


def test_pausing_for_identification_moves_the_deadline_by_the_days_paused(client, org):
    received = today() - dt.timedelta(days=20)
    made = org.request(received_on=received.isoformat())
    paused = org.move(made["id"], to="awaiting_id", on=(received + dt.timedelta(days=1)).isoformat())
    assert paused["state"] == "awaiting_id" and paused["due_on"] == made["due_on"]
    assert_problem(client.get(f"{REQUESTS}/{made['id']}/export", headers=org.admin), 409, "request_not_ready")
    resumed = org.move(made["id"], to="in_progress", on=(received + dt.timedelta(days=11)).isoformat())
    assert resumed["paused_days"] == 10 and resumed["paused_on"] is None
    assert resumed["due_on"] == deadline(received, region="england-and-wales", paused_days=10).isoformat()
    assert [h["state"] for h in resumed["history"]] == ["received", "awaiting_id", "in_progress"]
    # A resume dated before the pause, or in the future, changes nothing.
    org.move(made["id"], to="awaiting_id", on=today().isoformat())
    assert_problem(client.post(f"{REQUESTS}/{made['id']}/transition", headers=org.admin, json={
        "to": "in_progress", "on": (today() + dt.timedelta(days=1)).isoformat()}), 422, "request_date_invalid")


def test_an_extension_only_within_the_first_month_with_its_reason(client, org):
    made = org.request()
    assert_problem(client.post(f"{REQUESTS}/{made['id']}/transition", headers=org.admin,
                               json={"to": "extended", "extension_months": 2}), 422, "validation_failed")
    extended = org.move(made["id"], to="extended", extension_months=2, reason="Records from three services")
    assert extended["due_on"] == deadline(today(), region="england-and-wales", extension_months=2).isoformat()
    assert extended["extension_reason"] == "Records from three services"
    assert_problem(client.post(f"{REQUESTS}/{made['id']}/transition", headers=org.admin, json={
        "to": "extended", "extension_months": 1, "reason": "Again"}), 409, "request_transition_not_allowed")
    late = org.request(received_on=(today() - dt.timedelta(days=40)).isoformat())
    assert_problem(client.post(f"{REQUESTS}/{late['id']}/transition", headers=org.admin, json={
        "to": "extended", "extension_months": 1, "reason": "Complex"}), 409, "extension_too_late")


def test_closed_requests_stay_closed_and_if_match_is_checked(client, org):
    made = org.request()
    stale = client.get(f"{REQUESTS}/{made['id']}", headers=org.admin).headers["ETag"]
    done = client.post(f"{REQUESTS}/{made['id']}/transition", json={"to": "completed"},
                       headers={**org.admin, "If-Match": stale})
    assert done.status_code == 200 and done.get_json()["closed_on"] == today().isoformat()
    assert_problem(client.post(f"{REQUESTS}/{made['id']}/transition", json={"to": "in_progress"},
                               headers={**org.admin, "If-Match": stale}), 412, "precondition_failed")
    assert_problem(client.post(f"{REQUESTS}/{made['id']}/transition", json={"to": "refused", "reason": "No"},
                               headers=org.admin), 409, "request_transition_not_allowed")
    refused = org.move(org.request()["id"], to="refused", reason="Manifestly unfounded")
    assert refused["refusal_reason"] == "Manifestly unfounded" and refused["transitions"] == []


def test_the_export_holds_everything_and_who_accessed_it(app, client, org, other):
    ids = org.seed()
    other.seed()
    client.get(f"/v1/casework/cases/{ids['case']}", headers=org.other_app)  # someone reads the case
    made = org.request(subject={"email": SUBJECT["email"], "name": "Sam Citizen", "date_of_birth": "1984-03-14"})
    assert_problem(client.get(f"{REQUESTS}/{made['id']}/export", headers=org.admin), 409, "request_not_ready")
    org.move(made["id"], to="in_progress")  # identity confirmed
    answer = client.get(f"{REQUESTS}/{made['id']}/export", headers=org.admin)
    assert answer.status_code == 200
    export = answer.get_json()
    held = {c["component"]: [r["id"] for r in c["records"]] for c in export["components"]}
    assert held["booking"] == [ids["booking"]] and held["reporting"] == [ids["report"]] and held["casework"] == [ids["case"]]
    case = next(c for c in export["components"] if c["component"] == "casework")["records"][0]
    assert case["subject"]["nhs_number"] == "9434765919" and case["subject"]["postcode"] == "SW1A 1AA"
    assert {"purpose", "fields", "retention_days"} <= set(export["components"][0])
    log = [(e["action"], e["record_id"]) for e in export["access_log"]]
    assert ("casework.personal_data_read", ids["case"]) in log
    assert all(e["record_id"] in ids.values() for e in export["access_log"])
    with app.app_context():
        entry = session.query(AuditEntry).filter_by(action="privacy.request_exported").one()
        assert entry.subject_id == made["id"] and sorted(entry.detail["record_ids"]) == sorted(ids.values())


def test_the_page_escapes_everything(client, org):
    hostile = {**SUBJECT, "name": "<script>alert(1)</script> Sam", "email": "sam@example.org"}
    org.seed(subject=hostile)
    made = org.request()
    org.move(made["id"], to="in_progress")
    page = client.get(f"{REQUESTS}/{made['id']}/export.html", headers=org.admin)
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt; Sam" in text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"] and "@media print" in text


def test_another_tenants_request_is_a_404(client, org, other):
    made = org.request()
    for path in ("", "/export", "/export.html"):
        assert_problem(client.get(f"{REQUESTS}/{made['id']}{path}", headers=other.admin), 404, "not_found")
    assert_problem(client.post(f"{REQUESTS}/{made['id']}/transition", json={"to": "completed"},
                               headers=other.admin), 404, "not_found")
    assert client.get(REQUESTS, headers=other.admin).get_json()["items"] == []


def test_only_admins_and_apps_with_the_scope_handle_requests(client, org):
    made = org.request()
    for headers in (org.viewer, org.worker):
        assert_problem(client.get(f"{REQUESTS}/{made['id']}", headers=headers), 403, "privacy_admin_required")
        assert_problem(client.get(REQUESTS, headers=headers), 403, "privacy_admin_required")
    assert_problem(client.post(REQUESTS, json={"subject": {"email": "a@example.org"}}, headers=org.worker),
                   403, "privacy_admin_required")
    assert_problem(client.post(f"{REQUESTS}/{made['id']}/transition", json={"to": "completed"}, headers=org.worker),
                   403, "privacy_admin_required")
    assert_problem(client.get(f"{REQUESTS}/{made['id']}/export", headers=org.worker), 403, "privacy_admin_required")
    assert client.post(REQUESTS, json={"subject": {"email": "a@example.org"}}, headers=org.reader_app).status_code == 403
    assert client.get(f"{REQUESTS}/{made['id']}/export", headers=org.reader_app).status_code == 403
    assert client.get(f"{REQUESTS}/{made['id']}", headers=org.other_app).status_code == 403
    assert org.move(made["id"], headers=org.app, to="in_progress")["handled_by"] is None  # an app, no person


def test_bad_requests_are_422_and_nothing_is_written(app, client, org):
    for body, code in (({"subject": {}}, "identifiers_missing"), ({"subject": {"phone": "1"}}, "validation_failed"),
                       ({}, "validation_failed"), ({"subject": {"email": "a@example.org"}, "region": "wales"},
                                                   "validation_failed"),
                       ({"subject": {"email": "a@example.org"}, "state": "completed"}, "validation_failed"),
                       ({"subject": {"email": "a@example.org"},
                         "received_on": (today() + dt.timedelta(days=2)).isoformat()}, "request_date_invalid")):
        assert_problem(client.post(REQUESTS, json=body, headers=org.admin), 422, code)
    with app.app_context(), tenant_context(org.tenant.id):
        assert session.query(AccessRequest).count() == 0


def test_an_nhs_number_in_other_scripts_digits_is_a_422_never_a_500(client, org):
    for number in ("²²²²²²²²²²", "٩٤٣٤٧٦٥٩١٩"):  # digits to str.isdigit; only ASCII digits are an NHS number
        for path, body in (("/v1/privacy/searches", {"nhs_number": number}),
                           (REQUESTS, {"subject": {"nhs_number": number}})):
            answer = client.post(path, json=body, headers=org.admin)
            assert answer.status_code == 422, (path, number, answer.get_json())
