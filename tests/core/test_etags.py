"""Optimistic concurrency: every changeable resource answers with a strong ETag; If-Match (optional) is honoured."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.booking.conftest import Org
from tests.conftest import postgres_only

RW = ("booking:read", "booking:write", "reporting:read", "reporting:write")


class Target:
    """One changeable resource: where to read it, how to change it, and what shows the change."""

    def __init__(self, client, headers, kind):
        self.client, self.headers, self.kind = client, headers, kind
        if kind == "resource":
            created = client.post("/v1/booking/resources", headers=headers, json={"name": "Room", "capacity": 2})
            self.url = f"/v1/booking/resources/{created.json['id']}"
        elif kind == "category":
            created = client.post("/v1/reporting/categories", headers=headers, json={"code": "litter", "name": "Litter"})
            self.url = "/v1/reporting/categories/litter"
        else:
            client.post("/v1/reporting/categories", headers=headers, json={"code": "litter", "name": "Litter"})
            created = client.post("/v1/reporting/reports", headers=headers,
                                  json={"category": "litter", "address": "1 High Street"})
            self.url = f"/v1/reporting/reports/{created.json['id']}"
        assert created.status_code == 201, created.json
        self.created = created
        self.step = 0

    def change(self, **headers):
        """Send the next change (each one different from the last)."""
        self.step += 1
        all_headers = {**self.headers, **headers}
        if self.kind == "resource":
            return self.client.patch(self.url, headers=all_headers, json={"capacity": 2 + self.step})
        if self.kind == "category":
            return self.client.patch(self.url, headers=all_headers, json={"name": f"Litter {self.step}"})
        status = ("acknowledged", "in_progress")[self.step % 2]
        return self.client.post(f"{self.url}/status", headers=all_headers, json={"status": status})

    def read(self):
        return self.client.get(self.url, headers=self.headers)

    def state(self):
        body = self.read().json
        return {key: body[key] for key in ("capacity", "name", "status") if key in body}


@pytest.fixture(params=["resource", "category", "report"])
def target(request, client, make):
    org = Org(make)
    return Target(client, make.headers(org.tenant, *RW), request.param)


def test_every_answer_with_a_changeable_resource_carries_its_etag(target):
    read = target.read()
    assert target.created.headers["ETag"] == read.headers["ETag"]
    tag = read.headers["ETag"]
    assert tag.startswith('"') and tag.endswith('"') and not tag.startswith("W/")  # strong
    changed = target.change()
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert changed.headers["ETag"] == target.read().headers["ETag"]


def test_a_stale_if_match_is_a_412_and_changes_nothing(target):
    stale = target.read().headers["ETag"]
    assert target.change().status_code == 200
    before, current = target.state(), target.read().headers["ETag"]
    refused = target.change(**{"If-Match": stale})
    assert refused.status_code == 412 and refused.json["code"] == "precondition_failed"
    assert refused.mimetype == "application/problem+json"
    assert target.state() == before and target.read().headers["ETag"] == current


def test_the_current_etag_lets_the_change_through(target):
    current = target.read().headers["ETag"]
    changed = target.change(**{"If-Match": current})
    assert changed.status_code == 200, changed.json
    assert target.change(**{"If-Match": f'"nope", {changed.headers["ETag"]}'}).status_code == 200
    assert target.change(**{"If-Match": "*"}).status_code == 200


def test_a_weak_etag_never_matches_because_if_match_compares_strongly(target):
    current = target.read().headers["ETag"]
    refused = target.change(**{"If-Match": f"W/{current}"})
    assert refused.status_code == 412 and refused.json["code"] == "precondition_failed"


def test_if_match_is_optional(target):
    assert target.change().status_code == 200
    assert target.change().status_code == 200


def test_the_api_description_offers_if_match_on_each_change_that_honours_it(client):
    paths = client.get("/openapi.json").json["paths"]
    for path, method in (("/v1/booking/resources/{resource_id}", "patch"), ("/v1/reporting/categories/{code}", "patch"),
                         ("/v1/reporting/reports/{report_id}/status", "post")):
        headers = [p["name"] for p in paths[path][method].get("parameters", []) if p["in"] == "header"]
        assert "If-Match" in headers, (path, method)


@postgres_only
@pytest.mark.parametrize("kind", ["resource", "category", "report"])
def test_of_two_changes_sent_at_once_from_one_version_one_wins_and_one_gets_a_412(live_server, make, kind):
    server = live_server(workers=4)
    headers = make.headers(Org(make).tenant, *RW)

    def call(method, path, body=None, **extra):
        return requests.request(method, f"{server.url}{path}", headers={**headers, **extra}, json=body, timeout=60)

    if kind == "resource":
        url = f"/v1/booking/resources/{call('POST', '/v1/booking/resources', {'name': 'Room'}).json()['id']}"
        method, path, bodies = "PATCH", url, lambda n: ({"capacity": 2 * n + 2}, {"capacity": 2 * n + 3})
    else:
        assert call("POST", "/v1/reporting/categories", {"code": "litter", "name": "Litter"}).status_code == 201
        if kind == "category":
            url = "/v1/reporting/categories/litter"
            method, path, bodies = "PATCH", url, lambda n: ({"name": f"A{n}"}, {"name": f"B{n}"})
        else:
            created = call("POST", "/v1/reporting/reports", {"category": "litter", "address": "1 High Street"})
            url = f"/v1/reporting/reports/{created.json()['id']}"
            method, path, bodies = "POST", f"{url}/status", lambda n: (  # each a change, whoever won before
                {"status": "acknowledged", "note": f"a{n}"}, {"status": "in_progress", "note": f"b{n}"})
    for round_ in range(3):  # each round's changes differ from the last: a change to the same values is no new version
        tag = call("GET", url).headers["ETag"]
        barrier = threading.Barrier(2)

        def send(body):
            barrier.wait()
            return call(method, path, body, **{"If-Match": tag})

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(send, bodies(round_)))
        assert sorted(a.status_code for a in answers) == [200, 412], [a.text for a in answers]
        winner = next(a for a in answers if a.status_code == 200)
        assert call("GET", url).headers["ETag"] == winner.headers["ETag"]
