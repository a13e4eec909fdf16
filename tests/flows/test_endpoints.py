"""Webhook endpoints through the API: create, read, change, delete; bad input, other organisations, privileges."""
import logging

import pytest

from civic.flows.models import Endpoint
from tests.flows.conftest import stored

URL = "https://bookings.riverside-community.org.uk/hooks/civic"


def test_create_shows_the_secret_once_and_stores_it_encrypted(org, app, client, caplog):
    caplog.set_level(logging.DEBUG)
    created = org.post("/v1/flows/webhooks", json={"url": URL, "event_types": ["civic.booking.*"],
                                                   "description": "Room bookings", "reference": "centre",
                                                   "metadata": {"owner": "facilities"}})
    assert created.status_code == 201 and created.headers["ETag"]
    body = created.json
    secret = body["secret"]
    assert secret.startswith("whsec_") and len(secret) >= len("whsec_") + 32
    assert body["status"] == "active" and body["event_types"] == ["civic.booking.*"]
    assert body["reference"] == "centre" and body["metadata"] == {"owner": "facilities"}
    read = org.get(f"/v1/flows/webhooks/{body['id']}")
    listed = org.get("/v1/flows/webhooks")
    assert read.status_code == 200 and "secret" not in read.json
    assert [e["id"] for e in listed.json["items"]] == [body["id"]] and "secret" not in listed.json["items"][0]
    [row] = stored(app, Endpoint)
    assert secret not in row.secret_ciphertext
    changed = client.patch(f"/v1/flows/webhooks/{body['id']}", headers=org.headers, json={"description": "x"})
    paused = org.post(f"/v1/flows/webhooks/{body['id']}/pause")
    for answer in (read, listed, changed, paused):
        assert secret not in answer.get_data(as_text=True)
    assert secret not in caplog.text
    from civic.core import audit
    from civic.core.db import session
    from civic.core.tenancy import place_wide

    with app.app_context(), place_wide("tests.inspection"):
        trail = [str(e.detail) for e in session.scalars(audit.entries(tenant_id=org.tenant.id))]
    assert trail and not any(secret in entry for entry in trail)


def test_patch_with_etag_and_delete(org, client):
    endpoint = org.subscribe(URL)
    read = org.get(f"/v1/flows/webhooks/{endpoint['id']}")
    stale = '"not-the-tag"'
    refused = client.patch(f"/v1/flows/webhooks/{endpoint['id']}", headers={**org.headers, "If-Match": stale},
                           json={"event_types": ["civic.booking.cancelled"]})
    assert refused.status_code == 412 and refused.json["code"] == "precondition_failed"
    changed = client.patch(f"/v1/flows/webhooks/{endpoint['id']}", headers={**org.headers, "If-Match": read.headers["ETag"]},
                           json={"event_types": ["civic.booking.cancelled"], "url": URL + "/v2"})
    assert changed.status_code == 200 and changed.json["event_types"] == ["civic.booking.cancelled"]
    assert changed.json["url"] == URL + "/v2" and changed.json["description"] is None
    assert changed.headers["ETag"] != read.headers["ETag"]
    assert client.delete(f"/v1/flows/webhooks/{endpoint['id']}", headers=org.headers).status_code == 204
    assert org.get(f"/v1/flows/webhooks/{endpoint['id']}").status_code == 404


def test_lists_are_cursor_pages_filtered_by_status(org):
    made = [org.subscribe(URL + f"/{n}") for n in range(3)]
    org.post(f"/v1/flows/webhooks/{made[1]['id']}/pause")
    first = org.get("/v1/flows/webhooks", query_string={"limit": 2}).json
    second = org.get("/v1/flows/webhooks", query_string={"limit": 2, "after": first["next"]}).json
    assert [e["id"] for e in first["items"] + second["items"]] == [e["id"] for e in made] and second["next"] is None
    assert [e["id"] for e in org.get("/v1/flows/webhooks", query_string={"status": "paused"}).json["items"]] == [made[1]["id"]]


@pytest.mark.parametrize("body, field, code", [
    ({"url": URL, "event_types": ["civic.booking.nonsense"]}, "event_types", "event_type_unknown"),
    ({"url": URL, "event_types": ["civic.nothing.*"]}, "event_types", "event_type_unknown"),
    ({"url": URL, "event_types": ["booking.*"]}, "event_types", "event_type_unknown"),
    ({"url": URL, "event_types": []}, "event_types", "validation_failed"),
    ({"url": URL}, "event_types", "validation_failed"),
    ({"url": "ftp://example.org/x", "event_types": ["*"]}, "url", "webhook_url_refused"),
    ({"url": "https://user:pw@example.org/x", "event_types": ["*"]}, "url", "webhook_url_refused"),
    ({"url": "https:///nohost", "event_types": ["*"]}, "url", "webhook_url_refused"),
    ({"url": "not a url at all", "event_types": ["*"]}, "url", "webhook_url_refused"),
    ({"url": URL, "event_types": ["*"], "status": "active"}, "status", "validation_failed"),
    ({"url": URL, "event_types": ["*"], "secret": "whsec_mine"}, "secret", "validation_failed"),
    ({"url": URL, "event_types": ["*"], "colour": "red"}, "colour", "validation_failed"),
    ({"url": URL, "event_types": ["*"], "metadata": {"k": 1}}, "metadata", "validation_failed"),
])
def test_bad_input_is_a_422_naming_the_field_and_nothing_is_made(org, app, body, field, code):
    answer = org.post("/v1/flows/webhooks", json=body)
    assert answer.status_code == 422 and answer.json["code"] == code, answer.json
    assert field in answer.json["errors"]
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert stored(app, Endpoint) == []


def test_bad_patch_and_bad_queries(org, client):
    endpoint = org.subscribe(URL)
    bad = client.patch(f"/v1/flows/webhooks/{endpoint['id']}", headers=org.headers, json={"event_types": ["civic.x.y"]})
    assert bad.status_code == 422 and bad.json["code"] == "event_type_unknown"
    assert org.get("/v1/flows/webhooks", query_string={"status": "gone"}).status_code == 422
    assert org.get("/v1/flows/webhooks", query_string={"after": "garbage"}).json["code"] == "invalid_cursor"
    assert org.get(f"/v1/flows/webhooks/{endpoint['id']}/deliveries", query_string={"status": "odd"}).status_code == 422
    assert org.post(f"/v1/flows/webhooks/{endpoint['id']}/recover", json={}).status_code == 422
    assert org.get("/v1/flows/webhooks/not-a-uuid").status_code == 404


def test_another_organisations_endpoints_and_deliveries_are_404(org, other_org, receiver, worker, client):
    endpoint = org.subscribe(receiver.url)
    org.book()
    worker.drain()
    [delivery] = org.deliveries(endpoint)
    theirs = other_org
    missing = theirs.get("/v1/flows/webhooks/00000000-0000-4000-8000-000000000000")
    for answer in (theirs.get(f"/v1/flows/webhooks/{endpoint['id']}"),
                   client.patch(f"/v1/flows/webhooks/{endpoint['id']}", headers=theirs.headers, json={"description": "x"}),
                   client.delete(f"/v1/flows/webhooks/{endpoint['id']}", headers=theirs.headers),
                   theirs.post(f"/v1/flows/webhooks/{endpoint['id']}/pause"),
                   theirs.post(f"/v1/flows/webhooks/{endpoint['id']}/rotate-secret"),
                   theirs.post(f"/v1/flows/webhooks/{endpoint['id']}/test"),
                   theirs.get(f"/v1/flows/webhooks/{endpoint['id']}/deliveries"),
                   theirs.post(f"/v1/flows/webhooks/{endpoint['id']}/recover", json={"since": "2027-01-01T00:00:00Z"})):
        assert answer.status_code == 404 and answer.json["detail"] == missing.json["detail"]
    no_delivery = theirs.get("/v1/flows/deliveries/00000000-0000-4000-8000-000000000000")
    for answer in (theirs.get(f"/v1/flows/deliveries/{delivery['id']}"),
                   theirs.post(f"/v1/flows/deliveries/{delivery['id']}/replay")):
        assert answer.status_code == 404 and answer.json["detail"] == no_delivery.json["detail"]
    assert theirs.get("/v1/flows/webhooks").json["items"] == []
    # Their bookings are not sent to our endpoint.
    theirs.book()
    worker.drain()
    assert len(receiver.received) == 1


def test_too_few_scopes_or_a_viewer_or_a_caseworker_are_refused(org, make, client):
    endpoint = org.subscribe(URL)
    reader = make.headers(org.tenant, "flows:read")
    assert client.get("/v1/flows/webhooks", headers=reader).status_code == 200
    assert client.post("/v1/flows/webhooks", headers=reader, json={"url": URL, "event_types": ["*"]}).status_code == 403
    assert client.post(f"/v1/flows/webhooks/{endpoint['id']}/pause", headers=reader).status_code == 403
    assert client.get("/v1/flows/webhooks", headers=make.headers(org.tenant, "booking:read")).status_code == 403
    assert client.get("/v1/flows/webhooks").status_code == 401
    viewer = make.headers(org.tenant, "flows:read", "flows:write", user=make.user(org.tenant, role="viewer"))
    assert client.get("/v1/flows/webhooks", headers=viewer).status_code == 200
    assert client.post("/v1/flows/webhooks", headers=viewer, json={"url": URL, "event_types": ["*"]}).status_code == 403
    caseworker = make.headers(org.tenant, "flows:read", "flows:write", user=make.user(org.tenant, role="caseworker"))
    refused = client.post("/v1/flows/webhooks", headers=caseworker, json={"url": URL, "event_types": ["*"]})
    assert refused.status_code == 403 and refused.json["code"] == "flows_admin_required"
    assert client.post(f"/v1/flows/webhooks/{endpoint['id']}/rotate-secret", headers=caseworker).status_code == 403
    # An admin's pause is a kill switch: a caseworker can neither undo it nor send anything to the endpoint.
    assert client.post(f"/v1/flows/webhooks/{endpoint['id']}/pause", headers=org.headers).status_code == 200
    for action, body in (("resume", None), ("pause", None), ("test", None),
                         ("recover", {"since": "2026-01-01T00:00:00Z"})):
        refused = client.post(f"/v1/flows/webhooks/{endpoint['id']}/{action}", headers=caseworker, json=body)
        assert refused.status_code == 403 and refused.json["code"] == "flows_admin_required", action
    refused = client.post(f"/v1/flows/deliveries/{endpoint['id']}/replay", headers=caseworker)
    assert refused.status_code == 403 and refused.json["code"] == "flows_admin_required"
    assert org.get(f"/v1/flows/webhooks/{endpoint['id']}").json["status"] == "paused"
    admin = make.headers(org.tenant, "flows:read", "flows:write", user=make.user(org.tenant, role="tenant_admin"))
    assert client.post("/v1/flows/webhooks", headers=admin, json={"url": URL, "event_types": ["*"]}).status_code == 201


def test_an_organisation_has_at_most_its_limit_of_endpoints_in_each_world(org, make, client, app):
    app.config["FLOWS_MAX_ENDPOINTS"] = 2
    first = org.subscribe(URL)
    org.subscribe(URL)
    refused = org.post("/v1/flows/webhooks", json={"url": URL, "event_types": ["*"]})
    assert refused.status_code == 409 and refused.json["code"] == "endpoint_limit_reached"
    sandbox = make.headers(org.tenant, "flows:read", "flows:write", sandbox=True)
    assert client.post("/v1/flows/webhooks", headers=sandbox, json={"url": URL, "event_types": ["*"]}).status_code == 201
    assert client.delete(f"/v1/flows/webhooks/{first['id']}", headers=org.headers).status_code == 204
    assert org.post("/v1/flows/webhooks", json={"url": URL, "event_types": ["*"]}).status_code == 201
