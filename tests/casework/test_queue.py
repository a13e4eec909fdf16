"""The queue (filters, due-date order, cursor pages, counts), ETags between two caseworkers, and the timeline."""
import base64
import datetime as dt
import uuid

import pytest

from tests.helpers import together


@pytest.fixture
def files(app, tmp_path):
    app.config["CASEWORK_FILES_DIR"] = str(tmp_path / "files")


def _states(client, org, ids):
    return [client.get(f"/v1/casework/cases/{i}", headers=org.worker).get_json()["state"] for i in ids]


def test_the_queue_is_filtered_and_sorted_by_due_date_page_by_page(client, org):
    org.define(client)
    waiting = org.case(client, title="Waits", team="a")
    org.move(client, waiting["id"], "triage")
    org.move(client, waiting["id"], "waiting_for_client")  # paused: no case due date, no state target
    urgent = org.case(client, title="Urgent", priority="urgent", team="b", fields={"ward": "North"})
    plain = [org.case(client, title=f"Case {i}", team="a", assignee_id=str(org.worker_user.id)) for i in range(3)]
    seen, after = [], None
    while True:
        query = "?limit=2" + (f"&after={after}" if after else "")
        page = client.get("/v1/casework/cases" + query, headers=org.worker).get_json()
        seen += page["items"]
        after = page["next"]
        if not after:
            break
    assert len(seen) == 5 and seen[-1]["id"] == waiting["id"]
    dues = [min(d for d in (c["state_due_at"], c["case_due_at"]) if d) for c in seen[:-1]]
    assert dues == sorted(dues)
    get = lambda q: [c["id"] for c in client.get("/v1/casework/cases?" + q, headers=org.worker).get_json()["items"]]
    assert get("priority=urgent") == [urgent["id"]]
    assert get("team=b") == [urgent["id"]]
    assert set(get(f"assignee_id={org.worker_user.id}")) == {c["id"] for c in plain}
    assert get("state=waiting_for_client") == [waiting["id"]]
    assert get("field=ward:North") == [urgent["id"]]
    assert get("field=ward:South") == []
    assert get("overdue=true") == []
    assert len(get("overdue=false")) == 5
    far = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=400)).isoformat().replace("+00:00", "Z")
    assert len(get(f"due_before={far}")) == 4
    assert get("case_type=social-prescribing").__len__() == 5
    bad = client.get("/v1/casework/cases?after=not-a-cursor", headers=org.worker)
    assert bad.status_code == 422 and bad.get_json()["code"] == "invalid_cursor"


def test_counts_per_state_and_overdue_band(client, org):
    org.define(client)
    for _ in range(2):
        org.case(client)
    paused = org.case(client)
    org.move(client, paused["id"], "triage")
    org.move(client, paused["id"], "waiting_for_client")
    counts = client.get("/v1/casework/counts", headers=org.viewer).get_json()
    assert counts["by_state"] == {"new": 2, "waiting_for_client": 1}
    assert counts["by_overdue"]["paused"] == 1 and counts["by_overdue"]["overdue"] == 0
    assert sum(counts["by_overdue"].values()) == 3


def test_two_caseworkers_cannot_overwrite_each_other(client, org):
    org.define(client)
    created = org.open_case(client)
    tag = created.headers["ETag"]
    first = client.patch(f"/v1/casework/cases/{created.get_json()['id']}", json={"title": "Mine"},
                         headers={**org.worker, "If-Match": tag})
    assert first.status_code == 200 and first.headers["ETag"] != tag
    second = client.patch(f"/v1/casework/cases/{created.get_json()['id']}", json={"title": "Theirs"},
                          headers={**org.admin, "If-Match": tag})
    assert second.status_code == 412 and second.get_json()["code"] == "precondition_failed"
    assert second.headers["ETag"] == first.headers["ETag"]
    stale_move = org.move(client, created.get_json()["id"], "triage", extra={"If-Match": tag})
    assert stale_move.status_code == 412
    current = client.get(f"/v1/casework/cases/{created.get_json()['id']}", headers=org.worker)
    assert current.get_json()["title"] == "Mine" and current.get_json()["state"] == "new"
    assert current.headers["ETag"] == first.headers["ETag"]


def test_two_moves_from_the_same_version_at_once_one_wins(app, org, client):
    org.define(client)
    case = org.open_case(client)
    tag, case_id = case.headers["ETag"], case.get_json()["id"]

    def move():
        with app.test_client() as http:
            return org.move(http, case_id, "triage", extra={"If-Match": tag}).status_code

    assert sorted(together(move, move)) in ([200, 412], [200, 409])
    timeline = client.get(f"/v1/casework/cases/{case_id}/timeline", headers=org.worker).get_json()["items"]
    assert [e["kind"] for e in timeline].count("state_changed") == 1


def test_the_timeline_records_every_change_with_actor_and_time(client, org, files):
    org.define(client)
    case = org.case(client)
    cid = case["id"]
    org.move(client, cid, "triage")
    client.post(f"/v1/casework/cases/{cid}/assign", json={"assignee_id": str(org.worker_user.id), "team": "t"},
                headers=org.worker)
    client.patch(f"/v1/casework/cases/{cid}", json={"priority": "urgent"}, headers=org.worker)
    client.post(f"/v1/casework/cases/{cid}/notes", json={"body": "Called"}, headers=org.worker)
    attached = client.post(f"/v1/casework/cases/{cid}/attachments", headers=org.worker,
                           json={"filename": "a.txt", "content_base64": base64.b64encode(b"hello").decode()})
    assert attached.status_code == 201, attached.get_json()
    org.move(client, cid, "waiting_for_client")
    org.move(client, cid, "triage")
    org.move(client, cid, "closed", headers=org.admin)
    items = client.get(f"/v1/casework/cases/{cid}/timeline", headers=org.viewer).get_json()["items"]
    assert [e["kind"] for e in items] == ["created", "state_changed", "assigned", "updated", "note_added",
                                          "attachment_added", "state_changed", "state_changed", "state_changed"]
    worker, admin = f"user:{org.worker_user.id}", f"user:{org.admin_user.id}"
    assert [e["actor"] for e in items] == [worker] * 8 + [admin]
    assert [e["detail"].get("to") for e in items if e["kind"] == "state_changed"] == \
        ["triage", "waiting_for_client", "triage", "closed"]
    assert items[3]["detail"] == {"fields": ["priority"]}
    times = [e["at"] for e in items]
    assert times == sorted(times)
    assert "Alex" not in str(items) and "Called" not in str(items)  # ids and names of fields, not values


def test_another_organisations_case_is_a_404_like_a_missing_one(client, org, other):
    org.define(client)
    other.define(client)
    theirs = other.case(client)
    note = client.post(f"/v1/casework/cases/{theirs['id']}/notes", json={"body": "x"}, headers=other.worker).get_json()
    ctype = client.get("/v1/casework/case-types", headers=other.admin).get_json()["items"][0]
    paths = [("GET", "/cases/{}"), ("PATCH", "/cases/{}"), ("POST", "/cases/{}/transition"), ("POST", "/cases/{}/assign"),
             ("POST", "/cases/{}/migrate"), ("GET", "/cases/{}/timeline"), ("GET", "/cases/{}/notes"),
             ("POST", "/cases/{}/notes"), ("GET", "/cases/{}/attachments"), ("POST", "/cases/{}/referrals")]
    bodies = {"PATCH": {"title": "x"}, "/transition": {"to": "triage"}, "/assign": {"assignee_id": None},
              "/migrate": {"version": 1}, "/notes": {"body": "x"}, "/referrals": {"agreement_id": str(uuid.uuid4())}}
    for method, path in paths:
        body = bodies.get(method) or next((v for k, v in bodies.items() if path.endswith(k)), None)
        if method == "GET":
            body = None
        for case_id in (theirs["id"], str(uuid.uuid4())):
            response = client.open("/v1/casework" + path.format(case_id), method=method, json=body, headers=org.admin)
            assert response.status_code == 404 and response.get_json()["code"] == "not_found", (method, path)
    missing_type = client.get(f"/v1/casework/case-types/{uuid.uuid4()}", headers=org.admin).get_json()
    assert client.get(f"/v1/casework/case-types/{ctype['id']}", headers=org.admin).get_json()["detail"] == \
        missing_type["detail"]
    assert client.get(f"/v1/casework/cases/{theirs['id']}/attachments/{note['id']}/content",
                      headers=org.admin).status_code == 404
    assert _states(client, other, [theirs["id"]]) == ["new"]
