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


def test_an_opt_out_of_every_purpose_stops_all_non_essential_messages_only(client, ready, worker):
    opt = client.post("/v1/notify/opt-outs", headers=ready.headers,
                      json={"channel": "email", "purpose": "*", "email_address": "sam@example.org"})
    assert opt.status_code == 201 and opt.json["purpose"] == "*"
    assert news(ready).json["status"] == "opted_out"
    events = ready.send(template="newsletter", email_address="sam@example.org", personalisation={"name": "S"},
                        purpose="events", essential=False)
    assert events.json["status"] == "opted_out"
    assert ready.email().json["status"] == "queued"  # essential
    assert news(ready, to="alex@example.org").json["status"] == "queued"  # someone else
    for purpose in ("**", "news*", ""):
        bad = client.post("/v1/notify/opt-outs", headers=ready.headers,
                          json={"channel": "email", "purpose": purpose, "email_address": "sam@example.org"})
        assert bad.status_code == 422 and "purpose" in bad.json["errors"], bad.json
    refused = ready.send(template="newsletter", email_address="sam@example.org", personalisation={"name": "S"},
                         purpose="*", essential=False)  # a message has one purpose, never every one
    assert refused.status_code == 422 and "purpose" in refused.json["errors"]


def test_secret_personalisation_is_sent_but_never_shown_or_kept(app, client, org, worker, fake_notify):
    org.template("code", "sms", "Your code is ((code)). It works for ((minutes)) minutes.")
    sent = org.send(template="code", phone_number="07711 123456", personalisation={"minutes": "10"},
                    secret_personalisation={"code": "493817"})
    assert sent.status_code == 201 and "493817" not in sent.get_data(as_text=True), sent.json
    queued = stored(app, Message)[0]
    assert queued.personalisation == {"minutes": "10"} and "493817" not in queued.secret_encrypted
    worker.drain()
    (note,) = fake_notify.sent(reference=sent.json["id"])
    assert note["body"] == "Your code is 493817. It works for 10 minutes."
    assert stored(app, Message)[0].secret_encrypted is None
    shown = client.get(f"/v1/notify/messages/{sent.json['id']}", headers=org.headers).get_data(as_text=True)
    assert "493817" not in shown
    missing = org.send(template="code", phone_number="07711 123456", personalisation={"minutes": "10"})
    assert missing.status_code == 422 and missing.json["code"] == "missing_personalisation"
    not_text = org.send(template="code", phone_number="07711 123456", personalisation={"minutes": "10"},
                        secret_personalisation={"code": 493817})
    assert not_text.status_code == 422 and "secret_personalisation" in not_text.json["errors"]
    stray = org.send(template="code", phone_number="07711 123456", personalisation={"minutes": "10"},
                     secret_personalisation={"code": "1", "note": "content the template does not have"})
    assert stray.status_code == 422 and stray.json["errors"]["secret_personalisation"] == {
        "note": ["Not a field of this template."]}
