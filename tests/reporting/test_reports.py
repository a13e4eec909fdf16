"""Staff API: categories and reports of the caller's own organisation."""
import pytest

from tests.reporting.conftest import POTHOLE, REPORTER, WHERE
from civic.core.tenancy import place_wide


def test_a_council_records_a_report_with_answers_and_reads_it_back(client, place):
    created = place.report(category="pothole", attributes={"depth": "deep", "width_cm": "40", "hazards": ["bus"]},
                           reporter=REPORTER, reference="CRM-1")
    assert created["status"] == "open" and created["category"] == "pothole"
    assert created["attributes"] == {"depth": "deep", "width_cm": 40, "hazards": ["bus"]}
    assert created["reporter"] == {"name": "Ada Lovelace", "email": "ada@example.org", "phone": "+447911123456"}
    got = client.get(f"/v1/reporting/reports/{created['id']}", headers=place.council_rw).json
    assert got == created


def events_of(app, kind):
    import sqlalchemy as sa

    from civic.core.db import session
    from civic.core.events import Event

    with app.app_context(), place_wide("tests.inspection"):
        return [e.data for e in session.scalars(sa.select(Event).where(Event.type == kind).order_by(Event.time))]


def test_another_organisations_report_is_a_404_and_a_missing_scope_a_403(client, place, make):
    report = place.report()
    assert client.get(f"/v1/reporting/reports/{report['id']}", headers=place.homes_rw).status_code == 404
    assert client.post(f"/v1/reporting/reports/{report['id']}/status", headers=place.homes_rw,
                       json={"status": "closed"}).status_code == 404
    read_only = make.headers(place.council, "reporting:read")
    response = client.post("/v1/reporting/reports", headers=read_only, json={"category": "fly-tipping", **WHERE})
    assert response.status_code == 403 and response.json["code"] == "insufficient_scope"
    assert client.get("/v1/reporting/reports", headers=make.headers(place.council, "booking:read")).status_code == 403
    assert client.get("/v1/reporting/reports").status_code == 401


@pytest.mark.parametrize("body, code, field", [
    ({"category": "unicorns"}, "unknown_category", "category"),
    ({"category": "damp-mould"}, "unknown_category", "category"),  # another organisation's
    ({"category": "pothole"}, "missing_attribute", "attributes.depth"),
    ({"category": "pothole", "attributes": {"depth": "bottomless"}}, "invalid_attribute", "attributes.depth"),
    ({"category": "pothole", "attributes": {"depth": "deep", "width_cm": "wide"}}, "invalid_attribute", "attributes.width_cm"),
    ({"category": "pothole", "attributes": {"depth": "deep", "seen_at": "2026-01-01T10:00:00"}}, "invalid_attribute", "attributes.seen_at"),
    ({"category": "pothole", "attributes": {"depth": "deep", "landmark": "two\nlines"}}, "invalid_attribute", "attributes.landmark"),
    ({"category": "pothole", "attributes": {"depth": "deep", "colour": "red"}}, "invalid_attribute", "attributes.colour"),
    ({"lat": 91.0}, "validation_failed", "lat"),
    ({"long": -181.0}, "validation_failed", "long"),
    ({"lat": None, "long": None}, "location_required", "lat"),
    ({"long": None}, "location_incomplete", "long"),
    ({"description": "x" * 4001}, "validation_failed", "description"),
    ({"reporter": {"email": "not-an-email"}}, "invalid_reporter", "reporter.email"),
    ({"status": "closed"}, "validation_failed", "status"),
    ({"tenant_id": "x"}, "validation_failed", "tenant_id"),
])
def test_bad_reports_are_refused_with_a_stable_code_and_nothing_is_written(client, app, place, body, code, field):
    response = client.post("/v1/reporting/reports", headers=place.council_rw,
                           json={"category": "fly-tipping", **WHERE, **body})
    assert response.status_code == 422, response.json
    assert response.content_type == "application/problem+json"
    assert response.json["code"] == code and field in response.json["errors"]
    assert client.get("/v1/reporting/reports", headers=place.council_rw).json["items"] == []
    assert events_of(app, "civic.reporting.report_created") == []


def test_a_suspended_organisations_categories_take_no_reports(client, app, place, steward):
    client.post("/v1/admin/tenants/riverside-homes/suspend", headers=steward)
    from tests.reporting.conftest import WHERE as where

    key = place.api_key(place.council)
    response = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "riverside-homes:damp-mould", "lat": where["lat"], "long": where["long"]})
    assert response.status_code == 404
    with app.app_context(), place_wide("tests.inspection"):
        from civic.core.errors import Problem
        from civic.reporting import service

        with pytest.raises(Problem) as caught:
            service.create_report(tenant_id=place.homes.id, category_code="damp-mould", address="1 Mill Lane")
        assert caught.value.code == "category_unavailable"


def test_an_address_or_uprn_is_enough_without_coordinates(client, place):
    assert place.report(lat=None, long=None, address="Corner of Mill Lane")["lat"] is None
    assert place.report(lat=None, long=None, uprn="100023336956")["uprn"] == "100023336956"


def test_reports_filter_by_category_status_dates_box_and_distance(client, place):
    near = place.report(lat=51.5072, long=-0.1276)
    far = place.report(lat=51.60, long=-0.30)
    pothole = place.report(category="pothole", attributes={"depth": "deep"}, lat=51.5080, long=-0.1280)
    client.post(f"/v1/reporting/reports/{far['id']}/status", headers=place.council_rw, json={"status": "acknowledged"})

    def ids(**query):
        response = client.get("/v1/reporting/reports", headers=place.council_rw, query_string=query)
        assert response.status_code == 200, response.json
        return {r["id"] for r in response.json["items"]}

    assert ids() == {near["id"], far["id"], pothole["id"]}
    assert ids(category="pothole") == {pothole["id"]}
    assert ids(status="acknowledged") == {far["id"]}
    assert ids(bbox="-0.2,51.5,-0.1,51.51") == {near["id"], pothole["id"]}
    assert ids(near="51.5072,-0.1276", radius=50) == {near["id"]}
    assert ids(near="51.5072,-0.1276", radius=200) == {near["id"], pothole["id"]}
    assert ids(created_after="2001-01-01T00:00:00Z", created_before="2001-01-02T00:00:00Z") == set()
    assert client.get("/v1/reporting/reports?bbox=1,2,3", headers=place.council_rw).status_code == 422
    page = client.get("/v1/reporting/reports?limit=2", headers=place.council_rw).json
    assert len(page["items"]) == 2 and page["next"]


def test_status_changes_keep_a_history_and_emit_events(client, app, place):
    report = place.report()
    url = f"/v1/reporting/reports/{report['id']}/status"
    assert client.post(url, headers=place.council_rw, json={"status": "acknowledged"}).status_code == 200
    response = client.post(url, headers=place.council_rw,
                           json={"status": "closed", "closing_reason": "duplicate", "note": "Reported already."})
    assert response.json["status"] == "closed" and response.json["closing_reason"] == "duplicate"
    bad = client.post(url, headers=place.council_rw, json={"status": "open", "closing_reason": "fixed"})
    assert bad.status_code == 422 and bad.json["code"] == "closing_reason_not_allowed"
    same = client.post(url, headers=place.council_rw, json={"status": "closed", "closing_reason": "duplicate"})
    assert same.status_code == 422 and same.json["code"] == "nothing_to_change"
    history = client.get(f"/v1/reporting/reports/{report['id']}/updates", headers=place.council_rw).json
    assert [(h["from_status"], h["status"]) for h in history] == [(None, "open"), ("open", "acknowledged"),
                                                                    ("acknowledged", "closed")]
    assert history[-1]["note"] == "Reported already."
    changed = events_of(app, "civic.reporting.status_changed")
    assert [(e["from_status"], e["status"], e["closing_reason"]) for e in changed] == [
        ("open", "acknowledged", None), ("acknowledged", "closed", "duplicate")]
    created = events_of(app, "civic.reporting.report_created")
    assert created[0]["report_id"] == report["id"] and created[0]["category"] == "fly-tipping"


def test_a_report_transferred_to_its_owner_leaves_a_read_only_record(client, app, place):
    report = place.report(description="Mould all over the bedroom wall", reporter=REPORTER)
    response = client.post(f"/v1/reporting/reports/{report['id']}/transfer", headers=place.council_rw,
                           json={"tenant": "riverside-homes", "category": "damp-mould", "note": "Their tenant."})
    assert response.status_code == 201, response.json
    transfer = response.json
    assert transfer["snapshot"]["description"] == "Mould all over the bedroom wall"
    # The reporter's details, not the letters "ada" (which a random id can hold).
    assert "reporter" not in str(transfer["snapshot"])
    assert not any(value.lower() in str(transfer).lower() for value in (*REPORTER.values(), "7911123456"))
    # The receiver has it (with the contact details they need); the sender only the record.
    theirs = client.get(f"/v1/reporting/reports/{report['id']}", headers=place.homes_rw).json
    assert theirs["category"] == "damp-mould" and theirs["reporter"]["email"] == "ada@example.org"
    assert client.get(f"/v1/reporting/reports/{report['id']}", headers=place.council_rw).status_code == 404
    records = client.get("/v1/reporting/transfers", headers=place.council_rw).json["items"]
    assert [r["id"] for r in records] == [transfer["id"]]
    assert client.get(f"/v1/reporting/transfers/{transfer['id']}", headers=place.homes_rw).status_code == 404
    history = client.get(f"/v1/reporting/reports/{report['id']}/updates", headers=place.homes_rw).json
    assert "Passed to" in history[-1]["note"]
    moved = events_of(app, "civic.reporting.transferred")
    assert moved == [{"report_id": report["id"], "from_tenant_id": str(place.council.id),
                      "to_tenant_id": str(place.homes.id), "from_category": "fly-tipping", "to_category": "damp-mould",
                      "sandbox": False}]


@pytest.mark.parametrize("body, code", [({"tenant": "atlantis", "category": "x"}, "unknown_tenant"),
                                        ({"tenant": "borough-council", "category": "pothole"}, "same_tenant"),
                                        ({"tenant": "riverside-homes", "category": "pothole"}, "unknown_category")])
def test_bad_transfers_are_refused(client, place, body, code):
    report = place.report()
    response = client.post(f"/v1/reporting/reports/{report['id']}/transfer", headers=place.council_rw, json=body)
    assert response.status_code == 422 and response.json["code"] == code


def test_categories_are_managed_per_organisation(client, place):
    listed = client.get("/v1/reporting/categories", headers=place.council_rw).json["items"]
    assert sorted(c["code"] for c in listed) == ["fly-tipping", "pothole"]
    assert client.get("/v1/reporting/categories/damp-mould", headers=place.council_rw).status_code == 404
    again = client.post("/v1/reporting/categories", headers=place.council_rw, json=POTHOLE)
    assert again.status_code == 409 and again.json["code"] == "category_exists"
    patched = client.patch("/v1/reporting/categories/pothole", headers=place.council_rw, json={"public": False})
    assert patched.status_code == 200 and patched.json["public"] is False and patched.json["code"] == "pothole"
    bad = client.post("/v1/reporting/categories", headers=place.council_rw, json={
        "code": "x", "name": "X", "attributes": [{"code": "a", "datatype": "singlevaluelist", "description": "?"}]})
    assert bad.status_code == 422
    place.report()
    assert client.delete("/v1/reporting/categories/fly-tipping", headers=place.council_rw).json["code"] == "category_in_use"
    place.category(place.council_rw, {"code": "graffiti", "name": "Graffiti"})
    assert client.delete("/v1/reporting/categories/graffiti", headers=place.council_rw).status_code == 204
    client.patch("/v1/reporting/categories/fly-tipping", headers=place.council_rw, json={"active": False})
    response = client.post("/v1/reporting/reports", headers=place.council_rw, json={"category": "fly-tipping", **WHERE})
    assert response.json["code"] == "category_unavailable"


def test_csv_export_has_contact_details_only_when_asked_and_audited(client, app, place, make):
    place.report(reporter=REPORTER, description="Sofa, two chairs")
    plain = client.get("/v1/reporting/reports.csv", headers=place.council_rw)
    assert plain.status_code == 200 and plain.content_type.startswith("text/csv")
    assert "Sofa, two chairs" in plain.text and "ada@example.org" not in plain.text
    full = client.get("/v1/reporting/reports.csv?include_personal_data=true", headers=place.council_rw)
    assert "ada@example.org" in full.text
    assert audit_actions(app) == ["reporting.personal_data_exported"]


def audit_actions(app):
    import sqlalchemy as sa

    from civic.core.audit import AuditEntry
    from civic.core.db import session

    with app.app_context(), place_wide("tests.inspection"):
        return [a.action for a in session.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("reporting.%"))
                                                  .order_by(AuditEntry.time))]


def test_reading_contact_details_is_audited_for_people_and_clients(client, app, place, make):
    report = place.report(reporter=REPORTER)
    place.report()  # no personal data: nothing to audit
    user = make.user(place.council)
    headers = make.headers(place.council, "reporting:read", user=user)
    client.get(f"/v1/reporting/reports/{report['id']}", headers=headers)
    client.get("/v1/reporting/reports", headers=headers)
    client.get(f"/v1/reporting/reports/{report['id']}", headers=place.council_rw)  # a machine client: audited too
    assert audit_actions(app) == ["reporting.personal_data_read"] * 3


def test_privacy_export_and_erasure_cover_reporters(client, app, place):
    report = place.report(reporter=REPORTER)
    place.report(reporter={"email": "someone@example.org"})
    from civic.core import privacy

    with app.app_context(), place_wide("tests.inspection"):
        exported = privacy.export_subject(app, tenant_id=place.council.id, email="ADA@example.org")
        assert [r["id"] for r in exported["reporting"]] == [report["id"]]
        assert exported["reporting"][0]["reporter_phone"] == "+447911123456"
        assert privacy.export_subject(app, tenant_id=place.homes.id, email="ada@example.org") == {}
        from civic.core.db import unit_of_work

        with unit_of_work():
            assert privacy.erase_subject(app, tenant_id=place.council.id, phone="07911 123456") == 1
    after = client.get(f"/v1/reporting/reports/{report['id']}", headers=place.council_rw).json
    assert after["reporter"] is None and after["description"] == "Mattress on the pavement"
