"""Lists are cursor-paginated: `limit` 1-100, an opaque `next` cursor, stable while records arrive."""
import base64
import json
import uuid

import pytest

from tests.core.conftest import assert_problem


def pages(client, headers, limit):
    url, seen = f"/v1/admin/tenants?limit={limit}", []
    while url:
        body = client.get(url, headers=headers).get_json()
        assert len(body["items"]) <= limit
        seen.append([t["slug"] for t in body["items"]])
        url = f"/v1/admin/tenants?limit={limit}&after={body['next']}" if body["next"] else None
    return seen


def test_pages_cover_every_item_once_in_creation_order(client, make, steward):
    slugs = ["steward-council"] + [make.tenant(f"org-{n}").slug for n in range(6)]
    assert pages(client, steward, 3) == [slugs[0:3], slugs[3:6], slugs[6:7]]
    assert pages(client, steward, 7) == [slugs]
    assert client.get("/v1/admin/tenants", headers=steward).get_json()["next"] is None


def test_a_cursor_stays_valid_while_new_records_arrive(client, make, steward):
    for n in range(3):
        make.tenant(f"org-{n}")
    first = client.get("/v1/admin/tenants?limit=2", headers=steward).get_json()
    make.tenant("arrived-later")
    rest = client.get(f"/v1/admin/tenants?limit=10&after={first['next']}", headers=steward).get_json()
    assert [t["slug"] for t in first["items"]] == ["steward-council", "org-0"]
    assert [t["slug"] for t in rest["items"]] == ["org-1", "org-2", "arrived-later"]


@pytest.mark.parametrize("limit", ["0", "101", "-1", "many"])
def test_a_limit_outside_1_to_100_is_a_422(client, steward, limit):
    body = assert_problem(client.get(f"/v1/admin/tenants?limit={limit}", headers=steward), 422, "validation_failed")
    assert "limit" in body["errors"]


@pytest.mark.parametrize("limit", ["1", "100"])
def test_the_limits_themselves_are_accepted(client, steward, limit):
    assert client.get(f"/v1/admin/tenants?limit={limit}", headers=steward).status_code == 200


def cursor(raw) -> str:
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


BAD_CURSORS = {
    "garbage": "not-a-cursor", "not base64": "!!!", "not a time": cursor(["yesterday", str(uuid.uuid4())]),
    "an object": cursor({"a": 1}), "a number": cursor(5), "one item": cursor(["2026-01-01T00:00:00+00:00"]),
    "a time without an offset": cursor(["2026-01-01T00:00:00", str(uuid.uuid4())]),
    "not a uuid": cursor(["2026-01-01T00:00:00+00:00", "not-a-uuid"]),
}


@pytest.mark.parametrize("bad", BAD_CURSORS.values(), ids=BAD_CURSORS.keys())
def test_a_cursor_we_did_not_give_is_a_422(client, steward, bad):
    body = assert_problem(client.get(f"/v1/admin/tenants?after={bad}", headers=steward), 422, "invalid_cursor")
    assert "after" in body["errors"]
