"""200 people try to book the same 5 places at once, over real HTTP, against a multi-process server."""
import concurrent.futures

import requests
import sqlalchemy as sa

from civic.core.db import session
from tests.booking.conftest import at, iso, next_weekday
from civic.core.tenancy import place_wide

OVERBOOKED = sa.text("""
    SELECT s.id, s.used, r.capacity,
           (SELECT count(*) FROM booking_booking b WHERE b.slot_id = s.id AND b.status = 'confirmed')
         + (SELECT count(*) FROM booking_hold h WHERE h.slot_id = s.id AND h.status = 'held') AS taken
    FROM booking_slot s JOIN booking_resource r ON r.id = s.resource_id
""")


def overbooked_slots(app) -> list:
    """Slots with more bookings plus live holds than places, or whose counter disagrees with the rows."""
    with app.app_context(), place_wide("tests.inspection"):
        return [row for row in session.execute(OVERBOOKED) if row.taken > row.capacity or row.taken != row.used]


def test_two_hundred_concurrent_requests_for_five_places_give_exactly_five_bookings(app, client, org, live_server):
    room = org.resource(client, capacity=5)
    start = at(next_weekday(0), "10:00")
    server = live_server(workers=4)
    url = f"{server.url}/v1/booking/bookings"

    def attempt(n: int):
        body = {"resource_id": room["id"], "start": iso(start), "attendee": {"name": f"Person {n}"}}
        response = requests.post(url, json=body, headers=org.both, timeout=120)
        return response.status_code, response.json().get("code")

    with concurrent.futures.ThreadPoolExecutor(max_workers=40) as pool:
        results = list(pool.map(attempt, range(200)))

    assert [r for r in results if r[0] >= 500] == []
    assert sum(1 for status, _ in results if status == 201) == 5
    assert sorted(set(results)) == [(201, None), (409, "slot_unavailable")]
    assert overbooked_slots(app) == []
    listed = client.get("/v1/booking/bookings", query_string={"resource_id": room["id"]}, headers=org.both).json["items"]
    assert len(listed) == 5
