"""Another tenant's object is the same 404 as a missing one, on every id-bearing route of booking and reporting."""
import re
import uuid

import pytest

from tests.booking.conftest import Org, at, iso, next_weekday

RW = ("booking:read", "booking:write", "reporting:read", "reporting:write")
REQUEST_ID = re.compile(rb',?\s*"request_id":\s*"[^"]*"')


@pytest.fixture
def theirs(client, make):
    """Ids of one of everything in another organisation, made through the API."""
    other = Org(make)
    headers = make.headers(other.tenant, *RW)
    receiver = make.tenant()
    receiver_headers = make.headers(receiver, *RW)
    room = other.resource(client, capacity=5)
    day = next_weekday(0)
    exception = client.post(f"/v1/booking/resources/{room['id']}/exceptions", headers=headers,
                            json={"date": next_weekday(2).isoformat(), "kind": "closed"}).json
    hold = client.post("/v1/booking/holds", headers=headers, json={"resource_id": room["id"],
                                                                   "start": iso(at(day, "10:00"))}).json
    booking = other.book(client, room, at(day, "11:00")).json
    for who in (headers, receiver_headers):
        assert client.post("/v1/reporting/categories", headers=who,
                           json={"code": "litter", "name": "Litter"}).status_code == 201
    report = client.post("/v1/reporting/reports", headers=headers,
                         json={"category": "litter", "address": "1 High Street"}).json
    moving = client.post("/v1/reporting/reports", headers=headers,
                         json={"category": "litter", "address": "2 High Street"}).json
    transfer = client.post(f"/v1/reporting/reports/{moving['id']}/transfer", headers=headers,
                           json={"tenant": receiver.slug, "category": "litter"}).json
    ids = {"resource": room["id"], "exception": exception["id"], "hold": hold["id"], "booking": booking["id"],
           "category": "litter", "report": report["id"], "transfer": transfer["id"]}
    assert all(ids.values()), ids
    return ids


def routes(day: str):
    """(method, path, body) of every route that takes an id, in the path or in the body."""
    start = f"{day}T10:00:00+00:00"
    return [
        ("GET", "/v1/booking/resources/{resource}", None),
        ("PATCH", "/v1/booking/resources/{resource}", {"name": "Mine now"}),
        ("GET", "/v1/booking/resources/{resource}/exceptions", None),
        ("POST", "/v1/booking/resources/{resource}/exceptions", {"date": day, "kind": "closed"}),
        ("DELETE", "/v1/booking/resources/{resource}/exceptions/{exception}", None),
        ("GET", f"/v1/booking/resources/{{resource}}/availability?from={day}T10:00:00%2B00:00&to={day}T12:00:00%2B00:00",
         None),
        ("GET", "/v1/booking/resources/{resource}/calendar.ics", None),
        ("POST", "/v1/booking/holds", {"resource_id": "{resource}", "start": start}),
        ("GET", "/v1/booking/holds/{hold}", None),
        ("POST", "/v1/booking/holds/{hold}/confirm", {"attendee": {"name": "Sam"}}),
        ("POST", "/v1/booking/holds/{hold}/release", None),
        ("POST", "/v1/booking/bookings", {"resource_id": "{resource}", "start": start, "attendee": {"name": "Sam"}}),
        ("GET", "/v1/booking/bookings/{booking}", None),
        ("GET", "/v1/booking/bookings/{booking}.ics", None),
        ("POST", "/v1/booking/bookings/{booking}/cancel", {}),
        ("POST", "/v1/booking/bookings/{booking}/reschedule", {"start": start}),
        ("GET", "/v1/reporting/categories/{category}", None),
        ("PATCH", "/v1/reporting/categories/{category}", {"name": "Mine now"}),
        ("DELETE", "/v1/reporting/categories/{category}", None),
        ("POST", "/v1/reporting/reports", {"category": "{category}", "address": "3 High Street"}),
        ("GET", "/v1/reporting/reports/{report}", None),
        ("POST", "/v1/reporting/reports/{report}/status", {"status": "acknowledged"}),
        ("GET", "/v1/reporting/reports/{report}/updates", None),
        ("POST", "/v1/reporting/reports/{report}/transfer", {"tenant": "anyone", "category": "litter"}),
        ("GET", "/v1/reporting/transfers/{transfer}", None),
    ]


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


def _answer(client, headers, method, path, body, ids):
    response = client.open(_fill(path, ids), method=method, headers=headers,
                           json=_fill(body, ids) if body is not None else None)
    body = REQUEST_ID.sub(b"", response.get_data()).replace(ids["category"].encode(), b"<code>")  # echoed back
    return response.status_code, response.mimetype, body


def test_another_tenants_object_is_the_same_answer_as_a_missing_one(client, make, theirs):
    mine = make.tenant()
    headers = make.headers(mine, *RW)
    missing = {name: "no-such-code" if name == "category" else str(uuid.uuid4()) for name in theirs}
    for method, path, body in routes(next_weekday(1).isoformat()):
        for_theirs = _answer(client, headers, method, path, body, theirs)
        for_missing = _answer(client, headers, method, path, body, missing)
        assert for_theirs == for_missing, (method, path)
        if "{" + "category}" not in str(body):
            assert for_theirs[0] == 404 and for_theirs[1] == "application/problem+json", (method, path, for_theirs)
