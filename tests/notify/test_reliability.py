"""Nothing lost, nothing sent twice: retries, timeouts, Notify's refusals and the organisation's budget."""
import pytest

from civic.core.jobs import Job
from tests.notify.conftest import jobs_due_now, stored


@pytest.fixture
def ready(org):
    org.confirmation()
    return org


@pytest.mark.parametrize("notify_settings", [{"NOTIFY_TIMEOUT_SECONDS": 1.0}])
def test_after_a_timeout_the_retry_finds_the_message_by_reference_and_does_not_send_again(app, ready, worker,
                                                                                          fake_notify, notify_settings):
    message_id = ready.email().json["id"]
    fake_notify.timeout_next(2.0)  # accepted by Notify, but the answer comes after the client gave up (1 s)
    worker.drain()
    assert len(fake_notify.sent(reference=message_id)) == 1
    assert ready.message(message_id)["status"] == "queued"  # not known yet: the job will retry
    jobs_due_now(app)
    worker.drain()
    assert len(fake_notify.sent(reference=message_id)) == 1  # looked up, not sent again
    message = ready.message(message_id)
    assert message["status"] == "created" and message["notify_id"] == fake_notify.sent(reference=message_id)[0]["id"]
    assert ("GET", "/v2/notifications") in fake_notify.requests


@pytest.mark.parametrize("status", [500, 503, 429])
def test_busy_or_failing_notify_is_retried_with_backoff(app, ready, worker, fake_notify, status):
    message_id = ready.email().json["id"]
    fake_notify.fail_next(status)
    worker.drain()
    (job,) = stored(app, Job, Job.name == "notify.send")
    assert job.status == "pending" and job.attempts == 1 and job.last_error
    jobs_due_now(app)
    worker.drain()
    assert len(fake_notify.sent(reference=message_id)) == 1
    assert ready.message(message_id)["status"] == "created"


@pytest.mark.parametrize("status,words", [(400, "Notify refused the message"), (403, "API key")])
def test_a_permanent_refusal_ends_failed_with_notifys_reason(app, ready, worker, fake_notify, status, words):
    message_id = ready.email().json["id"]
    fake_notify.fail_next(status)
    worker.drain()
    message = ready.message(message_id)
    assert message["status"] == "failed" and words in message["reason"]
    assert ready.key.rsplit("-", 5)[-5:][0] not in message["reason"]  # never a part of the key
    from civic.core.events import Event

    assert [e.type for e in stored(app, Event) if e.subject == message_id] == ["civic.notify.message_failed"]


@pytest.mark.parametrize("notify_settings", [{"NOTIFY_PER_MINUTE": 30}])
def test_over_the_budget_messages_wait_for_the_next_slice_of_the_minute_instead_of_failing(app, ready, worker,
                                                                                         fake_notify, notify_settings):
    ids = [ready.email(reference=f"r{n}").json["id"] for n in range(5)]
    worker.drain()
    sent = [i for i in ids if fake_notify.sent(reference=i)]
    assert len(sent) == 3
    waiting = stored(app, Job, Job.name == "notify.send", Job.status == "pending")
    assert len(waiting) == 2 and all(job.run_at.second % 6 == 0 for job in waiting)
    assert {ready.message(i)["status"] for i in ids} == {"created", "queued"}


@pytest.mark.parametrize("notify_settings", [{"NOTIFY_DAILY_LIMITS": "email=2,sms=10,letter=10"}])
def test_the_daily_limit_per_channel_holds_messages_until_tomorrow(app, ready, worker, fake_notify, notify_settings):
    ids = [ready.email(reference=f"r{n}").json["id"] for n in range(3)]
    worker.drain()
    assert sum(bool(fake_notify.sent(reference=i)) for i in ids) == 2
    (waiting,) = stored(app, Job, Job.name == "notify.send", Job.status == "pending")
    assert waiting.run_at.hour == 0 and waiting.run_at.minute == 0


def test_a_job_that_runs_twice_sends_once(app, ready, worker, fake_notify):
    message_id = ready.email().json["id"]
    worker.drain()
    with app.app_context():
        from civic.core import jobs
        from civic.core.db import unit_of_work

        with unit_of_work():
            jobs.enqueue("notify.send", {"message_id": message_id, "sandbox": False}, tenant_id=ready.tenant.id)
    worker.drain()
    assert len(fake_notify.sent(reference=message_id)) == 1
