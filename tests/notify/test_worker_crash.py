"""A worker killed in the middle of a batch loses nothing and sends nothing twice (PostgreSQL, real processes)."""
import os
import signal
import subprocess
import sys
import time

import pytest

from civic.notify.models import Message
from tests.conftest import TEST_SECRET, postgres_only
from tests.notify.conftest import Org, stored
from tests.notify.fake_notify import SlowFakeNotify

pytestmark = postgres_only
TOTAL = 300


@pytest.fixture
def fake_notify():
    fake = SlowFakeNotify()
    yield fake
    fake.stop()


def start_worker(database_url, fake):
    env = {**os.environ, "CIVIC_ENV": "test", "CIVIC_DATABASE_URL": database_url, "CIVIC_SECRET_KEY": TEST_SECRET,
           "CIVIC_LOG_LEVEL": "WARNING", "CIVIC_NOTIFY_BASE_URL": fake.url, "CIVIC_JOB_LEASE_SECONDS": "3",
           "CIVIC_JOB_POLL_SECONDS": "0.1", "CIVIC_NOTIFY_PER_MINUTE": "0"}
    return subprocess.Popen([sys.executable, "-m", "civic.cli", "worker"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_worker_sigkilled_mid_batch_loses_nothing_and_sends_nothing_twice(app, make, client, fake_notify,
                                                                            database_url):
    org = Org(make, client, fake_notify)
    org.template("collection_reminder", "sms", "Your collection is on ((date)).")
    recipients = [{"phone_number": f"0771{n:07d}", "personalisation": {"date": "Friday"}} for n in range(TOTAL)]
    created = client.post("/v1/notify/batches", headers=org.headers,
                          json={"template": "collection_reminder", "recipients": recipients})
    assert created.status_code == 201, created.json
    first = start_worker(database_url, fake_notify)
    try:
        deadline = time.monotonic() + 60
        while len(fake_notify.sent()) < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(first.pid, signal.SIGKILL)  # in the middle of a claimed batch: its sends are not committed
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert 0 < len(fake_notify.sent()) < TOTAL
    committed = [m for m in stored(app, Message) if m.status != "queued"]
    assert len(committed) < len(fake_notify.sent())  # some were sent but the worker died before it knew
    second = start_worker(database_url, fake_notify)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if not stored(app, Message, Message.status == "queued"):
                break
            time.sleep(0.5)
    finally:
        second.terminate()
        second.wait(10)
    messages = stored(app, Message)
    assert len(messages) == TOTAL and {m.status for m in messages} == {"created"}
    references = [note["reference"] for note in fake_notify.sent()]
    assert len(references) == len(set(references)) == TOTAL  # every message once, none twice
    assert {str(m.id) for m in messages} == set(references)
    assert {m.notify_id for m in messages} == {note["id"] for note in fake_notify.sent()}
