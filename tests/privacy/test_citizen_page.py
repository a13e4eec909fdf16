"""The citizen privacy page through HTTP, as a browser uses it: a code from the steward's Notify service,
then what every organisation holds, the download, the opt-out and requests for correction or erasure."""
import json
import re

import pytest
import sqlalchemy as sa

from civic.core.audit import AuditEntry
from civic.core.db import session
from civic.core.tenancy import place_wide
from civic.notify.models import Message
from civic.privacy.models import CitizenCode
from tests.notify.conftest import Org as NotifyOrg
from tests.privacy.conftest import SAM, Org, slot

STEWARD = "privacy-steward"


@pytest.fixture
def app_config(fake_notify):
    return {"NOTIFY_BASE_URL": fake_notify.url, "NOTIFY_TIMEOUT_SECONDS": 5.0, "PRIVACY_CITIZEN_SENDER": STEWARD}


@pytest.fixture
def steward(client, make, fake_notify):
    sender = NotifyOrg(make, client, fake_notify, slug=STEWARD)
    sender.template("privacy_code_email", "email", "Your code is ((code)).", subject="Your code")
    sender.template("privacy_code_sms", "sms", "Your code is ((code)).")
    return sender


class Browser:
    """The test client as one person's browser: it keeps the cookie and posts each form with its token."""

    def __init__(self, client, fake, worker):
        self.client, self.fake, self.worker = client, fake, worker
        self.csrf = None

    def get(self, path, status=200):
        answer = self.client.get(path)
        assert answer.status_code == status, answer.get_data(as_text=True)[:2000]
        found = re.search(r'name="csrf" value="([^"]+)"', answer.get_data(as_text=True))
        self.csrf = found.group(1) if found else self.csrf
        return answer

    def post(self, path, form, status=200, csrf=True):
        data = {**form, "csrf": self.csrf} if csrf else form
        answer = self.client.post(path, data=data)
        assert answer.status_code == status, answer.get_data(as_text=True)[:2000]
        return answer

    def ask_code(self, contact="sam@example.org", status=303):
        self.get("/privacy")
        return self.post("/privacy", {"contact": contact}, status)

    def code_sent(self, to="sam@example.org") -> str:
        self.worker.drain()
        (note,) = [n for n in self.fake.sent() if n["to"] == to][-1:]
        return re.search(r"Your code is (\d{6})", note["body"]).group(1)

    def sign_in(self, contact="sam@example.org", to="sam@example.org"):
        self.ask_code(contact)
        code = self.code_sent(to)
        self.get("/privacy/code")
        answer = self.post("/privacy/code", {"code": code}, 303)
        assert answer.headers["Location"].endswith("/privacy/mine")
        return self.get("/privacy/mine").get_data(as_text=True)


@pytest.fixture
def browser(client, fake_notify, worker, steward):
    return Browser(client, fake_notify, worker)


@pytest.fixture
def places(client, make):
    """Sam is held by two organisations (booking, reporting, casework in each); a third holds someone else."""
    first, second, third = (Org(client, make, name=name) for name in ("Riverside Council", "Hillside Housing",
                                                                      "Valley Food Bank"))
    first.seed(), second.seed()
    third.seed(subject={"name": "Alex Other", "email": "alex@example.org", "phone": "020 7946 0999",
                        "date_of_birth": "1990-01-01", "nhs_number": "401 023 2137", "postcode": "SW1A 2AA"})
    return first, second, third


def test_a_citizen_sees_downloads_opts_out_and_asks_for_erasure_across_organisations(client, browser, places,
                                                                                     steward, fake_notify, app):
    first, second, third = places
    page = browser.sign_in()
    assert "Riverside Council" in page and "Hillside Housing" in page and "Valley Food Bank" not in page
    assert "booking record" in page and "report record" in page and "case record" in page
    download = browser.get("/privacy/mine.json")
    assert download.headers["Content-Disposition"].startswith("attachment")
    held = json.loads(download.get_data(as_text=True))
    by_name = {o["organisation"]: o["records"] for o in held["organisations"]}
    assert sorted(by_name) == ["Hillside Housing", "Privacy-Steward", "Riverside Council"]
    assert list(by_name["Privacy-Steward"]) == ["notify"]  # the message that carried the code (never the code)
    text = json.dumps(held)
    assert SAM["name"] in text and "Pothole by the gate" in text and "alex@example.org" not in text
    # Opting out stops every organisation's non-essential messages to that address, and no one else's.
    browser.get("/privacy/mine")
    done = browser.post("/privacy/mine/opt-out", {}).get_data(as_text=True)
    assert "You will not get messages you do not need" in done and "Riverside Council" in done
    steward.template("news", "email", "Hello ((name))", subject="News")
    news = {"template": "news", "personalisation": {"name": "Sam"}, "purpose": "newsletter", "essential": False}
    assert steward.send(email_address="Sam@example.org", **news).json["status"] == "opted_out"
    assert steward.send(email_address="alex@example.org", **news).json["status"] == "queued"
    needed = {**news, "essential": True}
    assert steward.send(email_address="sam@example.org", **needed).json["status"] == "queued"
    # Asking for erasure puts a request on each chosen organisation's statutory clock.
    browser.get("/privacy/mine")
    asked = browser.post("/privacy/mine/requests", {"kind": "erasure", "details": "Please delete everything.",
                                                    "organisation": [first.tenant.slug]}).get_data(as_text=True)
    assert "Your request has been sent" in asked and "Riverside Council" in asked and "Hillside Housing" not in asked
    (request,) = client.get("/v1/privacy/requests?kind=erasure", headers=first.admin).get_json()["items"]
    assert request["kind"] == "erasure" and request["details"] == "Please delete everything."
    assert request["subject"]["email"] == "sam@example.org" and request["state"] == "received"
    assert client.get("/v1/privacy/requests", headers=second.admin).get_json()["items"] == []
    # Each organisation's audit log says what the citizen saw and did, under a pseudonymous actor.
    with app.app_context(), place_wide("tests.inspection"):
        log = session.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("privacy.citizen_%"),
                                                          AuditEntry.tenant_id == first.tenant.id)).all()
        assert {e.action for e in log} == {"privacy.citizen_viewed", "privacy.citizen_downloaded",
                                           "privacy.citizen_opted_out", "privacy.citizen_asked"}
        assert {e.actor for e in log} == {log[0].actor} and log[0].actor.startswith("citizen:")
        assert "sam" not in json.dumps([e.detail for e in log]).lower()


def test_by_mobile_only_records_holding_no_email_address_are_shown(client, make, browser, places):
    """A phone may be a household's: a record that also holds an email address is counted, never shown."""
    first, second, _ = places
    for org, attendee in ((first, {"name": "Sam Citizen", "phone": "07711 123456"}),
                          (second, {"name": "Kim Citizen", "phone": "07711 123456", "email": "kim@example.org"})):
        org.post("/v1/booking/bookings", {"resource_id": make.resource(org.tenant)["id"], "start": slot(6),
                                          "attendee": attendee}, org.other_app)
    page = browser.sign_in(contact="07711 123456", to="+447711123456")
    assert "Riverside Council" in page and "Hillside Housing" not in page and "Kim" not in page
    assert "1 other record linked to +447711123456 also holds an email address" in page
    held = json.loads(browser.get("/privacy/mine.json").get_data(as_text=True))
    assert "kim@example.org" not in json.dumps(held) and held["not_included"] == 1
    browser.get("/privacy/mine")
    asked = browser.post("/privacy/mine/requests", {"kind": "access", "organisation": [second.tenant.slug]},
                         status=400)  # not one of the organisations shown
    assert "Choose at least one organisation" in asked.get_data(as_text=True)
    browser.get("/privacy")
    landline = browser.post("/privacy", {"contact": "020 7946 0018"}, status=400).get_data(as_text=True)
    assert "Enter a UK mobile phone number" in landline


def test_nothing_is_said_about_what_is_held_before_the_code(browser, places):
    for contact in ("sam@example.org", "nobody@example.org"):
        answer = browser.ask_code(contact)
        assert answer.headers["Location"].endswith("/privacy/code")
        code_page = browser.get("/privacy/code").get_data(as_text=True)
        assert "Riverside" not in code_page and contact in code_page
    assert browser.get("/privacy/mine", status=303).headers["Location"].endswith("/privacy")


def test_someone_unknown_sees_only_the_message_that_carried_their_code(browser, places):
    page = browser.sign_in(contact="nobody@example.org", to="nobody@example.org")
    assert "Privacy-Steward" in page and "1 message record (notify)" in page
    assert "Riverside Council" not in page and "Hillside Housing" not in page


def test_a_wrong_code_spends_a_try_and_five_end_the_code(browser, places, app):
    browser.ask_code()
    code = browser.code_sent()
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    browser.get("/privacy/code")
    first = browser.post("/privacy/code", {"code": wrong}).get_data(as_text=True)
    assert "The code is not right" in first and "4 tries left" in first
    for _ in range(3):
        browser.post("/privacy/code", {"code": wrong})
    last = browser.post("/privacy/code", {"code": wrong}).get_data(as_text=True)
    assert "tried too many times" in last
    browser.post("/privacy/code", {"code": code}, status=400)  # the right code, too late
    assert browser.get("/privacy/mine", status=303)


def test_an_expired_code_does_not_work(browser, places, app):
    browser.ask_code()
    code = browser.code_sent()
    with app.app_context(), place_wide("tests.inspection"):
        session.execute(sa.update(CitizenCode).values(code_expires_at=CitizenCode.created_at))
        session.commit()
    browser.get("/privacy/code", status=303)
    assert "expired" in browser.post("/privacy/code", {"code": code}, status=400).get_data(as_text=True)


def test_a_form_without_its_token_is_refused_and_sends_nothing(client, browser, places, fake_notify):
    browser.get("/privacy")
    answer = browser.post("/privacy", {"contact": "sam@example.org", "csrf": "forged"}, status=400, csrf=False)
    assert "sent from elsewhere" in answer.get_data(as_text=True)
    browser.worker.drain()
    assert fake_notify.sent() == []
    browser.sign_in()
    browser.post("/privacy/mine/opt-out", {"csrf": "forged"}, status=400, csrf=False)


def test_codes_are_limited_per_contact_detail(browser, places, fake_notify):
    for _ in range(3):
        browser.ask_code()
    refused = browser.ask_code(status=429)
    assert refused.headers["Retry-After"] and "too many codes" in refused.get_data(as_text=True)
    browser.worker.drain()
    assert len([n for n in fake_notify.sent() if n["to"] == "sam@example.org"]) == 3


def test_bad_contact_details_are_explained_on_the_page(browser, steward):
    for typed in ("", "not an address@", "0123", "x" * 400, '"><script>alert(1)</script>'):
        browser.get("/privacy")
        page = browser.post("/privacy", {"contact": typed}, status=400).get_data(as_text=True)
        assert "There is a problem" in page and 'href="#contact"' in page and "<script>" not in page
    refused = browser.post("/privacy", {"contact": "sam\x00@example.org"}, status=422)  # the core's own check
    assert refused.get_json()["code"] == "invalid_character"


def test_without_a_sender_the_page_says_it_cannot_send_codes(client, make, app, browser, places):
    app.config["PRIVACY_CITIZEN_SENDER"] = "no-such-organisation"
    answer = browser.ask_code(status=503)
    assert "we cannot send codes" in answer.get_data(as_text=True)
    with app.app_context():
        assert session.scalars(sa.select(CitizenCode)).all() == []  # nothing half-written


def test_when_the_stewards_notify_is_not_set_up_nothing_is_kept(client, make, app, fake_notify):
    make.tenant(STEWARD)  # exists, but has no Notify settings
    browser = Browser(client, fake_notify, None)
    browser.get("/privacy")
    browser.post("/privacy", {"contact": "sam@example.org"}, status=503)
    with app.app_context():
        assert session.scalars(sa.select(CitizenCode)).all() == []


def test_the_code_is_never_kept_in_clear(browser, places, app, steward):
    browser.ask_code()
    with app.app_context(), place_wide("tests.inspection"):
        (queued,) = session.scalars(sa.select(Message).where(Message.template_name == "privacy_code_email")).all()
        assert queued.personalisation == {} and queued.secret_encrypted
    code = browser.code_sent()
    with app.app_context(), place_wide("tests.inspection"):
        sent = session.get(Message, queued.id)
        assert sent.status == "created" and sent.secret_encrypted is None  # gone once Notify has it
        rows = session.scalars(sa.select(CitizenCode)).all()
        assert rows and all(code not in (r.code_hash + r.contact_encrypted) for r in rows)
    shown = browser.client.get(f"/v1/notify/messages/{queued.id}", headers=steward.headers).get_json()
    assert code not in json.dumps(shown)


def test_sandbox_records_are_not_shown_to_a_citizen(client, make, browser):
    org = Org(client, make, name="Sandbox Only Council")
    category = make.category(org.tenant)
    sandbox = make.headers(org.tenant, "reporting:write", sandbox=True)
    made = client.post("/v1/reporting/reports", headers=sandbox, json={
        "category": category["code"], "description": "Test report", "lat": 51.5, "long": -0.12,
        "reporter": {"name": "Sam Citizen", "email": "sam@example.org"}})
    assert made.status_code == 201, made.get_json()
    assert "Sandbox Only Council" not in browser.sign_in()


def test_a_correction_needs_details_and_signing_out_ends_the_session(browser, places):
    browser.sign_in()
    page = browser.post("/privacy/mine/requests", {"kind": "rectification", "details": "",
                                                   "organisation": [places[0].tenant.slug]}, status=400)
    assert "Say what is wrong" in page.get_data(as_text=True)
    browser.post("/privacy/mine/requests", {"kind": "erasure", "organisation": [places[2].tenant.slug]}, status=400)
    browser.post("/privacy/sign-out", {}, status=303)
    assert browser.get("/privacy/mine", status=303).headers["Location"].endswith("/privacy")
    browser.get("/privacy/mine.json", status=303)


def test_a_code_opens_one_session_only_even_with_an_old_cookie(client, browser, places):
    browser.ask_code()
    before = client.get_cookie("session").value  # the cookie as it was while the code waited
    code = browser.code_sent()
    browser.get("/privacy/code")
    browser.post("/privacy/code", {"code": code}, 303)
    browser.get("/privacy/mine")
    browser.post("/privacy/sign-out", {}, status=303)
    client.set_cookie("session", before)
    browser.get("/privacy/code", status=303)  # no code waits any more
    browser.post("/privacy/code", {"code": code}, status=400, csrf=False)
    assert browser.get("/privacy/mine", status=303).headers["Location"].endswith("/privacy")


def test_ten_wrong_tries_in_a_day_stop_new_codes_for_that_contact_detail(browser, places):
    for _ in range(2):
        browser.ask_code()
        code = browser.code_sent()
        browser.get("/privacy/code")
        for _ in range(5):
            browser.post("/privacy/code", {"code": f"{(int(code) + 1) % 10 ** 6:06d}"})
    assert "too many codes" in browser.ask_code(status=429).get_data(as_text=True)
    browser.ask_code(contact="alex@example.org")  # someone else is not held back


def test_the_whole_place_has_an_hourly_budget_of_codes(browser, places, monkeypatch):
    from civic.privacy import citizen

    monkeypatch.setattr(citizen, "CODES_PER_HOUR", 2)
    browser.ask_code(contact="one@example.org")
    browser.ask_code(contact="two@example.org")
    browser.ask_code(contact="three@example.org", status=429)


def test_asking_again_names_the_request_already_open(client, browser, places):
    first = places[0]
    browser.sign_in()
    for _ in range(2):
        browser.get("/privacy/mine")
        browser.post("/privacy/mine/requests", {"kind": "erasure", "organisation": [first.tenant.slug]})
    (request,) = client.get("/v1/privacy/requests", headers=first.admin).get_json()["items"]
    assert request["metadata"] == {"channel": "citizen_privacy_page",
                                   "identity": "email address proved by a one-time code"}
    first.move(request["id"], to="refused", reason="We must keep your case for 6 years.")
    page = browser.get("/privacy/mine").get_data(as_text=True)
    assert "Your requests" in page and "Refused: We must keep your case for 6 years." in page
    browser.get("/privacy/mine")
    browser.post("/privacy/mine/requests", {"kind": "access", "organisation": [first.tenant.slug]})
    assert len(client.get("/v1/privacy/requests", headers=first.admin).get_json()["items"]) == 2


def test_the_hourly_retention_run_deletes_ended_codes_and_sessions_only(app, browser, places):
    import datetime as dt

    from civic.core.db import unit_of_work, utcnow
    from civic.privacy import retention

    browser.sign_in()
    browser.ask_code(contact="alex@example.org")
    with app.app_context(), place_wide("tests.inspection"):
        old = session.scalars(sa.select(CitizenCode)).all()[0]
        session.execute(sa.update(CitizenCode).where(CitizenCode.id == old.id)
                        .values(created_at=utcnow() - dt.timedelta(hours=3)))
        session.commit()
    with app.app_context(), unit_of_work():
        retention.run({}, None)
    with app.app_context(), place_wide("tests.inspection"):
        left = {row.id for row in session.scalars(sa.select(CitizenCode))}
    assert old.id not in left and len(left) == 1
