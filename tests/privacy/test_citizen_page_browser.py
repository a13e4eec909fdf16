"""The citizen privacy page in a real (headless) browser: WCAG 2.2 AA as axe-core checks it, on every page
and with its errors showing, and the whole journey with the keyboard alone."""
import re
import time

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser import chromium_page
from tests.notify.conftest import Org as NotifyOrg
from tests.privacy.conftest import Org

STEWARD = "privacy-steward"
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}


@pytest.fixture
def app_config(fake_notify):
    return {"NOTIFY_BASE_URL": fake_notify.url, "NOTIFY_TIMEOUT_SECONDS": 5.0, "PRIVACY_CITIZEN_SENDER": STEWARD}


@pytest.fixture
def site(client, make, fake_notify, live_server):
    steward = NotifyOrg(make, client, fake_notify, slug=STEWARD)
    steward.template("privacy_code_email", "email", "Your code is ((code)).", subject="Your code")
    Org(client, make, name="Riverside Council").seed()
    return live_server(env={"CIVIC_NOTIFY_BASE_URL": fake_notify.url, "CIVIC_PRIVACY_CITIZEN_SENDER": STEWARD})


def code_for(fake, worker, to="sam@example.org") -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        worker.drain()
        sent = [n for n in fake.sent() if n["to"] == to]
        if sent:
            return re.search(r"Your code is (\d{6})", sent[-1]["body"]).group(1)
        time.sleep(0.1)
    raise AssertionError("no code was sent")


def accessible(page, axe) -> None:
    found = axe.run(page, options=WCAG).response["violations"]
    assert found == [], [(v["id"], v["help"], [n["html"] for n in v["nodes"]]) for v in found]


def test_every_page_passes_axe_core_wcag_22_aa_errors_included(site, fake_notify, worker):
    axe = Axe()
    with chromium_page(bypass_csp=True) as page:  # axe is injected by the test; the page itself runs no script
        page.goto(site.url + "/privacy")
        accessible(page, axe)
        page.get_by_role("button", name="Send me a code").click()
        assert "Enter your email address" in page.get_by_role("alert").inner_text()
        accessible(page, axe)
        page.get_by_label("Email address or mobile phone number").fill("sam@example.org")
        page.get_by_role("button", name="Send me a code").click()
        page.wait_for_selector("#code")
        accessible(page, axe)
        page.get_by_label("Code").fill("000000" if code_for(fake_notify, worker) != "000000" else "111111")
        page.get_by_role("button", name="Continue").click()
        assert "The code is not right" in page.get_by_role("alert").inner_text()
        accessible(page, axe)
        page.get_by_label("Code").fill(code_for(fake_notify, worker))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_selector("text=Riverside Council")
        accessible(page, axe)
        page.get_by_role("button", name="Send my request").click()  # a correction needs details: an error
        page.wait_for_selector("[role=alert]")
        accessible(page, axe)
        page.get_by_role("button", name="Stop messages I do not need").click()
        page.wait_for_selector("text=You will not get messages you do not need")
        accessible(page, axe)


def test_the_whole_journey_works_with_the_keyboard_alone(site, fake_notify, worker):
    with chromium_page() as page:
        page.goto(site.url + "/privacy")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "contact"
        page.keyboard.type("sam@example.org")
        page.keyboard.press("Enter")
        page.wait_for_selector("#code")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "code"
        page.keyboard.type(code_for(fake_notify, worker))
        page.keyboard.press("Enter")
        page.wait_for_selector("text=Riverside Council")
        for _ in range(30):  # Tab on to the erasure choice, then the request button
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "kind-rectification":
                break
        page.keyboard.press("ArrowDown")  # radios move with the arrow keys
        assert page.evaluate("document.activeElement.id") == "kind-erasure"
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "ask":
                break
        page.keyboard.press("Enter")
        page.wait_for_selector("text=Your request has been sent")
        assert "Riverside Council" in page.content()
