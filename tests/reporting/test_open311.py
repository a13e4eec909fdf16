"""Open311 GeoReport v2 (and FixMyStreet's updates extension): JSON and XML, as the spec names things."""
import xml.etree.ElementTree as ET

import pytest

from tests.reporting.conftest import WHERE

REQUEST_FIELDS = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"]
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = ["variable", "code", "datatype", "required", "datatype_description", "order", "description",
                    "values"]


def get(client, path, fmt, **params):
    response = client.get(f"/open311/v2/{path}.{fmt}", query_string=params)
    return response, parse(response, fmt)


def parse(response, fmt):
    """JSON as it comes; XML into the same shape: (root tag, list of item dicts or one dict)."""
    if fmt == "json":
        assert response.content_type.startswith("application/json")
        return response.json
    assert response.content_type.startswith("text/xml")
    assert response.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.data)


def xml_items(root):
    return [{child.tag: child for child in item} for item in root]


def post_request(client, key, fmt="json", **fields):
    form = {"api_key": key, "service_code": "borough-council:pothole", "description": "Deep hole by the bus stop",
            "lat": str(WHERE["lat"]), "long": str(WHERE["long"]), "attribute[depth]": "deep",
            "email": "ada@example.org", "first_name": "Ada", "last_name": "Lovelace", "phone": "07911123456",
            **fields}
    return client.post(f"/open311/v2/requests.{fmt}", data={k: v for k, v in form.items() if v is not None})


@pytest.fixture
def key(place):
    return place.api_key(place.council)


def test_discovery_names_the_endpoint_and_both_formats(client, place):
    _, body = get(client, "discovery", "json")
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and endpoint["formats"] == ["text/xml", "application/json"]
    _, root = get(client, "discovery", "xml")
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]
    assert root.find("endpoints/endpoint/specification").text == "http://wiki.open311.org/GeoReport_v2"


def test_the_place_wide_service_list_shows_every_organisations_public_categories(client, place):
    _, body = get(client, "services", "json")
    assert [s["service_code"] for s in body] == ["borough-council:fly-tipping", "borough-council:pothole"]
    pothole = body[1]
    assert list(pothole) == SERVICE_FIELDS
    assert pothole["metadata"] is True and pothole["type"] == "realtime" and pothole["group"] == "Roads"
    assert pothole["keywords"] == "road, hole"
    _, root = get(client, "services", "xml")
    assert root.tag == "services"
    items = xml_items(root)
    assert [i["service_code"].text for i in items] == ["borough-council:fly-tipping", "borough-council:pothole"]
    assert [c.tag for c in root[1]] == SERVICE_FIELDS and items[1]["metadata"].text == "true"


def test_one_organisations_services_use_plain_codes(client, place):
    _, body = get(client, "services", "json", jurisdiction_id="riverside-homes")
    assert body == []  # damp and mould is not a public category
    _, body = get(client, "services", "json", jurisdiction_id="borough-council")
    assert [s["service_code"] for s in body] == ["fly-tipping", "pothole"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_service_definition_lists_its_attributes(client, place, fmt):
    response, body = get(client, "services/borough-council:pothole", fmt)
    assert response.status_code == 200
    if fmt == "json":
        assert body["service_code"] == "borough-council:pothole"
        depth = body["attributes"][0]
        assert list(depth) == ATTRIBUTE_FIELDS
        assert depth["required"] is True and depth["datatype"] == "singlevaluelist" and depth["order"] == 1
        assert depth["values"] == [{"key": "shallow", "name": "Under 5 cm"}, {"key": "deep", "name": "5 cm or more"}]
    else:
        assert body.tag == "service_definition" and body.find("service_code").text == "borough-council:pothole"
        depth = body.find("attributes/attribute")
        assert [c.tag for c in depth] == ATTRIBUTE_FIELDS
        assert depth.find("required").text == "true" and depth.find("variable").text == "true"
        assert [(v.find("key").text, v.find("name").text) for v in depth.find("values")] == [
            ("shallow", "Under 5 cm"), ("deep", "5 cm or more")]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_is_a_404_in_the_error_format(client, place, fmt):
    response, body = get(client, "services/borough-council:unicorns", fmt)
    assert response.status_code == 404
    if fmt == "json":
        assert body[0]["code"] == 404 and "unicorns" in body[0]["description"]
    else:
        assert body.tag == "errors" and body.find("error/code").text == "404"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_client_posts_without_knowing_the_owner_and_follows_the_status(client, place, key, fmt):
    response = post_request(client, key, fmt)
    assert response.status_code == 200, response.data
    body = parse(response, fmt)
    if fmt == "json":
        assert list(body[0]) == ["service_request_id", "service_notice", "account_id"]
        report_id = body[0]["service_request_id"]
    else:
        assert body.tag == "service_requests" and body[0].tag == "request"
        report_id = body.find("request/service_request_id").text
    # The council owns potholes, so the report is theirs.
    staff = client.get(f"/v1/reporting/reports/{report_id}", headers=place.council_rw).json
    assert staff["category"] == "pothole" and staff["reporter"]["email"] == "ada@example.org"
    assert staff["source"].startswith("open311:")
    client.post(f"/v1/reporting/reports/{report_id}/status", headers=place.council_rw,
                json={"status": "closed", "closing_reason": "fixed", "note": "Filled in today.", "public": True})
    response, body = get(client, f"requests/{report_id}", fmt)
    if fmt == "json":
        row = body[0]
        assert list(row) == REQUEST_FIELDS
        assert row["status"] == "closed" and row["status_notes"] == "Filled in today."
        assert row["service_code"] == "borough-council:pothole" and row["agency_responsible"] == "Borough-Council"
        assert row["lat"] == WHERE["lat"] and row["requested_datetime"].endswith("Z")
    else:
        row = body.find("request")
        assert [c.tag for c in row] == REQUEST_FIELDS
        assert row.find("status").text == "closed" and row.find("status_notes").text == "Filled in today."
    assert b"ada@example.org" not in response.data and b"Lovelace" not in response.data


def test_a_multivaluelist_answer_comes_as_repeated_fields(client, place, key):
    response = client.post("/open311/v2/requests.json", data={
        "api_key": key, "jurisdiction_id": "borough-council", "service_code": "pothole", "address_string": "1 High St",
        "attribute[depth]": "shallow", "attribute[hazards][]": ["school", "bus"], "attribute[fixmystreet_id]": "99"})
    assert response.status_code == 200, response.json
    report_id = response.json[0]["service_request_id"]
    staff = client.get(f"/v1/reporting/reports/{report_id}", headers=place.council_rw).json
    # FixMyStreet's own extra attributes are dropped, not refused.
    assert staff["attributes"] == {"depth": "shallow", "hazards": ["school", "bus"]}


@pytest.mark.parametrize("fields, status, words", [
    ({"api_key": "nope"}, 403, "api_key"),
    ({"api_key": None}, 403, "api_key"),
    ({"service_code": "borough-council:unicorns"}, 404, "unicorns"),
    ({"service_code": None}, 400, "service_code"),
    ({"attribute[depth]": None}, 400, "depth"),
    ({"attribute[depth]": "bottomless"}, 400, "depth"),
    ({"lat": "91"}, 400, "atitude"),
    ({"lat": None, "long": None}, 400, "location"),
    ({"description": "x" * 4001}, 400, "4000"),
    ({"lat": "north"}, 400, "lat"),
])
def test_bad_requests_are_refused_in_the_error_format_and_nothing_is_written(client, place, key, fields, status, words):
    if fields.get("api_key") == "nope":
        fields = {**fields}
    response = post_request(client, key, "xml", **{"api_key": key, **fields} if "api_key" not in fields else fields)
    assert response.status_code == status, response.data
    root = ET.fromstring(response.data)
    assert root.tag == "errors" and root.find("error/code").text == str(status)
    assert words.lower() in root.find("error/description").text.lower()
    assert client.get("/v1/reporting/reports", headers=place.council_rw).json["items"] == []


def test_a_revoked_or_read_only_key_cannot_post(client, place, make):
    read_only = place.api_key(place.council, scopes=("reporting:read",))
    assert post_request(client, read_only).status_code == 403


def test_the_request_list_filters_by_code_status_and_dates(client, place, key):
    first = post_request(client, key).json[0]["service_request_id"]
    second = post_request(client, key, service_code="borough-council:fly-tipping", **{"attribute[depth]": None}).json[0]["service_request_id"]
    client.post(f"/v1/reporting/reports/{first}/status", headers=place.council_rw, json={"status": "closed"})
    _, body = get(client, "requests", "json")
    assert {r["service_request_id"] for r in body} == {first, second}
    _, body = get(client, "requests", "json", status="closed")
    assert [r["service_request_id"] for r in body] == [first]
    _, body = get(client, "requests", "json", service_code="borough-council:fly-tipping")
    assert [r["service_request_id"] for r in body] == [second]
    _, body = get(client, "requests", "json", jurisdiction_id="borough-council", service_code="fly-tipping")
    assert [r["service_request_id"] for r in body] == [second]
    _, body = get(client, "requests", "json", service_request_id=f"{first},{second}")
    assert len(body) == 2
    _, body = get(client, "requests", "json", start_date="2001-01-01T00:00:00Z", end_date="2001-02-01T00:00:00Z")
    assert body == []
    _, root = get(client, "requests", "xml")
    assert root.tag == "service_requests" and len(root.findall("request")) == 2


@pytest.mark.parametrize("params", [{"start_date": "yesterday"}, {"end_date": "2026-13-01T00:00:00Z"},
                                    {"start_date": "2026-01-01T00:00:00"},
                                    {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
                                    {"status": "pending"}])
def test_bad_dates_and_statuses_in_queries_are_400s(client, place, params):
    response, body = get(client, "requests", "json", **params)
    assert response.status_code == 400 and body[0]["code"] == 400


def test_an_unknown_jurisdiction_is_a_404(client, place):
    response, body = get(client, "services", "xml", jurisdiction_id="atlantis")
    assert response.status_code == 404 and body.find("error/code").text == "404"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_token_gives_back_the_request_id(client, place, key, fmt):
    report_id = post_request(client, key).json[0]["service_request_id"]
    token = client.get(f"/v1/reporting/reports/{report_id}", headers=place.council_rw).json["token"]
    response, body = get(client, f"tokens/{token}", fmt)
    assert response.status_code == 200
    if fmt == "json":
        assert body == [{"service_request_id": report_id, "token": token}]
    else:
        assert body.find("request/service_request_id").text == report_id and body.find("request/token").text == token
    assert get(client, "tokens/nope", fmt)[0].status_code == 404


def test_reports_in_private_categories_never_appear_publicly(client, place):
    damp = place.report(place.homes_rw, category="damp-mould", description="Black mould in the bedroom")
    _, body = get(client, "requests", "json")
    assert body == []
    assert get(client, f"requests/{damp['id']}", "json")[0].status_code == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_fixmystreet_follows_updates_and_posts_its_own(client, place, key, fmt):
    report_id = post_request(client, key).json[0]["service_request_id"]
    client.post(f"/v1/reporting/reports/{report_id}/status", headers=place.council_rw,
                json={"status": "in_progress", "note": "Crew booked.", "public": True})
    client.post(f"/v1/reporting/reports/{report_id}/status", headers=place.council_rw,
                json={"status": "closed", "closing_reason": "not_responsible", "note": "Private road.", "public": True})
    response, body = get(client, "servicerequestupdates", fmt)
    assert response.status_code == 200
    if fmt == "json":
        assert [u["status"] for u in body] == ["in_progress", "not_councils_responsibility"]
        assert list(body[0]) == ["update_id", "service_request_id", "status", "updated_datetime", "description",
                                 "media_url"]
        assert body[1]["description"] == "Private road." and body[1]["service_request_id"] == report_id
    else:
        assert body.tag == "service_request_updates"
        assert [u.find("status").text for u in body.findall("request_update")] == [
            "in_progress", "not_councils_responsibility"]
    posted = client.post(f"/open311/v2/servicerequestupdates.{fmt}", data={
        "api_key": key, "service_request_id": report_id, "update_id": "fms-77", "status": "OPEN",
        "description": "It is still there.", "updated_datetime": "2026-11-21T10:00:00Z", "email": "ada@example.org"})
    assert posted.status_code == 200, posted.data
    body = parse(posted, fmt)
    update_id = body[0]["update_id"] if fmt == "json" else body.find("request_update/update_id").text
    assert update_id
    staff = client.get(f"/v1/reporting/reports/{report_id}", headers=place.council_rw).json
    assert staff["status"] == "open"
    again = client.post(f"/open311/v2/servicerequestupdates.{fmt}", data={
        "api_key": key, "service_request_id": report_id, "update_id": "fms-77", "status": "OPEN",
        "description": "It is still there."})
    assert parse(again, fmt) == body if fmt == "json" else again.status_code == 200
    history = client.get(f"/v1/reporting/reports/{report_id}/updates", headers=place.council_rw).json
    assert [h["status"] for h in history] == ["open", "in_progress", "closed", "open"]


def test_updates_cannot_be_posted_to_another_organisations_report(client, place):
    damp = place.report(place.homes_rw, category="damp-mould")
    council_key = place.api_key(place.council)
    response = client.post("/open311/v2/servicerequestupdates.json", data={
        "api_key": council_key, "service_request_id": damp["id"], "status": "closed", "description": "x"})
    assert response.status_code == 404
