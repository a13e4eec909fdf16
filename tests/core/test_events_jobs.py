"""Events and outbox jobs: written with the change or not at all; retried, dead-lettered, retried by a steward."""
import datetime as dt
import uuid

import flask
import pytest
import sqlalchemy as sa
from flask.views import MethodView
from marshmallow import Schema, fields

from civic.core import events, jobs
from civic.core.db import session, unit_of_work, utcnow
from tests.core.conftest import assert_problem, count
from civic.core.tenancy import place_wide


class NData(Schema):
    n = fields.Integer()
    slot = fields.String()


THING_CREATED = events.EventType("civic.test.thing_created", "A thing was made (for these tests).", NData)
HAPPENED = events.EventType("civic.test.happened", "Something happened (for these tests).", NData)
OTHER = events.EventType("civic.test.other", "Something else happened (for these tests).", NData)


# --- unit of work -----------------------------------------------------------------------
@pytest.fixture
def outbox_app(app_with_route):
    """An app with a tiny route that emits an event and queues a job, then succeeds or fails as asked."""
    from civic.core.auth import require
    from civic.core.errors import Problem
    from civic.gateway import service

    class Thing(MethodView):
        @require("platform:admin")
        def post(self):
            body = flask.request.get_json()
            tenant = service.create_tenant(slug=body["slug"], name="Thing")
            THING_CREATED.emit(tenant_id=tenant.id, subject=str(tenant.id), data={"n": 1})
            jobs.enqueue("test.send_letter", {"tenant": str(tenant.id)}, tenant_id=tenant.id)
            if body.get("fail"):
                raise Problem(409, "thing_refused", "Refused after the event and the job were written.")
            if body.get("crash"):
                raise RuntimeError("crashed after the event and the job were written")
            return {"id": str(tenant.id)}, 201

    app = app_with_route("/v1/things", Thing)
    jobs.register(app, "test.send_letter", lambda payload, job: None)
    return app


@pytest.fixture
def steward_of(make):
    return lambda app: make.headers(make.tenant(f"steward-{uuid.uuid4().hex[:6]}"), "platform:admin")


def outbox_counts(app):
    return count(app, "core_event"), count(app, "core_job"), count(app, "tenant")


@pytest.mark.parametrize("failure, status", [("fail", 409), ("crash", 500)])
def test_a_failed_request_leaves_neither_event_nor_job(outbox_app, steward_of, failure, status):
    headers = steward_of(outbox_app)
    before = outbox_counts(outbox_app)
    response = outbox_app.test_client().post("/v1/things", json={"slug": "thing", failure: True}, headers=headers)
    assert_problem(response, status)
    assert outbox_counts(outbox_app) == before


def test_a_successful_request_leaves_the_change_its_event_and_its_job(outbox_app, steward_of):
    headers = steward_of(outbox_app)
    events_before, jobs_before, tenants_before = outbox_counts(outbox_app)
    response = outbox_app.test_client().post("/v1/things", json={"slug": "thing"}, headers=headers)
    assert response.status_code == 201
    assert outbox_counts(outbox_app) == (events_before + 1, jobs_before + 1, tenants_before + 1)


# --- events ---------------------------------------------------------------------------------
def test_an_event_is_a_cloudevents_envelope(app, make):
    tenant = make.tenant()
    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        event = HAPPENED.emit(tenant_id=tenant.id, subject="b-1", data={"slot": "09:00"})
    with app.app_context(), place_wide("tests.inspection"):
        stored = session.get(events.Event, event.id).envelope()
    assert stored["specversion"] == "1.0"
    assert uuid.UUID(stored["id"]) == event.id
    assert stored["source"] == "/civic/test"
    assert stored["type"] == "civic.test.happened"
    assert stored["subject"] == "b-1"
    assert stored["data"] == {"slot": "09:00"}
    assert stored["datacontenttype"] == "application/json"
    parsed = dt.datetime.fromisoformat(stored["time"].replace("Z", "+00:00"))
    assert stored["time"].endswith("Z") and abs(parsed - utcnow()) < dt.timedelta(minutes=5)


def test_each_subscriber_gets_one_job_per_event(app, make, worker):
    seen: dict[str, list] = {"a": [], "b": []}
    jobs.register(app, "test.a", lambda payload, job: seen["a"].append(payload))
    jobs.register(app, "test.b", lambda payload, job: seen["b"].append(payload))
    events.subscribe(app, "civic.test.happened", "test.a")
    events.subscribe(app, "civic.test.happened", "test.b")
    events.subscribe(app, "civic.test.other", "test.b")
    tenant = make.tenant()
    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        first = HAPPENED.emit(tenant_id=tenant.id, subject="1", data={})
        second = HAPPENED.emit(tenant_id=tenant.id, subject="2", data={})
    worker.drain()
    assert sorted(p["id"] for p in seen["a"]) == sorted([str(first.id), str(second.id)])
    assert sorted(p["id"] for p in seen["b"]) == sorted([str(first.id), str(second.id)])
    assert all(p["type"] == "civic.test.happened" and p["specversion"] == "1.0" for p in seen["a"] + seen["b"])


def test_a_job_subscribed_twice_still_runs_once_per_event(app, make, worker):
    runs = []
    jobs.register(app, "test.audit_everything", lambda payload, job: runs.append(payload["id"]))
    events.subscribe(app, "civic.test.happened", "test.audit_everything")
    events.subscribe(app, "*", "test.audit_everything")
    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        event = HAPPENED.emit(tenant_id=make.tenant().id, subject="1", data={})
    worker.drain()
    assert runs == [str(event.id)]


# --- jobs -----------------------------------------------------------------------------------
def job_row(app, job_id) -> jobs.Job:
    with app.app_context(), place_wide("tests.inspection"):
        return session.get(jobs.Job, job_id)


def make_due(app, job_id) -> None:
    """Skip the backoff wait: the job is due now (the wait itself is not what is tested)."""
    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        session.execute(sa.update(jobs.Job).where(jobs.Job.id == job_id).values(run_at=utcnow()))


@pytest.fixture
def failing_job(app, make):
    """A job that always fails, queued together with a tenant (the change it belongs to)."""
    jobs.register(app, "test.always_fails", _always_fails, max_attempts=3)
    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        from civic.gateway import service

        tenant = service.create_tenant(slug="queued-with-the-job", name="Queued")
        job = jobs.enqueue("test.always_fails", {"n": 1}, tenant_id=tenant.id)
    return job.id


def _always_fails(payload, job):
    raise ConnectionError(f"the letter service is down (attempt {job.attempts})")


def test_a_failing_job_is_retried_with_growing_backoff_then_dead_lettered(app, worker, failing_job):
    delays = []
    for attempt in (1, 2):
        started = utcnow()
        worker.drain()
        job = job_row(app, failing_job)
        assert (job.status, job.attempts) == ("pending", attempt)
        assert job.last_error == f"ConnectionError: the letter service is down (attempt {attempt})"
        assert job.run_at > started
        delays.append(job.run_at - started)
        make_due(app, failing_job)
    assert delays[1] > delays[0]
    worker.drain()
    job = job_row(app, failing_job)
    assert (job.status, job.attempts) == ("dead", 3)
    assert job.last_error == "ConnectionError: the letter service is down (attempt 3)"
    worker.drain()
    assert job_row(app, failing_job).attempts == 3  # a dead job is never run again by itself
    with app.app_context(), place_wide("tests.inspection"):
        from civic.core.tenancy import tenant_by_slug

        assert tenant_by_slug("queued-with-the-job") is not None  # the change that queued it stays


def test_a_steward_lists_dead_jobs_and_retries_them(app, client, steward, worker, failing_job):
    for _ in range(3):
        worker.drain()
        make_due(app, failing_job)
    listed = client.get("/v1/admin/jobs?status=dead", headers=steward)
    assert listed.status_code == 200
    [item] = listed.get_json()["items"]
    assert item["id"] == str(failing_job) and item["status"] == "dead" and item["attempts"] == 3
    assert "letter service is down" in item["last_error"]
    assert client.get("/v1/admin/jobs?status=pending", headers=steward).get_json()["items"] == []

    retried = client.post(f"/v1/admin/jobs/{failing_job}/retry", headers=steward)
    assert retried.status_code == 200 and retried.get_json()["status"] == "pending"
    assert client.get("/v1/admin/jobs?status=dead", headers=steward).get_json()["items"] == []
    assert_problem(client.post(f"/v1/admin/jobs/{failing_job}/retry", headers=steward), 409, "job_not_dead")
    assert_problem(client.post(f"/v1/admin/jobs/{uuid.uuid4()}/retry", headers=steward), 404, "not_found")
    worker.drain()
    assert job_row(app, failing_job).attempts == 1  # it ran again, from a fresh count


def test_a_job_with_no_handler_fails_and_says_why(app, worker, make):
    jobs.register(app, "test.removed_later", lambda payload, job: None, max_attempts=1)
    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        job = jobs.enqueue("test.removed_later", {})
    del app.extensions["civic.job_handlers"]["test.removed_later"]
    worker.drain()
    row = job_row(app, job.id)
    assert row.status == "dead" and "test.removed_later" in row.last_error


def test_a_failing_handler_does_not_undo_the_other_jobs_of_its_batch(app, worker, make):
    done = []
    jobs.register(app, "test.ok", lambda payload, job: done.append(payload["n"]))
    jobs.register(app, "test.always_fails", _always_fails)
    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        ids = [jobs.enqueue("test.ok", {"n": 1}).id, jobs.enqueue("test.always_fails", {}).id,
               jobs.enqueue("test.ok", {"n": 2}).id]
    worker.drain()
    assert sorted(done) == [1, 2]
    assert [job_row(app, i).status for i in ids] == ["done", "pending", "done"]


def test_enqueueing_an_unknown_job_fails_at_once(app):
    with app.app_context(), pytest.raises(LookupError, match="test.nobody"):
        jobs.enqueue("test.nobody", {})


def test_a_periodic_job_is_queued_once_per_period(app, worker, monkeypatch):
    import time

    runs = []
    jobs.register(app, "test.tick", lambda payload, job: runs.append(job.unique_key))
    jobs.schedule(app, "test.tick", 3600)
    clock = [1_800_000_000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    worker.drain()
    worker.drain()
    assert len(runs) == 1
    clock[0] += 3600
    worker.drain()
    worker.drain()
    assert len(runs) == 2 and runs[0] != runs[1]
    with app.app_context(), place_wide("tests.inspection"):
        assert session.scalar(sa.select(sa.func.count()).select_from(jobs.Job).where(jobs.Job.name == "test.tick")) == 2


def test_the_core_noop_job_runs(app, worker):
    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        job = jobs.enqueue("core.noop", {})
    worker.drain()
    assert job_row(app, job.id).status == "done"


def test_a_job_whose_lease_ran_out_while_waiting_in_a_batch_is_left_for_a_fresh_claim(new_app):
    """A slow job must not make the rest of its batch run on leases another worker may already hold."""
    import time

    app = new_app(JOB_LEASE_SECONDS=1, COMPONENTS=[])  # only these two jobs in the batch:
    app.extensions["civic.job_schedule"].clear()  # no periodic housekeeping either
    ran = []
    jobs.register(app, "test.slow", lambda payload, job: time.sleep(1.2))
    jobs.register(app, "test.quick", lambda payload, job: ran.append(job.attempts))
    now = utcnow()
    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        slow = jobs.enqueue("test.slow", {}, run_at=now - dt.timedelta(seconds=2))
        quick = jobs.enqueue("test.quick", {}, run_at=now - dt.timedelta(seconds=1))
    worker = jobs.Worker(app)
    assert worker.run_once() == 2
    assert ran == []  # its lease had lapsed by the time the slow job finished
    assert (job_row(app, slow.id).status, job_row(app, quick.id).status) == ("done", "running")
    worker.drain()
    assert ran == [2] and job_row(app, quick.id).status == "done"
