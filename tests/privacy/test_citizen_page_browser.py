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
        page.goto(site.url + "/privacy/mine")
        page.get_by_label("Delete my information").check()
        page.get_by_role("button", name="Send my request").click()
        page.wait_for_selector("text=Your request has been sent")
        accessible(page, axe)
        page.goto(site.url + "/privacy/mine")
        page.wait_for_selector("text=Your requests")
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
        for _ in range(30):  # Tab on to the choices, then the request button
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "kind-access":
                break
        page.keyboard.press("ArrowDown")  # radios move with the arrow keys
        page.keyboard.press("ArrowDown")
        assert page.evaluate("document.activeElement.id") == "kind-erasure"
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "ask":
                break
        page.keyboard.press("Enter")
        page.wait_for_selector("text=Your request has been sent")
        assert "Riverside Council" in page.content()


def test_twenty_guesses_at_once_get_five_tries_between_them(site, fake_notify, worker):
    """Each try is spent by one atomic update before the code is compared: parallel guesses share five."""
    import concurrent.futures

    import requests

    browser = requests.Session()
    page = browser.get(site.url + "/privacy").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert browser.post(site.url + "/privacy", data={"contact": "sam@example.org", "csrf": csrf},
                        allow_redirects=False).status_code == 303
    code = code_for(fake_notify, worker)
    wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
    cookies = browser.cookies.get_dict()

    def guess(_):
        return requests.post(site.url + "/privacy/code", data={"code": wrong, "csrf": csrf}, cookies=cookies,
                             allow_redirects=False, timeout=60).text

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(guess, range(20)))
    ended = ("tried too many times", "expired or been used")  # the fifth wrong try, or a guess after it
    assert sum("The code is not right" in a or any(e in a for e in ended) for a in answers) == 20
    assert sum("The code is not right" in a for a in answers) <= 4  # the fifth wrong try ends the code
    right = requests.post(site.url + "/privacy/code", data={"code": code, "csrf": csrf}, cookies=cookies,
                          allow_redirects=False, timeout=60)
    assert right.status_code in (200, 400) and "/privacy/mine" not in right.headers.get("Location", "")


def test_ten_requests_for_codes_at_once_send_three(site, fake_notify, worker):
    """The counts are taken under a lock: parallel requests cannot all pass the per-person limit."""
    import concurrent.futures

    import requests

    def ask(_):
        browser = requests.Session()
        csrf = re.search(r'name="csrf" value="([^"]+)"', browser.get(site.url + "/privacy", timeout=60).text).group(1)
        return browser.post(site.url + "/privacy", data={"contact": "sam@example.org", "csrf": csrf},
                            allow_redirects=False, timeout=60).status_code

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        answers = sorted(pool.map(ask, range(10)))
    assert answers == [303] * 3 + [429] * 7
    deadline = time.monotonic() + 30  # the server's own worker may be sending some of them meanwhile
    while len([n for n in fake_notify.sent() if n["to"] == "sam@example.org"]) < 3 and time.monotonic() < deadline:
        worker.drain()
        time.sleep(0.1)
    time.sleep(0.5)
    worker.drain()
    assert len([n for n in fake_notify.sent() if n["to"] == "sam@example.org"]) == 3
