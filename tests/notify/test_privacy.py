"""Opt-outs, unsubscribe links, retention purge, and export/erase through the core registry."""
import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from civic.core import privacy
from civic.core.db import session, unit_of_work
from civic.core.tenancy import tenant_context
from civic.notify.models import Message
from tests.notify.conftest import stored

NEWS = "Hello ((name)), here is our news. Unsubscribe: ((unsubscribe_link))"


@pytest.fixture
def ready(org):
    org.confirmation()
    org.template("newsletter", "email", NEWS, subject="Riverside news")
    return org


def news(org, to="sam@example.org"):
    return org.send(template="newsletter", email_address=to, personalisation={"name": "Sam"}, purpose="newsletter",
                    essential=False)


def test_an_opted_out_recipient_gets_no_non_essential_message_but_still_essential_ones(client, ready, worker,
                                                                                      fake_notify):
    opt = client.post("/v1/notify/opt-outs", headers=ready.headers,
                      json={"channel": "email", "purpose": "newsletter", "email_address": "Sam@Example.org"})
    assert opt.status_code == 201 and "sam" not in opt.get_data(as_text=True).lower()
    skipped = news(ready)
    assert skipped.status_code == 201 and skipped.json["status"] == "opted_out"
    other_purpose = ready.send(template="newsletter", email_address="sam@example.org", personalisation={"name": "S"},
                               purpose="events", essential=False)
    essential = ready.email()
    worker.drain()
    assert fake_notify.sent(reference=skipped.json["id"]) == []
    assert fake_notify.sent(reference=other_purpose.json["id"]) and fake_notify.sent(reference=essential.json["id"])


def test_the_unsubscribe_link_is_signed_passed_to_notify_and_works_with_one_click(client, ready, worker, fake_notify):
    first = news(ready)
    worker.drain()
    (note,) = fake_notify.sent(reference=first.json["id"])
    link = note["one_click_unsubscribe_url"]
    assert link and link in note["body"]  # the template's unsubscribe_link field too
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).json["unsubscribed"] is False  # following a link changes nothing
    assert client.post("/" + path).json["unsubscribed"] is True
    assert news(ready).json["status"] == "opted_out"
    assert client.post("/" + path[:-3] + "abc").json["code"] == "unsubscribe_link_invalid"
    assert ready.email().json["status"] == "queued"  # essential messages still go


@pytest.mark.parametrize("notify_settings", [{"NOTIFY_UNSUBSCRIBE_DAYS": 0}])
def test_an_expired_unsubscribe_link_does_nothing(client, ready, worker, fake_notify, notify_settings):
    import time

    first = news(ready)
    worker.drain()
    link = fake_notify.sent(reference=first.json["id"])[0]["one_click_unsubscribe_url"]
    time.sleep(1.1)
    answer = client.post("/" + link.split("://", 1)[1].split("/", 1)[1])
    assert answer.status_code == 404 and answer.json["code"] == "unsubscribe_link_invalid"


def test_retention_purge_erases_personal_details_and_keeps_status_and_metadata(app, ready, worker):
    old = ready.email(reference="old", metadata={"desk": "front"}).json["id"]
    new = ready.email(reference="new").json["id"]
    worker.drain()
    with app.app_context(), unit_of_work(), tenant_context(ready.tenant.id):
        session.execute(sa.update(Message).where(Message.id == uuid.UUID(old))
                        .values(purge_after=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))
    with app.app_context(), unit_of_work():
        from civic.core import jobs

        jobs.enqueue("notify.purge", {})
    worker.drain()
    purged, kept = ready.message(old), ready.message(new)
    assert purged["recipient"] is None and purged["purged_at"] and purged["status"] == "created"
    assert purged["metadata"] == {"desk": "front"} and purged["reference"] == "old"
    assert kept["recipient"] == "sam@example.org" and kept["purged_at"] is None
    (row,) = stored(app, Message, Message.reference == "old")
    assert row.personalisation is None


def test_a_tenant_can_set_a_shorter_retention(client, ready):
    ready.configure(retention_days=1)
    message_id = ready.email().json["id"]
    (row,) = stored(app_of(ready), Message, Message.id == uuid.UUID(message_id))
    assert row.purge_after - row.created_at < dt.timedelta(days=1, seconds=5)


def app_of(org):
    return org.make.app


def test_export_and_erase_through_the_core_registry(app, ready, other_org):
    ready.email()
    other_org.confirmation()
    other_org.email()
    with app.app_context(), unit_of_work(), tenant_context(ready.tenant.id):
        exported = privacy.export_subject(app, tenant_id=ready.tenant.id, email="SAM@example.org")
        assert [row["to"] for row in exported["notify"]] == ["sam@example.org"]
        assert privacy.erase_subject(app, tenant_id=ready.tenant.id, email="sam@example.org") >= 1
    mine = stored(app, Message, Message.tenant_id == ready.tenant.id)
    theirs = stored(app, Message, Message.tenant_id == other_org.tenant.id)
    assert [m.recipient for m in mine] == [None] and [m.recipient for m in theirs] == ["sam@example.org"]
