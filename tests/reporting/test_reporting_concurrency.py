"""Reporting under concurrent requests: a real multi-worker server, requests released together."""

import pytest
import requests

from tests.conftest import postgres_only
from tests.helpers import together
from tests.reporting.conftest import WHERE

pytestmark = postgres_only
ROUNDS = 5


@pytest.fixture
def server(live_server):
    return live_server(workers=4)


def new_report(server, headers, category="fly-tipping"):
    response = requests.post(f"{server.url}/v1/reporting/reports", headers=headers, timeout=30,
                             json={"category": category, "description": "Sofa", **WHERE})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def history(server, headers, report_id):
    response = requests.get(f"{server.url}/v1/reporting/reports/{report_id}/updates", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_two_status_updates_at_once_leave_a_consistent_report_and_history(server, place):
    key = place.api_key(place.council)
    for _ in range(ROUNDS):
        report_id = new_report(server, place.council_rw)

        def post(status):
            return lambda: requests.post(f"{server.url}/open311/v2/servicerequestupdates.json", timeout=60, data={
                "api_key": key, "service_request_id": report_id, "status": status, "description": status})

        answers = together(post("in_progress"), post("fixed"))
        assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
        report = requests.get(f"{server.url}/v1/reporting/reports/{report_id}", headers=place.council_rw,
                              timeout=30).json()
        assert (report["status"], report["closing_reason"]) in {("in_progress", None), ("closed", "fixed")}
        steps = [(h["from_status"], h["status"]) for h in history(server, place.council_rw, report_id)]
        # Each change starts where the one before it ended: never two "from open".
        assert steps[0] == (None, "open") and len(steps) == 3
        assert steps[1][0] == "open" and steps[2][0] == steps[1][1], steps
        assert steps[2][1] == report["status"]


def test_ten_identical_open311_updates_at_once_make_one(server, place):
    key = place.api_key(place.council)
    report_id = new_report(server, place.council_rw)

    def post():
        return requests.post(f"{server.url}/open311/v2/servicerequestupdates.json", timeout=60, data={
            "api_key": key, "service_request_id": report_id, "update_id": "fms-1", "status": "in_progress",
            "description": "On our list"})

    answers = together(*[post] * 10)
    assert [a.status_code for a in answers] == [200] * 10, [a.text for a in answers]
    assert len({a.json()[0]["update_id"] for a in answers}) == 1
    notes = [h["note"] for h in history(server, place.council_rw, report_id)]
    assert notes.count("On our list") == 1


def test_crossing_transfers_at_once_both_succeed(server, place):
    for _ in range(ROUNDS):
        council_report = new_report(server, place.council_rw)
        homes_report = new_report(server, place.homes_rw, category="damp-mould")

        def transfer(report_id, headers, tenant, category):
            return lambda: requests.post(f"{server.url}/v1/reporting/reports/{report_id}/transfer", timeout=60,
                                         headers=headers, json={"tenant": tenant, "category": category})

        answers = together(transfer(council_report, place.council_rw, "riverside-homes", "damp-mould"),
                           transfer(homes_report, place.homes_rw, "borough-council", "fly-tipping"))
        assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert "deadlock" not in server.logs().lower()