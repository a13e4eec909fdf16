"""The sandbox is a separate world: a sandbox client books test resources only and never touches live capacity."""
import concurrent.futures
import datetime as dt
import threading
import uuid

import pytest
import requests
import sqlalchemy as sa
from flask import g

from civic.booking.models import Booking, Hold, OpeningException, Resource, Slot
from civic.core import privacy
from civic.core.db import session, unit_of_work
from tests.booking.conftest import at, iso, next_weekday
from tests.booking.test_concurrency import overbooked_slots
from tests.booking.test_service import let_time_pass
from civic.core.tenancy import place_wide

ATTENDEE = {"name": "Sam Citizen", "email": "sam@example.org", "phone": "020 7946 0018"}


@pytest.fixture
def test_mode(org, make):
    """Headers of a sandbox client of the same organisation as `org`."""
    return make.headers(org.tenant, "booking:read", "booking:write", sandbox=True)


def sandbox_resource(client, headers, **overrides) -> dict:
    body = {"name": "Community room", "kind": "room", "capacity": 1, "slot_minutes": 60, "max_advance_days": 400,
            "opening_hours": {day: [{"start": "09:00", "end": "17:00"}]
                              for day in ("monday", "tuesday", "wednesday", "thursday", "friday")}, **overrides}
    response = client.post("/v1/booking/resources", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def book(client, headers, resource, start, **extra):
    return client.post("/v1/booking/bookings", headers=headers,
                       json={"resource_id": resource["id"], "start": iso(start), "attendee": ATTENDEE, **extra})


def remaining(client, headers, resource, start) -> int:
    found = client.get(f"/v1/booking/resources/{resource['id']}/availability", headers=headers,
                       query_string={"from": iso(start), "to": iso(start + dt.timedelta(minutes=1))})
    assert found.status_code == 200, found.json
    return found.json["slots"][0]["remaining"]


def ids(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def assert_not_found(response):
    assert response.status_code == 404, (response.status_code, response.get_json(silent=True))
    assert response.json["code"] == "not_found"


def the_other_worlds_view(client, headers, resource, booking, held, day):
    """Every way to reach a resource, its booking and its hold: each must be a 404 or leave them out."""
    rid, bid, hid = resource["id"], booking["id"], held["id"]
    start = iso(at(day, "11:00"))
    for response in (
            client.get(f"/v1/booking/resources/{rid}", headers=headers),
            client.patch(f"/v1/booking/resources/{rid}", json={"capacity": 9}, headers=headers),
            client.get(f"/v1/booking/resources/{rid}/exceptions", headers=headers),
            client.post(f"/v1/booking/resources/{rid}/exceptions", json={"date": str(day), "kind": "closed"},
                        headers=headers),
            client.get(f"/v1/booking/resources/{rid}/availability", headers=headers,
                       query_string={"from": start, "to": iso(at(day, "12:00"))}),
            client.get(f"/v1/booking/resources/{rid}/calendar.ics", headers=headers),
            client.post("/v1/booking/holds", json={"resource_id": rid, "start": start}, headers=headers),
            client.post("/v1/booking/bookings", json={"resource_id": rid, "start": start, "attendee": ATTENDEE},
                        headers=headers),
            client.get(f"/v1/booking/holds/{hid}", headers=headers),
            client.post(f"/v1/booking/holds/{hid}/confirm", json={"attendee": ATTENDEE}, headers=headers),
            client.post(f"/v1/booking/holds/{hid}/release", headers=headers),
            client.get(f"/v1/booking/bookings/{bid}", headers=headers),
            client.get(f"/v1/booking/bookings/{bid}.ics", headers=headers),
            client.post(f"/v1/booking/bookings/{bid}/cancel", json={}, headers=headers),
            client.post(f"/v1/booking/bookings/{bid}/reschedule", json={"start": start}, headers=headers)):
        assert_not_found(response)
    assert rid not in ids(client.get("/v1/booking/resources", headers=headers))
    assert bid not in ids(client.get("/v1/booking/bookings", headers=headers))
    assert ids(client.get("/v1/booking/bookings", query_string={"resource_id": rid}, headers=headers)) == []
    assert ids(client.get("/v1/booking/day", query_string={"date": str(day)}, headers=headers)) == []


def a_world(client, headers, resource_factory, day):
    resource = resource_factory()
    booking = book(client, headers, resource, at(day, "09:00"))
    assert booking.status_code == 201, booking.json
    held = client.post("/v1/booking/holds", json={"resource_id": resource["id"], "start": iso(at(day, "10:00"))},
                       headers=headers)
    assert held.status_code == 201, held.json
    return resource, booking.json, held.json


def test_a_sandbox_client_cannot_see_hold_or_book_a_live_resource_or_read_its_attendees(client, org, test_mode):
    day = next_weekday(0)
    resource, booking, held = a_world(client, org.both, lambda: org.resource(client), day)
    the_other_worlds_view(client, test_mode, resource, booking, held, day)
    # and the live world is just as it was
    assert client.get(f"/v1/booking/bookings/{booking['id']}", headers=org.both).json["attendee"]["name"] == "Sam Citizen"
    assert client.get(f"/v1/booking/holds/{held['id']}", headers=org.both).json["status"] == "held"
    assert client.get(f"/v1/booking/resources/{resource['id']}", headers=org.both).json["capacity"] == 1


def test_a_live_client_never_sees_sandbox_resources_or_bookings(client, org, test_mode):
    day = next_weekday(1)
    resource, booking, held = a_world(client, test_mode, lambda: sandbox_resource(client, test_mode), day)
    the_other_worlds_view(client, org.both, resource, booking, held, day)
    assert client.get(f"/v1/booking/bookings/{booking['id']}", headers=test_mode).status_code == 200
    assert ids(client.get("/v1/booking/resources", headers=test_mode)) == [resource["id"]]


def test_filling_a_sandbox_copy_never_makes_the_live_slot_unavailable(client, org, test_mode):
    live = org.resource(client, capacity=1)
    copy = sandbox_resource(client, test_mode, capacity=1)
    start = at(next_weekday(2), "09:00")
    assert_not_found(book(client, test_mode, live, start))  # the last real place is not the sandbox's to take
    assert remaining(client, org.both, live, start) == 1
    assert book(client, test_mode, copy, start).status_code == 201
    full = book(client, test_mode, copy, start)
    assert full.status_code == 409 and full.json["code"] == "slot_unavailable"
    assert remaining(client, test_mode, copy, start) == 0
    assert remaining(client, org.both, live, start) == 1
    assert book(client, org.both, live, start).status_code == 201  # the real resident gets the place
    assert remaining(client, org.both, live, start) == 0


def test_a_sandbox_hold_that_runs_out_is_expired_by_the_job_in_its_own_world(app, client, org, test_mode, worker):
    copy = sandbox_resource(client, test_mode, capacity=1)
    start = at(next_weekday(3), "09:00")
    held = client.post("/v1/booking/holds", json={"resource_id": copy["id"], "start": iso(start), "minutes": 5},
                       headers=test_mode).json
    assert remaining(client, test_mode, copy, start) == 0
    let_time_pass(app, held["id"])
    worker.drain()
    assert client.get(f"/v1/booking/holds/{held['id']}", headers=test_mode).json["status"] == "expired"
    assert remaining(client, test_mode, copy, start) == 1
    with app.app_context(), place_wide("tests.inspection"):  # the job's own changes (slot counter, event) stayed in the sandbox too
        assert session.scalar(sa.select(Slot.sandbox).where(Slot.resource_id == uuid.UUID(copy["id"]))) is True
        assert session.scalar(sa.select(Hold.sandbox).where(Hold.id == uuid.UUID(held["id"]))) is True


def test_every_record_a_sandbox_client_makes_is_a_sandbox_record(app, client, org, test_mode):
    day = next_weekday(4)
    resource, booking, held = a_world(client, test_mode, lambda: sandbox_resource(client, test_mode), day)
    assert client.post(f"/v1/booking/resources/{resource['id']}/exceptions", headers=test_mode,
                       json={"date": str(day + dt.timedelta(days=7)), "kind": "closed"}).status_code == 201
    live, *_ = a_world(client, org.both, lambda: org.resource(client), day)
    with app.app_context(), place_wide("tests.inspection"):
        for model in (Resource, OpeningException, Slot, Hold, Booking):
            worlds = set(session.scalars(sa.select(model.sandbox).where(model.resource_id == uuid.UUID(resource["id"]))
                                         if model is not Resource else
                                         sa.select(model.sandbox).where(model.id == uuid.UUID(resource["id"]))))
            assert worlds == {True}, model
        for model in (Slot, Hold, Booking):
            assert set(session.scalars(sa.select(model.sandbox).where(model.resource_id == uuid.UUID(live["id"])))) == {False}


def test_exports_and_feeds_of_each_world_hold_only_that_world(app, client, org, test_mode):
    start = at(next_weekday(0), "09:00")
    live, copy = org.resource(client, capacity=3), sandbox_resource(client, test_mode, capacity=3)
    real = book(client, org.both, live, start).json
    test = book(client, test_mode, copy, start).json

    with app.app_context(), place_wide("tests.inspection"):
        live_export = privacy.export_subject(app, tenant_id=org.tenant.id, email="sam@example.org")
        g.civic_sandbox = True  # as a job or command working for a sandbox client
        test_export = privacy.export_subject(app, tenant_id=org.tenant.id, email="sam@example.org")
    assert [b["id"] for b in live_export["booking"]] == [real["id"]]
    assert [b["id"] for b in test_export["booking"]] == [test["id"]]

    live_feed = client.get(f"/v1/booking/resources/{live['id']}/calendar.ics", headers=org.both).get_data(as_text=True)
    test_feed = client.get(f"/v1/booking/resources/{copy['id']}/calendar.ics", headers=test_mode).get_data(as_text=True)
    assert real["id"] in live_feed and test["id"] not in live_feed
    assert test["id"] in test_feed and real["id"] not in test_feed
    day = {"date": str(start.date())}
    assert ids(client.get("/v1/booking/day", query_string=day, headers=org.both)) == [real["id"]]
    assert ids(client.get("/v1/booking/day", query_string=day, headers=test_mode)) == [test["id"]]

    with app.app_context(), place_wide("tests.inspection"), unit_of_work():  # erasing in one world leaves the other alone
        g.civic_sandbox = True
        assert privacy.erase_subject(app, tenant_id=org.tenant.id, email="sam@example.org") == 1
    assert client.get(f"/v1/booking/bookings/{real['id']}", headers=org.both).json["attendee"] == ATTENDEE | {
        "phone": "+442079460018"}


def test_the_demo_clients_book_in_the_sandbox_and_live_clients_do_not_see_it(app, client, make):
    from civic.demo import seed
    from civic.core.tenancy import tenant_by_slug

    with app.app_context(), place_wide("tests.inspection"):
        seed()
        council = tenant_by_slug("borough-council")
    token = client.post("/oauth/token", data={"grant_type": "client_credentials", "scope": "booking:read booking:write"},
                        auth=("demo-borough-council", "demo-borough-council-secret")).json["access_token"]
    demo = {"Authorization": f"Bearer {token}"}
    listed = client.get("/v1/booking/resources", headers=demo).json["items"]
    assert [r["name"] for r in listed] == ["Bulky waste collection"]
    now = dt.datetime.now(dt.timezone.utc)  # the README's next step: its free slots, then hold one
    free = client.get(f"/v1/booking/resources/{listed[0]['id']}/availability", headers=demo,
                      query_string={"from": iso(now), "to": iso(now + dt.timedelta(days=14))}).json["slots"]
    assert free and {s["remaining"] for s in free} == {8}
    held = client.post("/v1/booking/holds", json={"resource_id": listed[0]["id"], "start": free[0]["start"]}, headers=demo)
    assert held.status_code == 201, held.json
    live = make.headers(council, "booking:read")
    assert client.get("/v1/booking/resources", headers=live).json["items"] == []
    assert_not_found(client.get(f"/v1/booking/resources/{listed[0]['id']}", headers=live))


def test_a_hundred_concurrent_sandbox_bookings_leave_the_live_resource_alone(app, client, org, test_mode, live_server):
    live = org.resource(client, capacity=5)
    copy = sandbox_resource(client, test_mode, capacity=5)
    start = at(next_weekday(0), "10:00")
    assert book(client, org.both, live, start).status_code == 201
    before = remaining(client, org.both, live, start)
    server = live_server(workers=4)
    barrier = threading.Barrier(20)

    def attempt(n: int):
        if n < 20:
            barrier.wait(timeout=60)
        response = requests.post(f"{server.url}/v1/booking/bookings", headers=test_mode, timeout=120,
                                 json={"resource_id": copy["id"], "start": iso(start), "attendee": {"name": f"Test {n}"}})
        return response.status_code, response.json().get("code")

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(attempt, range(100)))

    assert sorted(set(results)) == [(201, None), (409, "slot_unavailable")]
    assert sum(1 for status, _ in results if status == 201) == 5
    assert overbooked_slots(app) == []
    assert remaining(client, org.both, live, start) == before == 4
    assert remaining(client, test_mode, copy, start) == 0
    assert ids(client.get("/v1/booking/bookings", query_string={"resource_id": live["id"]}, headers=org.both)) != []
    assert len(ids(client.get("/v1/booking/bookings", headers=org.both))) == 1
