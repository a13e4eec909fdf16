"""Each kind of bad request gets its own stable code, and nothing is queued."""
import pytest

from civic.core.jobs import Job
from civic.notify.models import Message
from tests.notify.conftest import stored

LETTER = "Dear ((name)),\n\nThe pothole at ((location)) has been repaired."


@pytest.fixture
def ready(org):
    org.confirmation()
    org.template("collection_reminder", "sms", "Your collection is on ((date)).")
    org.template("pothole_letter", "letter", LETTER, subject="The pothole you reported")
    return org


GOOD = {"name": "Sam", "resource": "Community room", "start": "Monday", "booking_reference": "RB-1"}


@pytest.mark.parametrize("body,code,field", [
    ({"template": "no_such_template", "email_address": "sam@example.org"}, "notify_template_not_found", "template"),
    ({"template": "booking_confirmation", "email_address": "sam@example.org", "personalisation": {"name": "Sam"}},
     "missing_personalisation", "personalisation"),
    ({"template": "booking_confirmation", "email_address": "not-an-address", "personalisation": GOOD},
     "invalid_recipient", "email_address"),
    ({"template": "booking_confirmation", "personalisation": GOOD}, "invalid_recipient", "email_address"),
    ({"template": "collection_reminder", "phone_number": "0123", "personalisation": {"date": "Friday"}},
     "invalid_recipient", "phone_number"),
    ({"template": "pothole_letter", "address": ["Sam Smith", "1 High Street", "Riverside"],
      "personalisation": {"name": "Sam", "location": "High Street"}}, "invalid_recipient", "address"),
    ({"template": "pothole_letter", "address": ["Sam Smith", "SW1A 1AA"],
      "personalisation": {"name": "Sam", "location": "High Street"}}, "invalid_recipient", "address"),
    ({"template": "collection_reminder", "email_address": "sam@example.org", "phone_number": "07711123456",
      "personalisation": {"date": "Friday"}}, "invalid_recipient", "email_address"),
    ({"template": "booking_confirmation", "email_address": "sam@example.org", "personalisation": GOOD,
      "unknown": 1}, "validation_failed", "unknown"),
])
def test_bad_messages_are_refused_with_their_own_code_and_nothing_is_queued(app, ready, body, code, field):
    answer = ready.send(**body)
    assert answer.status_code in (409, 422), answer.json
    assert answer.json["code"] == code and field in answer.json["errors"], answer.json
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert stored(app, Message) == [] and stored(app, Job, Job.name == "notify.send") == []


def test_a_good_letter_and_text_are_queued_with_normalised_recipients(app, ready, worker, fake_notify):
    letter = ready.send(template="pothole_letter", address=["Sam Smith", "1 High Street", "Riverside", "sw1a1aa"],
                        personalisation={"name": "Sam", "location": "High Street"}, postage="first")
    text = ready.send(template="collection_reminder", phone_number="07711 123456", personalisation={"date": "Friday"})
    assert letter.status_code == 201 and text.status_code == 201, (letter.json, text.json)
    assert letter.json["address"][-1] == "SW1A 1AA" and text.json["recipient"] == "+447711123456"
    worker.drain()
    (sent_letter,) = fake_notify.sent(reference=letter.json["id"])
    assert sent_letter["type"] == "letter" and sent_letter["postage"] == "first"
    assert ready.message(letter.json["id"])["status"] == "accepted"
    assert ready.message(text.json["id"])["status"] == "created"


def test_a_template_of_another_channel_or_unknown_to_notify_is_refused(client, org, fake_notify):
    sms = fake_notify.add_template("sms", "Hi ((name))")
    wrong = client.post("/v1/notify/templates", headers=org.headers,
                        json={"name": "hi", "notify_template_id": sms, "channel": "email"})
    assert wrong.status_code == 422 and wrong.json["code"] == "notify_template_mismatch"
    missing = client.post("/v1/notify/templates", headers=org.headers,
                          json={"name": "hi", "notify_template_id": "0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b",
                                "channel": "email"})
    assert missing.status_code == 422 and missing.json["code"] == "notify_template_not_found"


def test_templates_learn_their_fields_from_notify_and_preview_through_it(client, org):
    template = org.confirmation()
    assert template["fields"] == ["resource", "name", "start", "booking_reference"]
    preview = client.post(f"/v1/notify/templates/{template['id']}/preview", headers=org.headers,
                          json={"personalisation": GOOD})
    assert preview.status_code == 200 and preview.json["subject"] == "Your booking: Community room"
    short = client.post(f"/v1/notify/templates/{template['id']}/preview", headers=org.headers,
                        json={"personalisation": {"name": "Sam"}})
    assert short.status_code == 422 and short.json["code"] == "missing_personalisation"


def test_send_by_notify_template_id_too(org, ready):
    template_id = [t for t in ready.client.get("/v1/notify/templates", headers=org.headers).json["items"]
                   if t["name"] == "booking_confirmation"][0]["notify_template_id"]
    answer = org.send(template=template_id, email_address="sam@example.org", personalisation=GOOD)
    assert answer.status_code == 201 and answer.json["template"] == "booking_confirmation"


def test_another_organisations_message_is_a_404(org, other_org):
    org.confirmation()
    message_id = org.email().json["id"]
    theirs = other_org.client.get(f"/v1/notify/messages/{message_id}", headers=other_org.headers)
    missing = other_org.client.get("/v1/notify/messages/0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b", headers=other_org.headers)
    assert theirs.status_code == missing.status_code == 404
    assert {**theirs.json, "request_id": None} == {**missing.json, "request_id": None}
