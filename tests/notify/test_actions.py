"""`notify.send`, as a flow's step calls it: the same checks as the API before anything is queued, then sent
through the organisation's own Notify service by the outbox job."""
import pytest

from civic.core import actions
from civic.core.db import unit_of_work
from civic.core.errors import Problem

PERSONALISATION = {"name": "Sam", "resource": "Community room", "start": "Monday 1 March 2027 at 10:00",
                   "booking_reference": "RB-1042"}


def send(app, org, **data):
    with app.app_context(), unit_of_work():
        return actions.run("notify.send", tenant_id=org.tenant.id, data={
            "template": "booking_confirmation", "email_address": "sam@example.org", **data})


def test_a_step_queues_a_message_that_the_worker_sends_through_notify(app, org, worker, fake_notify):
    org.confirmation()
    queued = send(app, org, personalisation=PERSONALISATION, reference="run-7")
    assert queued["status"] == "queued" and fake_notify.sent() == []
    worker.drain()
    sent = fake_notify.sent(reference=queued["id"])
    assert len(sent) == 1 and "Hello Sam" in sent[0]["body"]
    assert org.message(queued["id"])["reference"] == "run-7"


def test_a_missing_field_an_unknown_template_or_no_notify_is_refused_and_nothing_is_queued(app, org, make, client,
                                                                                          fake_notify):
    from tests.notify.conftest import Org

    org.confirmation()
    with pytest.raises(Problem) as missing:
        send(app, org, personalisation={"name": "Sam"})
    assert (missing.value.status, missing.value.code) == (422, "missing_personalisation")
    with pytest.raises(Problem) as unknown:
        send(app, org, template="no_such_template", personalisation=PERSONALISATION)
    assert (unknown.value.status, unknown.value.code) == (422, "notify_template_not_found")
    bare = Org(make, client, fake_notify, configure=False)
    with pytest.raises(Problem) as unconfigured:
        send(app, bare, personalisation=PERSONALISATION)
    assert (unconfigured.value.status, unconfigured.value.code) == (409, "notify_not_configured")
    assert client.get("/v1/notify/messages", headers=org.headers).get_json()["items"] == []
