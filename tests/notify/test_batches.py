"""Bulk sends: checked whole (bad rows by number), validate-only, progress, pause, resume, cancel, CSV."""
import threading

import pytest
import sqlalchemy as sa

from civic.core.jobs import Job
from civic.notify.models import Message
from tests.conftest import postgres_only
from tests.notify.conftest import stored

REMINDER = "Your bulky waste collection is on ((date))."


@pytest.fixture
def ready(org):
    org.template("collection_reminder", "sms", REMINDER)
    return org


def rows(n, start=0):
    return [{"phone_number": f"0771{start + i:07d}", "personalisation": {"date": "Friday 5 March"}} for i in range(n)]


def batch(org, recipients, **extra):
    return org.client.post("/v1/notify/batches", headers=org.headers,
                           json={"template": "collection_reminder", "recipients": recipients, **extra})


def test_every_bad_row_is_reported_by_number_and_nothing_is_queued(app, ready):
    recipients = rows(5)
    recipients[1] = {"phone_number": "0123", "personalisation": {"date": "Friday"}}
    recipients[3] = {"phone_number": "07711000003"}
    answer = batch(ready, recipients)
    assert answer.status_code == 422 and answer.json["code"] == "batch_invalid"
    assert set(answer.json["errors"]) == {"2", "4"}
    assert "phone_number" in answer.json["errors"]["2"] and "personalisation" in answer.json["errors"]["4"]
    assert stored(app, Message) == [] and stored(app, Job, Job.name == "notify.send") == []


def test_validate_only_checks_and_sends_nothing(app, ready):
    answer = batch(ready, rows(3), validate_only=True)
    assert answer.status_code == 200 and answer.json["status"] == "validated" and answer.json["total"] == 3
    assert stored(app, Message) == []


def test_a_batch_is_sent_through_the_queue_with_progress_counts(ready, worker, fake_notify):
    created = batch(ready, rows(4))
    assert created.status_code == 201 and created.json["counts"] == {"queued": 4}
    worker.drain()
    progress = ready.client.get(f"/v1/notify/batches/{created.json['id']}", headers=ready.headers).json
    assert progress["counts"] == {"created": 4} and progress["status"] == "done"
    assert len(fake_notify.sent()) == 4


def test_pause_holds_resume_sends_and_cancel_ends_the_rest(ready, worker, fake_notify):
    batch_id = batch(ready, rows(3)).json["id"]
    url = f"/v1/notify/batches/{batch_id}"
    assert ready.client.post(url + "/pause", headers=ready.headers).json["status"] == "paused"
    worker.drain()
    assert fake_notify.sent() == []
    assert ready.client.post(url + "/pause", headers=ready.headers).json["code"] == "batch_not_changeable"
    assert ready.client.post(url + "/resume", headers=ready.headers).json["status"] == "running"
    worker.drain()
    assert len(fake_notify.sent()) == 3
    second = batch(ready, rows(2, start=10)).json["id"]
    cancelled = ready.client.post(f"/v1/notify/batches/{second}/cancel", headers=ready.headers).json
    assert cancelled["status"] == "cancelled" and cancelled["counts"] == {"cancelled": 2}
    worker.drain()
    assert len(fake_notify.sent()) == 3


def test_a_csv_upload_with_notifys_columns(app, ready, worker, fake_notify):
    body = "phone number,date\n07711 000001,Friday\n0123,Friday\n"
    bad = ready.client.post("/v1/notify/batches", headers=ready.headers,
                            json={"template": "collection_reminder", "csv": body})
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"2"}
    good = ready.client.post("/v1/notify/batches", headers=ready.headers,
                             json={"template": "collection_reminder", "csv": body.replace("0123", "07711 000002")})
    assert good.status_code == 201 and good.json["total"] == 2
    worker.drain()
    assert sorted(n["to"] for n in fake_notify.sent()) == ["+447711000001", "+447711000002"]


def test_another_organisations_batch_is_a_404(ready, other_org):
    batch_id = batch(ready, rows(1)).json["id"]
    assert other_org.client.get(f"/v1/notify/batches/{batch_id}", headers=other_org.headers).status_code == 404
    assert other_org.client.post(f"/v1/notify/batches/{batch_id}/cancel",
                                 headers=other_org.headers).status_code == 404


@pytest.mark.parametrize("notify_settings", [{"NOTIFY_PER_MINUTE": 2500, "MAX_CONTENT_LENGTH": 4 * 1024 * 1024}])
def test_a_10000_recipient_batch_stays_under_notifys_rate_limit(app, ready, worker, fake_notify, notify_settings):
    fake_notify.per_minute = 300  # Notify's limit, scaled down with ours (a tenth per 6 seconds: 250)
    created = batch(ready, rows(10_000))
    assert created.status_code == 201, created.json
    worker.drain(timeout=120)
    assert len(fake_notify.sent()) == 250  # this slice's budget, then the rest wait for the next slice
    assert not [r for r in fake_notify.requests if r[0] == "POST"][250:]  # never a request Notify would refuse
    progress = ready.client.get(f"/v1/notify/batches/{created.json['id']}", headers=ready.headers).json
    assert progress["counts"] == {"created": 250, "queued": 9750} and progress["status"] == "running"
    assert len(stored(app, Job, Job.name == "notify.send", Job.status == "pending")) == 9750


@postgres_only
def test_a_send_waits_for_a_cancel_in_progress_and_then_sends_nothing(app, ready, worker, fake_notify, database_url):
    """A cancel holds its batch locked while it ends the messages; a send that starts meanwhile waits for it
    and then finds its message cancelled (not sent behind a batch that answered `cancelled`)."""
    batch_id = batch(ready, rows(1)).json["id"]
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as cancel:
            cancel.execute(sa.text("SELECT id FROM notify_batch WHERE id = :id FOR UPDATE"), {"id": batch_id})
            sending = threading.Thread(target=worker.drain)
            sending.start()
            sending.join(1.5)
            assert sending.is_alive(), "the send did not wait for the batch"
            cancel.execute(sa.text("UPDATE notify_message SET status = 'cancelled' WHERE batch_id = :id"),
                           {"id": batch_id})
            cancel.execute(sa.text("UPDATE notify_batch SET status = 'cancelled' WHERE id = :id"), {"id": batch_id})
            cancel.commit()
            sending.join(30)
    finally:
        engine.dispose()
    assert fake_notify.sent() == []
    assert [m.status for m in stored(app, Message)] == ["cancelled"]
