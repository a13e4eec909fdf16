"""Notify test helpers: a Notify-compatible server on loopback, and an organisation set up to send."""
import pytest
import sqlalchemy as sa

from civic.core.db import session
from civic.core.jobs import Job
from civic.core.tenancy import place_wide
from civic.notify.models import Message

NOTIFY = ("notify:read", "notify:write")
CONFIRMATION = "Hello ((name)),\n\nYou are booked for ((resource)) on ((start)).\n\nReference: ((booking_reference))"


@pytest.fixture(autouse=True)
def still_clock(monkeypatch):
    """The sending budget's clock, held an hour ahead: its window never turns over mid-test, and what waits for
    the next window is not due while the test runs."""
    import datetime as dt

    from civic.notify import limiter

    held = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(hours=1)
    monkeypatch.setattr(limiter, "clock", lambda: held)
    return held


@pytest.fixture
def notify_settings():
    """Override in a test module to change the component's settings."""
    return {}


@pytest.fixture
def app_config(fake_notify, notify_settings):
    return {"NOTIFY_BASE_URL": fake_notify.url, "NOTIFY_TIMEOUT_SECONDS": 5.0, **notify_settings}


class Org:
    """An organisation with a live notify client, its Notify key, and templates registered."""

    def __init__(self, make, client, fake, *, slug=None, sandbox=False, configure=True):
        self.make, self.client, self.fake = make, client, fake
        self.tenant = make.tenant(slug)
        self.headers = make.headers(self.tenant, *NOTIFY, sandbox=sandbox)
        self.key = fake.new_key()
        self.callback_token = f"callback-token-{self.tenant.id}"
        if configure:
            self.configure()

    def configure(self, **extra):
        answer = self.client.put("/v1/notify/config", headers=self.headers, json={
            "api_key": self.key, "key_type": "live", "callback_token": self.callback_token, **extra})
        assert answer.status_code == 200, answer.json
        return answer

    def template(self, name: str, channel: str, body: str, subject: str | None = None) -> dict:
        template_id = self.fake.add_template(channel, body, subject=subject, name=name)
        answer = self.client.post("/v1/notify/templates", headers=self.headers, json={
            "name": name, "notify_template_id": template_id, "channel": channel})
        assert answer.status_code == 201, answer.json
        return answer.json

    def confirmation(self) -> dict:
        return self.template("booking_confirmation", "email", CONFIRMATION, subject="Your booking: ((resource))")

    def send(self, **body):
        return self.client.post("/v1/notify/messages", headers=self.headers, json=body)

    def email(self, to="sam@example.org", **extra):
        return self.send(template="booking_confirmation", email_address=to, personalisation={
            "name": "Sam", "resource": "Community room", "start": "Monday 1 March 2027 at 10:00",
            "booking_reference": "RB-1042"}, **extra)

    def message(self, message_id) -> dict:
        answer = self.client.get(f"/v1/notify/messages/{message_id}", headers=self.headers)
        assert answer.status_code == 200, answer.json
        return answer.json

    def callback(self, body: dict, token: str | None = None):
        return self.client.post(f"/v1/notify/callbacks/{self.tenant.id}", json=body,
                                headers={"Authorization": f"Bearer {token or self.callback_token}"})


@pytest.fixture
def org(make, client, fake_notify) -> Org:
    return Org(make, client, fake_notify)


@pytest.fixture
def other_org(make, client, fake_notify) -> Org:
    return Org(make, client, fake_notify)


def stored(app, model=Message, *where):
    with app.app_context(), place_wide("tests.inspection"):
        return list(session.scalars(sa.select(model).where(*where)))


def jobs_due_now(app) -> None:
    """Make every pending job due (instead of waiting out its backoff)."""
    with app.app_context():
        from civic.core.db import unit_of_work

        with unit_of_work():
            session.execute(sa.update(Job).where(Job.status == "pending").values(run_at=sa.func.now()))
