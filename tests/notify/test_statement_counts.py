"""SQL statements a worker sends per message it sends to Notify: a claim's sends are locked and read together
(`delivery.prepare`), then each costs its savepoint, the message's new status and its event. A change that
adds a statement per send fails here."""
import pytest

from civic.core.jobs import Worker
from tests.core.test_statement_counts import counted

SENDS = 30
PER_SEND = 4  # SAVEPOINT, UPDATE notify_message, INSERT core_event, RELEASE SAVEPOINT
PER_BUDGET = 2  # with Notify's limits on: the minute's slice and the day's counter, one UPDATE each
PER_CLAIM = 16  # the claim, its preparation (batches, messages, settings), the periodic jobs' checks, done
NEW_WINDOWS = 8  # with the limits on, the first send of a window opens its counter (a look, then an INSERT)
LIFTED = {"NOTIFY_PER_MINUTE": 0, "NOTIFY_DAILY_LIMITS": ""}


@pytest.fixture
def batch(app, org, worker):
    worker.drain()  # the periodic jobs have run, as in a worker that has been running a while
    org.template("reminder", "sms", "Your bulky waste collection is on ((date)).")
    answer = org.client.post("/v1/notify/batches", headers=org.headers, json={"template": "reminder", "recipients": [
        {"phone_number": f"0771{n:07d}", "personalisation": {"date": "Friday 5 March"}} for n in range(SENDS)]})
    assert answer.status_code == 201, answer.json
    return answer.json


@pytest.mark.parametrize("notify_settings, budget", [(LIFTED, PER_SEND * SENDS + PER_CLAIM),
                                                           ({}, (PER_SEND + PER_BUDGET) * SENDS + PER_CLAIM + NEW_WINDOWS)],
                         ids=["limits lifted", "limits on"])
def test_statements_per_send(app, batch, fake_notify, notify_settings, budget):
    worker = Worker(app)
    with counted(app.extensions["civic.engine"]) as seen:
        assert worker.run_once() == SENDS
    assert len(fake_notify.sent()) == SENDS
    assert seen["statements"] <= budget, seen
