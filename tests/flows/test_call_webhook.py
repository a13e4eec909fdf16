"""`flows.call_webhook`: an automation's step tells one of the organisation's own endpoints (signed, logged,
retried like every delivery), that endpoint only; another organisation's endpoint is not found."""
import uuid

from tests.flows.conftest import envelope_of

AUTOMATIONS = "/v1/flows/automations"


def _automation(org, endpoint_id, **values):
    answer = org.post(AUTOMATIONS, json={
        "name": "Tell the room system", "trigger": "civic.booking.created",
        "steps": [{"action": "flows.call_webhook", "input": {
            "endpoint_id": str(endpoint_id), "values": {"booking_id": "{{ event.data.booking_id }}", **values}}}]})
    assert answer.status_code == 201, answer.json
    return answer.json


def test_a_step_tells_one_endpoint_signed_and_logged(org, receiver, worker):
    told = org.subscribe(receiver.url, event_types=["civic.reporting.report_created"])  # not subscribed to bookings
    bystander = org.subscribe(receiver.url + "/other", event_types=["civic.flows.*"])
    automation = _automation(org, told["id"], kind="room")
    booking = org.book()
    worker.drain()
    (run,) = org.get(f"{AUTOMATIONS}/{automation['id']}/runs").json["items"]
    assert run["status"] == "succeeded", run
    assert [r["path"] for r in receiver.received] == ["/hooks"]  # the endpoint named, and only it
    event = receiver.verified(told["secret"])
    assert event["type"] == "civic.flows.webhook_called"
    assert event["data"] == {"endpoint_id": told["id"], "values": {"booking_id": booking["id"], "kind": "room"},
                             "sandbox": False}
    assert envelope_of(receiver.received[0])["subject"] == told["id"]
    (delivery,) = org.deliveries(told)
    assert delivery["status"] == "succeeded" and delivery["event_type"] == "civic.flows.webhook_called"
    assert org.deliveries(bystander) == []


def test_another_organisations_endpoint_is_not_found_and_the_run_says_so(org, other_org, receiver, worker):
    theirs = other_org.subscribe(receiver.url)
    automation = _automation(org, theirs["id"])
    org.book()
    worker.drain()
    (run,) = org.get(f"{AUTOMATIONS}/{automation['id']}/runs").json["items"]
    assert run["status"] == "failed" and run["steps"][0]["error"]["code"] == "not_found"
    assert receiver.received == []  # nothing reached the other organisation's system
    _automation(org, uuid.uuid4())  # an endpoint that does not exist fails the same way
    org.book()
    worker.drain()
    runs = org.get(f"{AUTOMATIONS}/{automation['id']}/runs").json["items"]
    assert [r["steps"][0]["error"]["code"] for r in runs] == ["not_found", "not_found"]


def test_saving_it_needs_flows_write_and_too_many_values_fail_the_step(org, make, receiver, worker):
    told = org.subscribe(receiver.url)
    reader = make.headers(org.tenant, "flows:read", "booking:read")
    assert org.client.post(AUTOMATIONS, headers=reader, json={
        "name": "x", "trigger": "civic.booking.created",
        "steps": [{"action": "flows.call_webhook", "input": {"endpoint_id": told["id"]}}]}).status_code == 403
    automation = _automation(org, told["id"], **{f"k{n}": "v" for n in range(25)})
    org.book()
    worker.drain()
    (run,) = org.get(f"{AUTOMATIONS}/{automation['id']}/runs").json["items"]
    assert run["status"] == "failed" and run["steps"][0]["error"]["code"] == "validation_failed"
