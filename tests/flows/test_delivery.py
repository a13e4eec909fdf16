"""Events delivered to a receiver on loopback, signed (Standard Webhooks) and retried on the schedule."""
import datetime as dt
import json
import time
import uuid

from civic.core.db import utcnow
from civic.flows import deliveries
from civic.flows.models import Attempt, Delivery, Endpoint
from tests.flows.conftest import change, envelope_of, jobs_due_now, stored


def test_a_booking_reaches_the_receiver_as_a_verified_cloudevent(org, receiver, worker, app):
    endpoint = org.subscribe(receiver.url)
    booking = org.book()
    worker.drain()
    event = receiver.verified(endpoint["secret"])
    assert event["specversion"] == "1.0" and event["type"] == "civic.booking.created"
    assert event["source"] == "/civic/booking" and event["subject"] == booking["id"]
    assert event["datacontenttype"] == "application/json" and event["time"].endswith("Z")
    assert event["data"]["booking_id"] == booking["id"] and event["data"]["sandbox"] is False
    assert "sam@example.org" not in receiver.received[0]["body"]  # ids only
    assert set(event) == {"specversion", "id", "source", "type", "time", "subject", "datacontenttype", "data"}
    headers = {k.lower(): v for k, v in receiver.received[0]["headers"].items()}
    [delivery] = org.deliveries(endpoint)
    assert headers["webhook-id"] == delivery["id"] and headers["webhook-signature"].startswith("v1,")
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 1 and delivery["last_response_code"] == 200
    detail = org.delivery(delivery["id"])
    assert detail["payload"] == event
    [attempt] = detail["attempt_log"]
    assert attempt["status"] == "succeeded" and attempt["response_code"] == 200 and attempt["latency_ms"] >= 0
    assert attempt["next_attempt_at"] is None
    worker.drain()
    assert len(receiver.received) == 1  # once


def test_the_fan_out_runs_at_least_once_and_delivers_once(org, receiver, worker, app):
    endpoint = org.subscribe(receiver.url)
    org.book()
    [event] = [e for e in stored(app, deliveries.jobs.Job) if e.name == deliveries.FAN_OUT_JOB
               and e.payload["type"] == "civic.booking.created"]
    with app.app_context():
        from civic.core.db import unit_of_work
        from civic.core.tenancy import tenant_context

        with unit_of_work(), tenant_context(event.tenant_id):
            deliveries.fan_out(event.payload, event)  # run twice (the worker's run below is the second)
    worker.drain()
    assert len(stored(app, Delivery, Delivery.endpoint_id == uuid.UUID(endpoint["id"]))) == 1
    assert len(receiver.received) == 1


def test_wildcards_and_exact_types_choose_the_events(org, receiver, worker):
    every_booking = org.subscribe(receiver.url, ["civic.booking.*"])
    reports_only = org.subscribe(receiver.url, ["civic.reporting.report_created"])
    everything = org.subscribe(receiver.url, ["*"])
    org.book()
    worker.drain()
    assert [d["event_type"] for d in org.deliveries(every_booking)] == ["civic.booking.created"]
    assert org.deliveries(reports_only) == []
    assert "civic.booking.created" in [d["event_type"] for d in org.deliveries(everything)]
    assert len(receiver.received) == 2


def test_a_paused_endpoint_gets_nothing_until_resumed(org, receiver, worker):
    endpoint = org.subscribe(receiver.url)
    paused = org.post(f"/v1/flows/webhooks/{endpoint['id']}/pause")
    assert paused.status_code == 200 and paused.json["status"] == "paused"
    assert org.post(f"/v1/flows/webhooks/{endpoint['id']}/pause").json["code"] == "endpoint_not_changeable"
    org.book()
    test = org.post(f"/v1/flows/webhooks/{endpoint['id']}/test")
    assert test.status_code == 202
    worker.drain()
    assert receiver.received == []
    held = org.delivery(test.json["id"])
    assert held["status"] == "pending" and held["next_attempt_at"] is None  # waits for the resume
    resumed = org.post(f"/v1/flows/webhooks/{endpoint['id']}/resume")
    assert resumed.status_code == 200 and resumed.json["status"] == "active"
    assert org.post(f"/v1/flows/webhooks/{endpoint['id']}/resume").json["code"] == "endpoint_not_changeable"
    worker.drain()
    # The booking made while paused was not delivered; the held test event was.
    assert [envelope_of(r)["type"] for r in receiver.received] == ["civic.flows.test"]
    assert receiver.verified(endpoint["secret"])["data"]["endpoint_id"] == endpoint["id"]
    org.book()
    worker.drain()
    assert [envelope_of(r)["type"] for r in receiver.received] == ["civic.flows.test", "civic.booking.created"]


def test_a_500_is_retried_on_the_schedule_until_it_fails(org, receiver, worker, app):
    endpoint = org.subscribe(receiver.url)
    for _ in range(deliveries.ATTEMPTS):
        receiver.answer(500, text="Internal Server Error " + "x" * 2000)
    org.book()
    worker.drain()
    [delivery] = org.deliveries(endpoint)
    assert delivery["status"] == "pending" and delivery["attempts"] == 1 and delivery["last_response_code"] == 500
    assert len(delivery["last_error"]) <= 500 and delivery["last_error"].startswith("answered 500: Internal")
    for attempt in range(2, deliveries.ATTEMPTS + 1):
        worker.drain()
        assert org.delivery(delivery["id"])["attempts"] == attempt - 1  # not due yet: nothing sent early
        jobs_due_now(app)
        worker.drain()
    detail = org.delivery(delivery["id"])
    assert detail["status"] == "failed" and detail["attempts"] == 8 and detail["finished_at"]
    waits = [(dt.datetime.fromisoformat(a["next_attempt_at"]) - dt.datetime.fromisoformat(a["started_at"])).total_seconds()
             for a in detail["attempt_log"][:-1]]
    assert [round(w) for w in waits] == [5, 300, 1800, 7200, 18000, 36000, 36000]
    assert detail["attempt_log"][-1]["next_attempt_at"] is None
    assert len(receiver.received) == 8 and all(receiver.verifies(endpoint["secret"], i) for i in range(8))
    assert len({r["headers"]["webhook-id"] for r in receiver.received}) == 1  # the same message, retried
    assert org.deliveries(endpoint, status="failed")[0]["id"] == delivery["id"]
    assert org.deliveries(endpoint, status="succeeded") == []


def test_a_timeout_is_a_failure_then_the_retry_succeeds(org, receiver, worker, app):
    endpoint = org.subscribe(receiver.url)
    receiver.answer(200, delay=2.5)  # the tests' timeout is 1 s
    org.book()
    worker.drain()
    [delivery] = org.deliveries(endpoint)
    assert delivery["status"] == "pending" and delivery["last_response_code"] is None
    assert "timed out" in delivery["last_error"]
    assert stored(app, Endpoint)[0].failing_since is not None
    jobs_due_now(app)
    worker.drain()
    detail = org.delivery(delivery["id"])
    assert detail["status"] == "succeeded" and [a["status"] for a in detail["attempt_log"]] == ["failed", "succeeded"]
    assert stored(app, Endpoint)[0].failing_since is None


def test_a_redirect_is_a_failure_and_is_not_followed(org, receiver, worker):
    endpoint = org.subscribe(receiver.url)
    receiver.answer(302, {"Location": receiver.url + "/elsewhere"})
    org.book()
    worker.drain()
    [delivery] = org.deliveries(endpoint)
    assert delivery["status"] == "pending" and delivery["last_response_code"] == 302
    assert "not followed" in delivery["last_error"]
    assert [r["path"] for r in receiver.received] == ["/hooks"]  # never /hooks/elsewhere


def test_410_gone_disables_the_endpoint_with_an_event(org, receiver, worker, app):
    endpoint = org.subscribe(receiver.url)
    watcher = org.subscribe(receiver.url + "/watch", ["civic.flows.endpoint_disabled"])
    receiver.answer(410, text="Gone")
    org.book()
    worker.drain()
    [delivery] = org.deliveries(endpoint)
    assert delivery["status"] == "failed" and delivery["attempts"] == 1
    found = org.get(f"/v1/flows/webhooks/{endpoint['id']}").json
    assert found["status"] == "disabled" and found["disabled_reason"] == "gone"
    told = receiver.verified(watcher["secret"])
    assert told["type"] == "civic.flows.endpoint_disabled"
    assert told["data"] == {"endpoint_id": endpoint["id"], "cause": "gone", "sandbox": False}
    org.book()
    worker.drain()
    assert len(org.deliveries(endpoint)) == 1  # a disabled endpoint gets no more


def test_five_days_of_failures_disable_the_endpoint(org, receiver, worker, app):
    endpoint = org.subscribe(receiver.url)
    receiver.answer(503)
    org.book()
    worker.drain()
    assert org.get(f"/v1/flows/webhooks/{endpoint['id']}").json["status"] == "active"
    change(app, Endpoint, Endpoint.id == uuid.UUID(endpoint["id"]), failing_since=utcnow() - dt.timedelta(days=5, minutes=1))
    receiver.answer(503)
    jobs_due_now(app)
    worker.drain()
    found = org.get(f"/v1/flows/webhooks/{endpoint['id']}").json
    assert found["status"] == "disabled" and found["disabled_reason"] == "failing"
    [delivery] = org.deliveries(endpoint)
    assert delivery["status"] == "pending" and delivery["attempts"] == 2
    jobs_due_now(app)
    worker.drain()
    assert org.delivery(delivery["id"])["next_attempt_at"] is None  # held while disabled
    assert org.post(f"/v1/flows/webhooks/{endpoint['id']}/resume").status_code == 200
    worker.drain()
    assert org.delivery(delivery["id"])["status"] == "succeeded"


def test_retry_after_is_honoured_on_429_and_503(org, receiver, worker, app):
    endpoint = org.subscribe(receiver.url)
    receiver.answer(429, {"Retry-After": "120"})
    org.book()
    worker.drain()
    [delivery] = org.deliveries(endpoint)
    [attempt] = org.delivery(delivery["id"])["attempt_log"]
    wait = dt.datetime.fromisoformat(attempt["next_attempt_at"]) - dt.datetime.fromisoformat(attempt["started_at"])
    assert round(wait.total_seconds()) == 120  # not the schedule's 5 s
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    receiver.answer(503, {"Retry-After": later})
    jobs_due_now(app)
    worker.drain()
    second = org.delivery(delivery["id"])["attempt_log"][1]
    wait = dt.datetime.fromisoformat(second["next_attempt_at"]) - dt.datetime.fromisoformat(second["started_at"])
    assert 3500 <= wait.total_seconds() <= 3601  # the date given, not the schedule's 5 min
    [job] = [j for j in stored(app, deliveries.jobs.Job) if j.name == deliveries.DELIVER_JOB and j.status == "pending"]
    assert job.run_at == dt.datetime.fromisoformat(second["next_attempt_at"])


def test_replay_sends_one_more_attempt_now(org, receiver, worker, app):
    endpoint = org.subscribe(receiver.url)
    org.book()
    worker.drain()
    [delivery] = org.deliveries(endpoint)
    receiver.answer(500)
    replayed = org.post(f"/v1/flows/deliveries/{delivery['id']}/replay")
    assert replayed.status_code == 202 and replayed.json["status"] == "pending"
    assert org.post(f"/v1/flows/deliveries/{delivery['id']}/replay").json["code"] == "delivery_pending"
    worker.drain()
    detail = org.delivery(delivery["id"])
    assert detail["status"] == "failed" and detail["attempts"] == 2  # a replay is one attempt, no schedule
    assert org.post(f"/v1/flows/deliveries/{delivery['id']}/replay").status_code == 202
    worker.drain()
    assert org.delivery(delivery["id"])["status"] == "succeeded"
    assert len(receiver.received) == 3
    assert len({r["headers"]["webhook-id"] for r in receiver.received}) == 1


def test_recover_replays_every_failed_delivery_since_a_time(org, receiver, worker, app):
    endpoint = org.subscribe(receiver.url)
    for _ in range(3):
        receiver.answer(410)  # fails at once; the endpoint is disabled, then resumed
        org.book()
        worker.drain()
        org.post(f"/v1/flows/webhooks/{endpoint['id']}/resume")
    failed = org.deliveries(endpoint, status="failed")
    assert len(failed) == 3
    old = failed[0]["id"]
    change(app, Delivery, Delivery.id == uuid.UUID(old), created_at=utcnow() - dt.timedelta(days=3))
    since = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).isoformat()
    answer = org.post(f"/v1/flows/webhooks/{endpoint['id']}/recover", json={"since": since})
    assert answer.status_code == 202 and answer.json["replayed"] == 2 and answer.json["more"] is False
    worker.drain()
    assert {d["id"] for d in org.deliveries(endpoint, status="succeeded")} == {f["id"] for f in failed[1:]}
    assert [d["id"] for d in org.deliveries(endpoint, status="failed")] == [old]
    bad = org.post(f"/v1/flows/webhooks/{endpoint['id']}/recover", json={"since": since, "until": since})
    assert bad.status_code == 422 and "until" in bad.json["errors"]


def test_a_rotated_secret_signs_with_both_during_the_overlap(org, receiver, worker, app):
    endpoint = org.subscribe(receiver.url)
    rotated = org.post(f"/v1/flows/webhooks/{endpoint['id']}/rotate-secret")
    assert rotated.status_code == 200
    new = rotated.json["secret"]
    assert new.startswith("whsec_") and new != endpoint["secret"]
    until = dt.datetime.fromisoformat(rotated.json["previous_secret_expires_at"])
    assert abs((until - dt.datetime.now(dt.timezone.utc)) - dt.timedelta(hours=24)) < dt.timedelta(minutes=1)
    org.book()
    worker.drain()
    assert receiver.verifies(new) and receiver.verifies(endpoint["secret"])
    assert len(receiver.received[-1]["headers"]["webhook-signature"].split(" ")) == 2
    change(app, Endpoint, Endpoint.id == uuid.UUID(endpoint["id"]), previous_secret_expires_at=utcnow() - dt.timedelta(seconds=1))
    org.book()
    worker.drain()
    assert receiver.verifies(new) and not receiver.verifies(endpoint["secret"])
    assert len(receiver.received[-1]["headers"]["webhook-signature"].split(" ")) == 1


def test_a_sandbox_event_goes_to_sandbox_endpoints_only(make, client, receiver, worker):
    from tests.flows.conftest import Org

    live = Org(make, client)
    test = Org.__new__(Org)
    test.make, test.client, test.tenant, test._resource, test._day = make, client, live.tenant, None, 0
    test.headers = make.headers(live.tenant, "flows:read", "flows:write", "booking:read", "booking:write", sandbox=True)
    live_endpoint = live.subscribe(receiver.url + "/live")
    test_endpoint = test.subscribe(receiver.url + "/test")
    assert test_endpoint["sandbox"] is True and live_endpoint["sandbox"] is False
    assert live.get(f"/v1/flows/webhooks/{test_endpoint['id']}").status_code == 404
    test.book()
    worker.drain()
    assert [r["path"] for r in receiver.received] == ["/hooks/test"]
    assert json.loads(receiver.received[0]["body"])["data"]["sandbox"] is True
    live.book()
    worker.drain()
    assert [r["path"] for r in receiver.received] == ["/hooks/test", "/hooks/live"]


def test_every_attempt_is_stored_in_the_callers_world(org, receiver, worker, app):
    org.subscribe(receiver.url)
    org.book()
    worker.drain()
    assert [a.sandbox for a in stored(app, Attempt)] == [False]


def test_events_of_an_organisation_without_an_endpoint_for_them_queue_no_fan_out(org, other_org, receiver, app):
    """The fan-out job is queued only where an active endpoint of the event's world listens for its type;
    a new endpoint is heard at once (its commit drops the per-process cache)."""
    def fan_outs():
        return [j.payload["type"] for j in stored(app, deliveries.jobs.Job, deliveries.jobs.Job.name
                                                  == deliveries.FAN_OUT_JOB) if j.payload["type"].startswith("civic.b")]

    org.book()
    assert fan_outs() == []  # no endpoint at all
    org.subscribe(receiver.url, event_types=("civic.reporting.*",))
    other_org.subscribe(receiver.url)  # another organisation's endpoint for this very type
    org.book()
    assert fan_outs() == []
    endpoint = org.subscribe(receiver.url, event_types=("civic.booking.*",))
    org.book()
    assert fan_outs() == ["civic.booking.created"]
    assert org.post(f"/v1/flows/webhooks/{endpoint['id']}/pause").status_code == 200
    org.book()
    assert fan_outs() == ["civic.booking.created"]  # a paused endpoint hears nothing new


def test_recover_replays_at_most_its_limit_a_call_and_says_there_is_more(org, receiver, worker, app, monkeypatch):
    monkeypatch.setattr(deliveries, "RECOVER_AT_MOST", 2)
    endpoint = org.subscribe(receiver.url)
    for _ in range(3):
        receiver.answer(410)
        org.book()
        worker.drain()
        org.post(f"/v1/flows/webhooks/{endpoint['id']}/resume")
    since = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).isoformat()
    first = org.post(f"/v1/flows/webhooks/{endpoint['id']}/recover", json={"since": since}).json
    assert (first["replayed"], first["more"]) == (2, True)
    worker.drain()
    second = org.post(f"/v1/flows/webhooks/{endpoint['id']}/recover", json={"since": since}).json
    assert (second["replayed"], second["more"]) == (1, False)


def test_a_receiver_trickling_its_answer_is_cut_off_at_the_timeout(org, receiver, worker, app):
    """The timeout bounds the whole request, not each read: an answer sent a byte at a time, each within
    the socket's timeout, still fails once FLOWS_WEBHOOK_TIMEOUT_SECONDS have passed."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def trickle():
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            try:
                for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 1000:
                    conn.sendall(bytes([byte]))
                    time.sleep(0.2)  # within the 1 s socket timeout every time
            except OSError:
                pass  # the platform hung up

    threading.Thread(target=trickle, daemon=True).start()
    endpoint = org.subscribe(f"http://127.0.0.1:{listener.getsockname()[1]}/hooks")
    org.book()
    started = time.monotonic()
    worker.drain()
    assert time.monotonic() - started < 10  # 1 s allowed (app_config), not the 200 s of the whole answer
    listener.close()
    [delivery] = org.deliveries(endpoint)
    [attempt] = org.delivery(delivery["id"])["attempt_log"]
    assert attempt["status"] == "failed" and "timed out" in attempt["error"]


def test_a_retry_after_that_is_no_number_is_ignored_not_a_crash(org, receiver, worker):
    endpoint = org.subscribe(receiver.url)
    receiver.answer(429, {"Retry-After": "\u00b2"})  # a "digit" to str.isdigit, not to float()
    org.book()
    worker.drain()
    [delivery] = org.deliveries(endpoint)
    [attempt] = org.delivery(delivery["id"])["attempt_log"]
    assert attempt["status"] == "failed" and attempt["response_code"] == 429 and attempt["next_attempt_at"]
