"""The consent register through HTTP: given, withdrawn, given again; the receipt; who may; another
organisation; and where it is enforced (notify stops a withdrawn purpose's messages)."""
import datetime as dt

import pytest

from tests.conftest import postgres_only
from tests.core.conftest import assert_problem
from tests.notify.conftest import Org as NotifyOrg

CONSENTS = "/v1/privacy/consents"
NEWS = {"subject": {"email": "Sam@Example.org", "phone": "020 7946 0018", "name": "Sam Citizen"},
        "purpose": "newsletter", "channel": "any", "description": "The monthly newsletter from the centre",
        "data_categories": ["name", "email address"], "collection_method": "sign-up form on our website",
        "notice_url": "https://example.org/privacy"}


def ago(**delta) -> str:
    return (dt.datetime.now(dt.timezone.utc) - dt.timedelta(**delta)).isoformat()


def test_a_consent_is_given_withdrawn_and_given_again_on_one_record_with_its_history(client, org):
    given = org.post(CONSENTS, NEWS)
    assert (given["state"], given["live"], given["subject"]["email"], given["subject"]["phone"]) == (
        "given", True, "sam@example.org", "+442079460018")
    again = org.post(CONSENTS, {**NEWS, "subject": {"email": "sam@example.org", "phone": "02079460018"}},
                     status=200)  # the same person, however the phone is written
    assert again["id"] == given["id"] and [h["state"] for h in again["history"]] == ["given", "given"]
    withdrawn = org.post(f"{CONSENTS}/{given['id']}/withdraw", {"method": "phone call"}, status=200)
    assert (withdrawn["state"], withdrawn["live"], withdrawn["withdrawal_method"]) == ("withdrawn", False, "phone call")
    assert withdrawn["withdrawn_at"] and withdrawn["history"][-1]["method"] == "phone call"
    twice = org.post(f"{CONSENTS}/{given['id']}/withdraw", {"method": "email"}, status=200)
    assert twice["withdrawal_method"] == "phone call" and len(twice["history"]) == 3  # the first withdrawal stands
    back = org.post(CONSENTS, NEWS, status=200)
    assert back["state"] == "given" and back["withdrawn_at"] is None
    assert [h["state"] for h in back["history"]] == ["given", "given", "withdrawn", "given"]
    # Another purpose or channel is another record; a search finds them all, by any identifier.
    events = org.post(CONSENTS, {**NEWS, "purpose": "events", "channel": "sms"})
    found = org.post(f"{CONSENTS}/search", {"subject": {"phone": "+44 20 7946 0018"}}, status=200)["items"]
    assert [c["id"] for c in found] == [given["id"], events["id"]]
    only = org.post(f"{CONSENTS}/search", {"subject": {"email": "sam@example.org"}, "purpose": "events"}, status=200)
    assert [c["id"] for c in only["items"]] == [events["id"]]
    assert client.get(f"{CONSENTS}/{events['id']}", headers=org.reader_app).get_json()["purpose"] == "events"


def test_the_receipt_has_the_kantara_fields(client, org):
    given = org.post(CONSENTS, {**NEWS, "shared_with": ["Riverside Library"], "given_at": ago(days=2),
                                "expires_at": ago(days=-365)})
    receipt = client.get(f"{CONSENTS}/{given['id']}/receipt", headers=org.admin).get_json()
    assert receipt["version"] == "KI-CR-v1.1.0" and receipt["consentReceiptID"] == given["id"]
    assert receipt["piiPrincipalId"] == "sam@example.org" and receipt["collectionMethod"] == NEWS["collection_method"]
    assert abs(receipt["consentTimestamp"] - dt.datetime.fromisoformat(given["given_at"]).timestamp()) < 1
    assert receipt["piiControllers"][0]["piiController"] == org.tenant.name
    (purpose,) = receipt["services"][0]["purposes"]
    assert purpose["purpose"] == NEWS["description"] and purpose["piiCategory"] == NEWS["data_categories"]
    assert purpose["thirdPartyDisclosure"] is True and purpose["thirdPartyName"] == "Riverside Library"
    assert "Expires" in purpose["termination"] and receipt["policyUrl"] == NEWS["notice_url"]


def test_an_expired_consent_is_not_live(org):
    lapsed = org.post(CONSENTS, {**NEWS, "given_at": ago(days=400), "expires_at": ago(days=35)})
    assert lapsed["state"] == "given" and lapsed["live"] is False


@pytest.mark.parametrize("body, code", [
    ({**NEWS, "subject": {"name": "Sam Citizen"}}, "identifiers_missing"),
    ({**NEWS, "subject": {"email": "not an email"}}, "validation_failed"),
    ({**NEWS, "purpose": "News Letter!"}, "validation_failed"),
    ({**NEWS, "channel": "pigeon"}, "validation_failed"),
    ({**NEWS, "state": "withdrawn"}, "validation_failed"),
    ({**NEWS, "given_at": ago(days=-1)}, "consent_date_invalid"),
    ({**NEWS, "given_at": ago(days=1), "expires_at": ago(days=2)}, "consent_date_invalid"),
    ({k: v for k, v in NEWS.items() if k != "collection_method"}, "validation_failed"),
])
def test_bad_input_is_refused_and_records_nothing(client, org, body, code):
    answer = client.post(CONSENTS, json=body, headers=org.admin)
    assert_problem(answer, 422, code)
    assert org.post(f"{CONSENTS}/search", {"subject": {"email": "sam@example.org"}}, status=200)["items"] == []


def test_a_withdrawal_is_dated_after_the_consent_and_not_in_the_future(client, org):
    given = org.post(CONSENTS, {**NEWS, "given_at": ago(days=3)})
    for at in (ago(days=4), ago(days=-1)):
        assert_problem(client.post(f"{CONSENTS}/{given['id']}/withdraw", headers=org.admin,
                                   json={"method": "letter", "withdrawn_at": at}), 422, "consent_date_invalid")
    assert client.get(f"{CONSENTS}/{given['id']}", headers=org.admin).get_json()["state"] == "given"


def test_only_admins_and_apps_with_the_scope_and_never_another_organisation(client, org, other):
    given = org.post(CONSENTS, NEWS)
    assert_problem(client.post(CONSENTS, json=NEWS, headers=org.worker), 403, "privacy_admin_required")
    for headers in (org.worker, org.viewer):  # staff below tenant admin
        assert_problem(client.get(f"{CONSENTS}/{given['id']}", headers=headers), 403, "privacy_admin_required")
    assert client.post(CONSENTS, json=NEWS, headers=org.reader_app).status_code == 403  # privacy:read only
    assert client.post(f"{CONSENTS}/{given['id']}/withdraw", headers=org.reader_app,
                       json={"method": "x"}).status_code == 403
    assert client.get(f"{CONSENTS}/{given['id']}", headers=org.other_app).status_code == 403
    for method, path, body in (("GET", given["id"], None), ("GET", f"{given['id']}/receipt", None),
                               ("POST", f"{given['id']}/withdraw", {"method": "x"})):
        assert_problem(client.open(f"{CONSENTS}/{path}", method=method, json=body, headers=other.admin), 404, "not_found")
    assert other.post(f"{CONSENTS}/search", {"subject": {"email": "sam@example.org"}}, status=200)["items"] == []
    assert client.get(f"{CONSENTS}/{given['id']}", headers=org.admin).get_json()["state"] == "given"


def test_a_sandbox_client_never_sees_or_withdraws_a_live_consent(client, org, make):
    given = org.post(CONSENTS, NEWS)
    sandbox = make.headers(org.tenant, "privacy:read", "privacy:write", sandbox=True)
    assert client.get(f"{CONSENTS}/{given['id']}", headers=sandbox).status_code == 404
    assert client.post(f"{CONSENTS}/{given['id']}/withdraw", json={"method": "x"}, headers=sandbox).status_code == 404
    assert client.post(f"{CONSENTS}/search", json={"subject": {"email": "sam@example.org"}},
                       headers=sandbox).get_json()["items"] == []


def test_the_export_holds_the_persons_consents_and_erasure_keeps_what_was_agreed(client, org):
    given = org.post(CONSENTS, {**NEWS, "description": "News for Sam Citizen at sam@example.org",
                                "collection_method": "email from sam@example.org", "reference": "Sam Citizen form"})
    request = org.request()
    org.move(request["id"], to="in_progress")
    export = client.get(f"/v1/privacy/requests/{request['id']}/export", headers=org.admin).get_json()
    held = [row for part in export["components"] if part["component"] == "privacy" for row in part["records"]]
    assert [row["id"] for row in held] == [given["id"]] and held[0]["purpose"] == "newsletter"
    org.post("/v1/privacy/erasures", {"subject": {"email": "sam@example.org"}, "reason": "Article 17 request"})
    kept = client.get(f"{CONSENTS}/{given['id']}", headers=org.admin).get_json()
    assert kept["subject"] == {"email": None, "phone": None, "nhs_number": None, "name": None}
    assert kept["description"] == "News for [removed] at [removed]" and kept["purpose"] == "newsletter"
    assert [h["state"] for h in kept["history"]] == ["given"]
    assert kept["collection_method"] == kept["history"][0]["method"] == "email from [removed]"
    assert kept["reference"] == "[removed] form" and "sam" not in str(kept["history"]).lower()


# --- enforced in notify ------------------------------------------------------------------------------------
@pytest.fixture
def app_config(fake_notify):
    return {"NOTIFY_BASE_URL": fake_notify.url, "NOTIFY_TIMEOUT_SECONDS": 5.0}


def test_a_withdrawal_stops_that_purposes_messages_on_its_channels_and_no_other(client, make, fake_notify):
    sender = NotifyOrg(make, client, fake_notify)
    sender.template("newsletter", "email", "Hello ((name)), our news.", subject="News")
    sender.template("reminder", "sms", "Hello ((name)), a reminder.")
    admin = make.headers(sender.tenant, "privacy:read", "privacy:write")

    def send(template, purpose, **to):
        answer = sender.send(template=template, personalisation={"name": "Sam"}, purpose=purpose, essential=False, **to)
        assert answer.status_code == 201, answer.json
        return answer.json["status"]

    given = client.post(CONSENTS, json=NEWS, headers=admin).get_json()
    assert send("newsletter", "newsletter", email_address="sam@example.org") == "queued"
    withdrawn = client.post(f"{CONSENTS}/{given['id']}/withdraw", json={"method": "email"}, headers=admin)
    assert withdrawn.status_code == 200, withdrawn.json
    assert send("newsletter", "newsletter", email_address="SAM@example.org") == "opted_out"
    assert send("reminder", "newsletter", phone_number="+44 20 7946 0018") == "opted_out"  # channel any: texts too
    assert send("newsletter", "events", email_address="sam@example.org") == "queued"  # another purpose
    assert send("newsletter", "newsletter", email_address="alex@example.org") == "queued"  # another person
    opt_outs = client.get("/v1/notify/opt-outs", headers=sender.headers).get_json()["items"]
    assert sorted((o["channel"], o["purpose"], o["source"]) for o in opt_outs) == [
        ("email", "newsletter", "consent"), ("sms", "newsletter", "consent")]
    # Consenting again lifts them: the person's latest word counts.
    assert client.post(CONSENTS, json=NEWS, headers=admin).status_code == 200
    assert send("newsletter", "newsletter", email_address="sam@example.org") == "queued"
    assert client.get("/v1/notify/opt-outs", headers=sender.headers).get_json()["items"] == []


def test_with_notify_off_a_withdrawal_is_still_recorded(client, make):
    tenant = make.tenant(components=["privacy"])
    admin = make.headers(tenant, "privacy:read", "privacy:write")
    given = client.post(CONSENTS, json=NEWS, headers=admin).get_json()
    withdrawn = client.post(f"{CONSENTS}/{given['id']}/withdraw", json={"method": "email"}, headers=admin)
    assert withdrawn.status_code == 200 and withdrawn.get_json()["state"] == "withdrawn"


def test_an_unsubscribe_link_withdraws_the_consent_in_the_register(client, make, fake_notify, worker):
    sender = NotifyOrg(make, client, fake_notify)
    sender.template("newsletter", "email", "Hello ((name)). Unsubscribe: ((unsubscribe_link))", subject="News")
    admin = make.headers(sender.tenant, "privacy:read", "privacy:write")
    sams = client.post(CONSENTS, json=NEWS, headers=admin).get_json()
    alexs = client.post(CONSENTS, json={**NEWS, "subject": {"email": "alex@example.org"}}, headers=admin).get_json()
    # Alex also withdrew an email-only consent to the newsletter (so Alex is opted out): Sam's link is not Alex's.
    alex_email = client.post(CONSENTS, json={**NEWS, "channel": "email", "subject": {"email": "alex@example.org"}},
                             headers=admin).get_json()
    client.post(f"{CONSENTS}/{alex_email['id']}/withdraw", json={"method": "email"}, headers=admin)
    sent = sender.send(template="newsletter", email_address="sam@example.org", personalisation={"name": "Sam"},
                       purpose="newsletter", essential=False)
    worker.drain()
    (note,) = fake_notify.sent(reference=sent.json["id"])
    path = note["one_click_unsubscribe_url"].split("://", 1)[1].split("/", 1)[1]
    assert client.post("/" + path).json["unsubscribed"] is True
    worker.drain()
    withdrawn = client.get(f"{CONSENTS}/{sams['id']}", headers=admin).get_json()
    assert (withdrawn["state"], withdrawn["withdrawal_method"]) == ("withdrawn", "unsubscribe link in a message")
    assert withdrawn["history"][-1] == {"at": withdrawn["history"][-1]["at"], "state": "withdrawn",
                                        "method": "unsubscribe link in a message", "user_id": None, "client_id": None}
    assert client.get(f"{CONSENTS}/{alexs['id']}", headers=admin).get_json()["state"] == "given"  # nobody else
    # Its channel was `any`: texts for the purpose stop too.
    opt_outs = client.get("/v1/notify/opt-outs", headers=sender.headers).get_json()["items"]
    assert sorted((o["channel"], o["source"]) for o in opt_outs) == [("email", "consent"), ("email", "link"),
                                                                      ("sms", "consent")]  # Alex's, Sam's, Sam's
    assert client.post("/" + path).json["unsubscribed"] is True  # again: nothing more
    worker.drain()
    assert len(client.get(f"{CONSENTS}/{sams['id']}", headers=admin).get_json()["history"]) == 2
    # Consenting again lifts what the register recorded (the text opt-out), never the person's own link.
    assert client.post(CONSENTS, json=NEWS, headers=admin).status_code == 200
    opt_outs = client.get("/v1/notify/opt-outs", headers=sender.headers).get_json()["items"]
    assert sorted((o["channel"], o["source"]) for o in opt_outs) == [("email", "consent"), ("email", "link")]


def test_a_shared_household_phone_never_merges_two_people_and_a_late_paper_form_never_undoes_a_withdrawal(org):
    sams = org.post(CONSENTS, NEWS)
    household = org.post(CONSENTS, {**NEWS, "subject": {"phone": "020 7946 0018", "name": "Pat Citizen"}})
    assert household["id"] != sams["id"] and household["subject"]["email"] is None
    kept = org.post(f"{CONSENTS}/search", {"subject": {"email": "sam@example.org"}}, status=200)["items"]
    assert [(c["id"], c["subject"]["name"]) for c in kept] == [(sams["id"], "Sam Citizen")]
    org.post(f"{CONSENTS}/{sams['id']}/withdraw", {"method": "letter"}, status=200)
    late = org.http.post(CONSENTS, json={**NEWS, "given_at": ago(days=30)}, headers=org.admin)
    assert_problem(late, 422, "consent_date_invalid")
    again = org.post(CONSENTS, {**NEWS, "description": "The newsletter, now weekly"}, status=200)
    terms = [step["terms"]["description"] for step in again["history"] if step["state"] == "given"]
    assert terms == [NEWS["description"], "The newsletter, now weekly"]  # what was agreed each time stays


@postgres_only
def test_ten_identical_consents_at_once_make_one_record(client, org, live_server):
    """Given at the same moment through a multi-worker server: one record, every giving in its history."""
    import requests

    from tests.helpers import together

    server = live_server(workers=4)
    post = lambda: requests.post(f"{server.url}{CONSENTS}", json=NEWS, headers=org.admin, timeout=60)  # noqa: E731
    answers = together(*[post] * 10)
    assert sorted(a.status_code for a in answers) == [200] * 9 + [201], [a.text for a in answers]
    (record,) = org.post(f"{CONSENTS}/search", {"subject": {"email": "sam@example.org"}}, status=200)["items"]
    assert [h["state"] for h in record["history"]] == ["given"] * 10
