"""Organisations with real objects made over the HTTP API, and a valid body for every writing route.

CREATORS maps each id-bearing path template to a function that makes a fresh object
as tenant A and returns the URL values that name it. BODIES maps each writing route
to a valid body. A route added later without an entry makes a test fail and say so.
"""
import datetime as dt
import urllib.parse
import uuid
import zoneinfo

from civic.gateway.service import KNOWN_SCOPES

from tests.assurance.catalogue import STEWARD, Operation
from tests.builders import WEEKDAYS, create_booking, create_category, create_report, create_resource

TENANT_SCOPES = tuple(s for s in KNOWN_SCOPES if s != STEWARD)
LONDON = zoneinfo.ZoneInfo("Europe/London")
PASSWORD = "correct horse battery staple"


def _slot(days: int, hour: int = 10) -> str:
    day = dt.date.today() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON).isoformat()


class World:
    """Tenant A (owns everything made here), tenant B (the intruder), tenant C (receives transfers), a steward."""

    def __init__(self, client, make, fake_notify=None):
        self.client, self.make, self.fake_notify = client, make, fake_notify
        self.marker = f"alpha{uuid.uuid4().hex[:10]}"  # in every name and reference tenant A gives
        self.a = make.tenant(f"{self.marker}-org", name=f"{self.marker} Trust")
        self._tenants: dict = {}
        self._tokens: dict = {}
        self.made: list[dict] = []  # every object A made, as the API returned it
        self._c_category = None

    def _tenant(self, name: str, **overrides):
        if name not in self._tenants:
            self._tenants[name] = self.make.tenant(**overrides)
        return self._tenants[name]

    b = property(lambda self: self._tenant("b"))
    c = property(lambda self: self._tenant("c"))
    council = property(lambda self: self._tenant("council", kind="council"))

    # --- callers --------------------------------------------------------------------
    def headers(self, tenant, scopes) -> dict:
        key = (tenant.id, frozenset(scopes))
        if key not in self._tokens:
            self._tokens[key] = self.make.headers(tenant, *sorted(scopes))
        return self._tokens[key]

    def as_a(self) -> dict:
        return self.headers(self.a, TENANT_SCOPES)

    def as_a_sandbox(self) -> dict:
        """A's sandbox client (the simulated payment provider is a sandbox client's, with no Stripe keys)."""
        key = (self.a.id, "sandbox")
        if key not in self._tokens:
            self._tokens[key] = self.make.headers(self.a, *sorted(TENANT_SCOPES), sandbox=True)
        return self._tokens[key]

    def steward(self) -> dict:
        return self.headers(self.council, (STEWARD,))

    def owner_of(self, op: Operation) -> dict:
        """Who may legitimately call `op` on A's objects: A itself, the steward for steward-only routes, or, for a
        public route that proves itself, the outside service with A's proof (callback token, Stripe signature)."""
        if op.self_authenticated:
            return self.proof(op)
        if op.path in SANDBOX_OWNED:
            return self.as_a_sandbox()
        return self.steward() if op.steward_only else self.as_a()

    def proof(self, op: Operation) -> dict:
        if op.path == "/v1/notify/callbacks/<tenant_id>":
            return {"Authorization": f"Bearer {self.callback_token}"}
        if op.path == "/v1/payments/webhooks/stripe/<tenant>":
            import hashlib
            import hmac
            import time

            body = self.client.application.json.dumps(self.stripe_event).encode()
            stamp = int(time.time())
            signature = hmac.new(STRIPE_KEYS["webhook_secret"].encode(), f"{stamp}.".encode() + body,
                                 hashlib.sha256).hexdigest()
            return {"Stripe-Signature": f"t={stamp},v1={signature}"}
        return {}  # a signed link is its own proof

    @property
    def stripe_event(self) -> dict:
        """One event of Stripe's about an intent A never made (so delivering it changes nothing)."""
        if getattr(self, "_stripe_event", None) is None:
            self._stripe_event = {"id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event",
                                  "type": "payment_intent.succeeded", "created": 1700000000, "data": {"object": {
                                      "id": "pi_unknown", "object": "payment_intent", "status": "succeeded"}}}
        return self._stripe_event

    def create(self, path: str, body: dict, headers: dict | None = None) -> dict:
        response = self.client.post(path, json=body, headers=headers or self.as_a())
        assert response.status_code == 201, (path, response.status_code, response.get_json())
        return self._made(response.get_json())

    def _made(self, thing: dict) -> dict:
        self.made.append(thing)
        return thing

    def secrets(self) -> list[str]:
        """Strings that identify A's data: its marker (in names and references) and every id it made."""
        found = {self.marker, str(self.a.id)}
        for thing in self.made:
            found |= {str(v) for k, v in thing.items() if k in ("id", "client_id", "token", "email") and v}
        return sorted(found)

    # --- tenant A's objects ------------------------------------------------------------
    def resource(self) -> dict:
        return {"resource_id": self._made(create_resource(
            self.client, self.as_a(), name=f"{self.marker} room", reference=f"{self.marker}-resource", capacity=5,
            open_on_bank_holidays=True, opening_hours={day: [{"start": "00:00", "end": "24:00"}] for day in WEEKDAYS}))["id"]}

    def exception(self) -> dict:
        values = self.resource()
        made = self.create(f"/v1/booking/resources/{values['resource_id']}/exceptions",
                           {"date": (dt.date.today() + dt.timedelta(days=60)).isoformat(), "kind": "closed",
                            "reason": f"{self.marker} closed"})
        return {**values, "exception_id": made["id"]}

    def hold(self) -> dict:
        values = self.resource()
        return {"hold_id": self.create("/v1/booking/holds", {
            "resource_id": values["resource_id"], "start": _slot(3), "reference": f"{self.marker}-hold"})["id"]}

    def booking(self) -> dict:
        values = self.resource()
        return {"booking_id": self._made(create_booking(
            self.client, self.as_a(), values["resource_id"], _slot(3), reference=f"{self.marker}-booking",
            attendee={"name": f"{self.marker} Citizen", "email": f"{self.marker}@example.org"}))["id"]}

    def category(self) -> dict:
        code = f"{self.marker}-{uuid.uuid4().hex[:6]}"
        self._made(create_category(self.client, self.as_a(), code=code, name=f"{self.marker} pothole", public=False))
        return {"code": code}

    def report(self) -> dict:
        code = self.category()["code"]
        return {"report_id": self._made(create_report(
            self.client, self.as_a(), category=code, description=f"{self.marker} hole", lat=51.5, long=-0.12,
            reference=f"{self.marker}-report", reporter={"name": f"{self.marker} Reporter"}))["id"]}

    def c_category(self) -> str:
        if self._c_category is None:
            self._c_category = create_category(self.client, self.headers(self.c, TENANT_SCOPES), code="c-roads",
                                               name="Roads")["code"]
        return self._c_category

    def transfer_body(self) -> dict:
        return {"tenant": self.c.slug, "category": self.c_category(), "note": "Yours"}

    def transfer(self) -> dict:
        report_id = self.report()["report_id"]
        return {"transfer_id": self.create(f"/v1/reporting/reports/{report_id}/transfer", self.transfer_body())["id"]}

    def api_client(self) -> dict:
        return {"client_ref": self.create("/v1/admin/clients", {
            "name": f"{self.marker} app", "scopes": ["booking:read"], "reference": f"{self.marker}-client"})["id"]}

    def user(self) -> dict:
        return {"user_id": self.create("/v1/admin/users", {
            "email": f"{self.marker}.{uuid.uuid4().hex[:6]}@example.org", "name": f"{self.marker} Staff",
            "role": "caseworker", "password": PASSWORD})["id"]}

    def tenant(self) -> dict:
        """Steward-only routes act on a tenant: a fresh one, made by the steward."""
        return {"tenant_ref": self.create("/v1/admin/tenants", {"slug": f"t-{uuid.uuid4().hex[:8]}", "name": "Fresh"},
                                          self.steward())["id"]}

    def dead_job(self) -> dict:
        from civic.core import jobs

        def dead():
            job = jobs.enqueue("core.noop", {}, tenant_id=self.a.id)
            job.status = "dead"
            return job.id

        return {"job_id": self.make._run(dead)}


    # --- casework: A's case types, cases and agreements; referrals that C sends to A (A answers them) ---
    def case_type(self) -> dict:
        if getattr(self, "_case_type", None) is None:
            self._case_type = self.create("/v1/casework/case-types", {**CASE_TYPE, "reference": f"{self.marker}-type"})
        return {"case_type_id": self._case_type["id"]}

    def case(self) -> dict:
        self.case_type()
        return {"case_id": self.create("/v1/casework/cases", {
            "case_type": CASE_TYPE["key"], "title": f"{self.marker} case", "reference": f"{self.marker}-case",
            "subject": {"name": f"{self.marker} Person", "email": f"{self.marker}@example.org"}})["id"]}

    def privacy_request(self) -> dict:
        return {"request_id": self.create("/v1/privacy/requests", {
            "subject": {"email": f"{self.marker}@example.org"}, "reference": f"{self.marker}-sar"})["id"]}

    def privacy_erasure(self) -> dict:
        return {"erasure_id": self.create("/v1/privacy/erasures", {
            "subject": {"email": f"{self.marker}-gone@example.org"}, "reason": f"{self.marker} erasure"})["id"]}

    def privacy_consent(self) -> dict:
        return {"consent_id": self.create("/v1/privacy/consents", {
            "subject": {"email": f"{self.marker}-{uuid.uuid4().hex[:6]}@example.org"}, "purpose": "newsletter",
            "description": f"{self.marker} news", "collection_method": "web form"})["id"]}

    def privacy_request_in_progress(self) -> dict:
        """A request whose subject's identity was confirmed: it can be exported."""
        values = self.privacy_request()
        answer = self.client.post(f"/v1/privacy/requests/{values['request_id']}/transition",
                                  json={"to": "in_progress"}, headers=self.as_a())
        assert answer.status_code == 200, answer.get_json()
        return values

    def attachment(self) -> dict:
        values = self.case()
        made = self.create(f"/v1/casework/cases/{values['case_id']}/attachments",
                           {"filename": "notes.txt", "content_base64": "SGVsbG8="})
        return {**values, "attachment_id": made["id"]}

    def _agreement(self, proposer, partner, proposer_headers, partner_headers) -> str:
        body = {**AGREEMENT, "partner": partner.slug}
        made = self.client.post("/v1/casework/agreements", json=body, headers=proposer_headers).get_json()
        for headers in (proposer_headers, partner_headers):
            assert self.client.post(f"/v1/casework/agreements/{made['id']}/approve", headers=headers).status_code == 200
        return made["id"]

    def agreement(self) -> dict:
        made = self.create("/v1/casework/agreements", {**AGREEMENT, "partner": self.c.slug,
                                                        "reference": f"{self.marker}-agreement"})
        return {"agreement_id": made["id"]}

    def live_agreement(self) -> str:
        return self._agreement(self.a, self.c, self.as_a(), self.headers(self.c, TENANT_SCOPES))

    def referral(self, accepted: bool = False) -> dict:
        """A referral C sends to A (so A is the one who answers it)."""
        c = self.headers(self.c, TENANT_SCOPES)
        if not getattr(self, "_c_case_type", False):
            assert self.client.post("/v1/casework/case-types", json=CASE_TYPE, headers=c).status_code == 201
            self._c_case_type = True
        self.case_type()
        agreement = self._agreement(self.c, self.a, c, self.as_a())
        case = self.client.post("/v1/casework/cases", json={"case_type": CASE_TYPE["key"], "title": "Referred",
                                                            "subject": {"name": "Pat Person"}}, headers=c).get_json()
        referral = self.client.post(f"/v1/casework/cases/{case['id']}/referrals", json={"agreement_id": agreement},
                                    headers=c).get_json()
        if accepted:
            assert self.client.post(f"/v1/casework/referrals/{referral['id']}/accept", headers=self.as_a(),
                                    json={"case_type": CASE_TYPE["key"]}).status_code == 200
        return {"referral_id": referral["id"]}

    # --- notify: A's Notify set-up (on the Notify-compatible server the tests start), templates, messages ---
    def notify_config(self) -> dict:
        """A's Notify set-up, made again each time (a route before may have deleted it)."""
        answer = self.client.put("/v1/notify/config", headers=self.as_a(), json={
            "api_key": self.fake_notify.new_key(), "key_type": "live", "callback_token": self.callback_token})
        assert answer.status_code == 200, answer.get_json()
        return {}

    def notify_template(self) -> dict:
        if getattr(self, "_notify_template", None) is None:
            self.notify_config()
            notify_id = self.fake_notify.add_template("email", "Hello ((name)), your room is booked.",
                                                      subject="Your booking", name=f"{self.marker} notice")
            self._notify_template = self.create("/v1/notify/templates", {
                "name": NOTIFY_TEMPLATE, "notify_template_id": notify_id, "channel": "email"})
        return {"template_id": self._notify_template["id"]}

    def fresh_notify_template(self) -> dict:
        """A template of its own for the routes that read, preview or delete one."""
        self.notify_template()
        notify_id = self.fake_notify.add_template("email", "Hello ((name)).", subject="Hello", name="Fresh")
        return {"template_id": self.create("/v1/notify/templates", {
            "name": f"t{uuid.uuid4().hex[:8]}", "notify_template_id": notify_id, "channel": "email"})["id"]}

    callback_token = property(lambda self: f"callback-token-{self.marker}")

    def notify_message(self) -> dict:
        self.notify_template()
        return {"message_id": self.create("/v1/notify/messages", notify_message_body(self))["id"]}

    def notify_batch(self) -> dict:
        self.notify_template()
        return {"batch_id": self.create("/v1/notify/batches", notify_batch_body(self))["id"]}

    def paused_batch(self) -> dict:
        values = self.notify_batch()
        answer = self.client.post(f"/v1/notify/batches/{values['batch_id']}/pause", headers=self.as_a())
        assert answer.status_code == 200, answer.get_json()
        return values

    def opt_out(self) -> dict:
        return {"opt_out_id": self.create("/v1/notify/opt-outs", {
            "channel": "email", "purpose": "newsletters", "email_address": f"{uuid.uuid4().hex[:8]}@example.org"})["id"]}

    def notify_callback(self) -> dict:
        """Notify's receipts name the organisation in the path and carry its callback token."""
        self.notify_template()
        return {"tenant_id": str(self.a.id)}

    def unsubscribe_link(self) -> dict:
        from civic.notify import unsubscribe

        return {"token": self.make._run(lambda: unsubscribe.token(
            tenant_id=self.a.id, sandbox=False, channel="email", purpose="newsletters", key=uuid.uuid4().hex))}

    # --- payments: A's Stripe account (a real localstripe) and its payments ---
    def payments_account(self) -> dict:
        if not getattr(self, "_payments_account", False):
            answer = self.client.put("/v1/payments/account", headers=self.as_a(), json=STRIPE_KEYS)
            assert answer.status_code == 200, answer.get_json()
            self._payments_account = True
        return {}

    def payment(self) -> dict:
        self.payments_account()
        return {"payment_id": self.create("/v1/payments", payment_body(self))["id"]}

    def paid_payment(self) -> dict:
        """A's payment, paid with a test card at localstripe and told to the platform by a signed webhook."""
        return self._paid(delayed_capture=False, kind="payment_intent.succeeded")

    def capturable_payment(self) -> dict:
        """A's delayed-capture payment, the card authorised at localstripe: it waits for /capture."""
        return self._paid(delayed_capture=True, kind="payment_intent.amount_capturable_updated")

    def _paid(self, *, delayed_capture: bool, kind: str) -> dict:
        from tests.payments import stripe_server
        from tests.payments.conftest import event, intent_object, pay, signed

        self.payments_account()
        made = self.create("/v1/payments", {**payment_body(self), "delayed_capture": delayed_capture})
        intent = pay(stripe_server.url(), made["provider"]["payment_intent_id"])
        # The intent's own fields, not Stripe's whole object: suites that cap body sizes make payments too.
        whole = intent.to_dict()
        told = intent_object(intent.id, intent.status, **{key: whole[key] for key in (
            "amount", "amount_received", "amount_capturable", "capture_method", "metadata", "latest_charge",
            "last_payment_error") if key in whole})
        body, headers = signed(event(kind, told), STRIPE_KEYS["webhook_secret"])
        answer = self.client.post(f"/v1/payments/webhooks/stripe/{self.a.id}", data=body,
                                  headers=headers)
        assert answer.status_code == 200, answer.get_json()
        return {"payment_id": made["id"]}

    def sandbox_payment(self) -> dict:
        """A's sandbox payment, on the simulated provider (the only kind /simulate plays)."""
        return {"payment_id": self.create("/v1/payments", payment_body(self), headers=self.as_a_sandbox())["id"]}

    def payment_refund(self) -> dict:
        values = self.payment()
        return {**values, "refund_id": self.make._run(lambda: _refund(self.a.id, values["payment_id"]))}

    def stripe_webhook(self) -> dict:
        self.payment()
        return {"tenant": str(self.a.id)}

    # --- flows: A's webhook endpoints (never delivered to here: no worker runs) and their deliveries ---
    def webhook_endpoint(self) -> dict:
        return {"endpoint_id": self.create("/v1/flows/webhooks", webhook_body(self))["id"]}

    def paused_endpoint(self) -> dict:
        values = self.webhook_endpoint()
        answer = self.client.post(f"/v1/flows/webhooks/{values['endpoint_id']}/pause", headers=self.as_a())
        assert answer.status_code == 200, answer.get_json()
        return values

    def automation(self) -> dict:
        return {"automation_id": self.create("/v1/flows/automations", automation_body(self))["id"]}

    def automation_run(self) -> dict:
        automation_id = self.automation()["automation_id"]
        return {"run_id": self.make._run(lambda: _failed_run(self.a.id, automation_id))}

    def composed_service(self) -> dict:
        return {"slug": self.create("/v1/flows/services", service_body(self))["slug"]}

    def composed_service_version(self) -> dict:
        return {**self.composed_service(), "version": 1}

    def submission(self) -> dict:
        slug = self.composed_service()["slug"]
        return {"submission_id": self.create(f"/v1/flows/services/{slug}/submissions", submission_body(self))["id"]}

    def webhook_delivery(self) -> dict:
        """A delivery that has finished (failed), as a replay needs: a test event, marked failed."""
        from civic.core.db import session
        from civic.flows.models import Delivery

        endpoint = self.webhook_endpoint()["endpoint_id"]
        answer = self.client.post(f"/v1/flows/webhooks/{endpoint}/test", headers=self.as_a())
        assert answer.status_code == 202, answer.get_json()
        delivery_id = uuid.UUID(answer.get_json()["id"])

        def failed():
            session.get(Delivery, delivery_id).status = "failed"

        self.make._run(failed)
        return {"delivery_id": str(delivery_id)}


def automation_body(world) -> dict:
    return {"name": f"{world.marker} automation", "trigger": "civic.booking.created",
            "steps": [{"action": "casework.create_case", "input": {"case_type": "no-such-type",
                                                                   "title": "From {{ event.subject }}"}}]}


def service_body(world, *, slug=True) -> dict:
    """A service of A's whose one step opens a case (of a type A lacks: each submission fails at it, harmlessly)."""
    body = {"title": f"{world.marker} service", "reference": f"{world.marker}-service",
            "form": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 100}}},
            "steps": [{"action": "casework.create_case", "input": {"case_type": "no-such-type",
                                                                   "title": "For {{ form.name }}"}}]}
    return {"slug": f"{world.marker}-{uuid.uuid4().hex[:8]}", **body} if slug else body


def submission_body(world) -> dict:
    return {"form": {"name": "Pat"}, "reference": f"{world.marker}-submission"}


def _failed_run(tenant_id, automation_id):
    """A run of A's automation that failed at its first step, as the runner records one."""
    from civic.core.db import session
    from civic.core.tenancy import tenant_context
    from civic.flows.models import Run

    with tenant_context(tenant_id):
        run = Run(id=uuid.uuid4(), tenant_id=tenant_id, automation_id=uuid.UUID(automation_id), automation_version=1,
                  event_id=uuid.uuid4(), event_type="civic.booking.created", event={"data": {}}, status="failed",
                  failed_step=0, attempts=1, steps=[{"action": "casework.create_case", "status": "failed",
                                                     "input": {}, "output": None, "error": {"code": "x"}}])
        session.add(run)
        session.flush()
        return str(run.id)


def _refund(tenant_id, payment_id):
    """A refund row of A's payment, written as the service records one (a refund needs a paid payment)."""
    from civic.core.db import session
    from civic.core.tenancy import tenant_context
    from civic.payments.models import Refund

    with tenant_context(tenant_id):
        refund = Refund(id=uuid.uuid4(), tenant_id=tenant_id, payment_id=uuid.UUID(payment_id), amount=100,
                        state="submitted")
        session.add(refund)
        session.flush()
        return refund.id


NOTIFY_TEMPLATE = "assurance_notice"
# Routes whose objects only a sandbox client has (A's sandbox client is their owner).
SANDBOX_OWNED = frozenset({"/v1/payments/<payment_id>/simulate"})
STRIPE_KEYS = {"secret_key": "sk_test_" + "a1b2c3d4" * 3, "publishable_key": "pk_test_" + "e5f6a7b8" * 3,
               "webhook_secret": "whsec_" + "c0ffee12" * 4}


def notify_message_body(w) -> dict:
    return {"template": NOTIFY_TEMPLATE, "email_address": "sam@example.org", "personalisation": {"name": "Sam"},
            "reference": f"{w.marker}-message"}


def notify_batch_body(w) -> dict:
    return {"template": NOTIFY_TEMPLATE, "purpose": "newsletters", "essential": False,
            "recipients": [{"email_address": "sam@example.org", "personalisation": {"name": "Sam"}}]}


def webhook_body(w) -> dict:
    return {"url": "https://hooks.example.org/civic", "event_types": ["civic.booking.*"],
            "reference": f"{w.marker}-endpoint"}


def payment_body(w) -> dict:
    return {"amount": 2500, "description": "Community room hire", "reference": f"{w.marker}-payment",
            "return_url": "https://club.example.org/paid"}


CASE_TYPE = {"key": "assurance", "name": "Assurance case", "states": [{"name": "new", "sla": {"working_days": 2}},
                                                                       {"name": "triage"}, {"name": "closed"}],
             "initial_state": "new", "final_states": ["closed"],
             "transitions": [{"from": "new", "to": "triage"}, {"from": "triage", "to": "closed"}]}
AGREEMENT = {"title": "Referrals", "proposer_role": "controller", "partner_role": "controller", "purpose": "Referrals",
             "lawful_basis": "public_task", "shared_fields": ["subject.name", "title"], "retention_days": 30,
             "starts_on": (dt.date.today() - dt.timedelta(days=1)).isoformat(),
             "ends_on": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
             "review_on": (dt.date.today() + dt.timedelta(days=20)).isoformat(), "rights_contact": "dpo@example.org"}

# Each id-bearing route template -> the World method that makes a fresh object as A and names it.
CREATORS = {
    "/v1/admin/clients/<client_ref>": World.api_client,
    "/v1/admin/clients/<client_ref>/revoke": World.api_client,
    "/v1/admin/clients/<client_ref>/rotate": World.api_client,
    "/v1/admin/users/<user_id>": World.user,
    "/v1/admin/users/<user_id>/reset-password": World.user,
    "/v1/admin/tenants/<tenant_ref>": World.tenant,
    "/v1/admin/tenants/<tenant_ref>/suspend": World.tenant,
    "/v1/admin/tenants/<tenant_ref>/reactivate": World.tenant,
    "/v1/admin/jobs/<uuid:job_id>/retry": World.dead_job,
    "/v1/booking/resources/<resource_id>": World.resource,
    "/v1/booking/resources/<resource_id>/availability": World.resource,
    "/v1/booking/resources/<resource_id>/calendar.ics": World.resource,
    "/v1/booking/resources/<resource_id>/exceptions": World.resource,
    "/v1/booking/resources/<resource_id>/exceptions/<exception_id>": World.exception,
    "/v1/booking/holds/<hold_id>": World.hold,
    "/v1/booking/holds/<hold_id>/confirm": World.hold,
    "/v1/booking/holds/<hold_id>/release": World.hold,
    "/v1/booking/bookings/<booking_id>": World.booking,
    "/v1/booking/bookings/<booking_id>.ics": World.booking,
    "/v1/booking/bookings/<booking_id>/cancel": World.booking,
    "/v1/booking/bookings/<booking_id>/reschedule": World.booking,
    "/v1/casework/case-types/<case_type_id>": World.case_type,
    "/v1/casework/case-types/<case_type_id>/versions": World.case_type,
    **{f"/v1/casework/cases/<case_id>{tail}": World.case for tail in (
        "", "/transition", "/assign", "/migrate", "/timeline", "/notes", "/attachments", "/referrals")},
    "/v1/casework/cases/<case_id>/attachments/<attachment_id>/content": World.attachment,
    "/v1/casework/agreements/<agreement_id>": World.agreement,
    "/v1/casework/agreements/<agreement_id>/approve": World.agreement,
    "/v1/casework/agreements/<agreement_id>/end": World.agreement,
    "/v1/casework/referrals/<referral_id>": World.referral,
    "/v1/casework/referrals/<referral_id>/accept": World.referral,
    "/v1/casework/referrals/<referral_id>/decline": World.referral,
    "/v1/casework/referrals/<referral_id>/outcome": lambda w: w.referral(accepted=True),
    "/v1/notify/templates/<template_id>": World.fresh_notify_template,
    "/v1/notify/templates/<template_id>/preview": World.fresh_notify_template,
    "/v1/notify/messages/<message_id>": World.notify_message,
    **{f"/v1/notify/batches/<batch_id>{tail}": World.notify_batch for tail in ("", "/pause", "/cancel")},
    "/v1/notify/batches/<batch_id>/resume": World.paused_batch,
    "/v1/notify/opt-outs/<opt_out_id>": World.opt_out,
    "/v1/notify/callbacks/<tenant_id>": World.notify_callback,
    "/v1/notify/unsubscribe/<token>": World.unsubscribe_link,
    **{f"/v1/privacy/transparency/<slug>{tail}": (lambda w: {"slug": w.a.slug}) for tail in ("", ".html")},
    **{f"/v1/payments/<payment_id>{tail}": World.payment for tail in ("", "/events", "/cancel")},
    "/v1/payments/<payment_id>/capture": World.capturable_payment,
    "/v1/payments/<payment_id>/refunds": World.paid_payment,
    "/v1/payments/<payment_id>/simulate": World.sandbox_payment,
    "/v1/payments/<payment_id>/refunds/<refund_id>": World.payment_refund,
    "/v1/payments/webhooks/stripe/<tenant>": World.stripe_webhook,
    "/v1/reporting/categories/<code>": World.category,
    "/v1/reporting/reports/<report_id>": World.report,
    "/v1/reporting/reports/<report_id>/status": World.report,
    "/v1/reporting/reports/<report_id>/transfer": World.report,
    "/v1/reporting/reports/<report_id>/updates": World.report,
    "/v1/reporting/transfers/<transfer_id>": World.transfer,
    **{f"/v1/flows/webhooks/<endpoint_id>{tail}": World.webhook_endpoint for tail in (
        "", "/pause", "/rotate-secret", "/test", "/deliveries", "/recover")},
    "/v1/flows/webhooks/<endpoint_id>/resume": World.paused_endpoint,
    "/v1/flows/deliveries/<delivery_id>": World.webhook_delivery,
    **{f"/v1/flows/automations/<automation_id>{tail}": World.automation for tail in ("", "/dry-run", "/runs")},
    **{f"/v1/flows/runs/<run_id>{tail}": World.automation_run for tail in ("", "/retry")},
    "/v1/flows/deliveries/<delivery_id>/replay": World.webhook_delivery,
    **{f"/v1/flows/services/<slug>{tail}": World.composed_service for tail in ("", "/submissions")},
    "/v1/flows/services/<slug>/versions/<version>": World.composed_service_version,
    "/v1/flows/submissions/<submission_id>": World.submission,
    **{f"/v1/privacy/requests/<request_id>{tail}": World.privacy_request for tail in ("", "/transition")},
    "/v1/privacy/erasures/<erasure_id>": World.privacy_erasure,
    **{f"/v1/privacy/consents/<consent_id>{tail}": World.privacy_consent for tail in ("", "/withdraw", "/receipt")},
    **{f"/v1/privacy/requests/<request_id>{tail}": World.privacy_request_in_progress
       for tail in ("/export", "/export.html")},
}

# A valid body for each writing route (method, template) -> fn(world). None: the route takes no body.
BODIES = {
    ("POST", "/v1/admin/clients"): lambda w: {"name": "Another app", "scopes": ["booking:read"]},
    ("PATCH", "/v1/admin/clients/<client_ref>"): lambda w: {"name": "Renamed app"},
    ("POST", "/v1/admin/clients/<client_ref>/revoke"): None,
    ("POST", "/v1/admin/clients/<client_ref>/rotate"): lambda w: {"grace_seconds": 0},
    ("POST", "/v1/admin/users"): lambda w: {"email": f"{uuid.uuid4().hex[:8]}@example.org", "role": "viewer",
                                            "password": PASSWORD},
    ("PATCH", "/v1/admin/users/<user_id>"): lambda w: {"name": "Renamed"},
    ("POST", "/v1/admin/users/<user_id>/reset-password"): lambda w: {"password": PASSWORD + "!"},
    ("POST", "/v1/admin/tenants"): lambda w: {"slug": f"t-{uuid.uuid4().hex[:8]}", "name": "New organisation"},
    ("PATCH", "/v1/admin/tenants/<tenant_ref>"): lambda w: {"name": "Renamed organisation"},
    ("POST", "/v1/admin/tenants/<tenant_ref>/suspend"): None,
    ("POST", "/v1/admin/tenants/<tenant_ref>/reactivate"): None,
    ("POST", "/v1/admin/jobs/<uuid:job_id>/retry"): None,
    ("POST", "/v1/booking/resources"): lambda w: {"name": "Hall", "opening_hours": {"monday": [
        {"start": "09:00", "end": "17:00"}]}},
    ("PATCH", "/v1/booking/resources/<resource_id>"): lambda w: {"name": "Renamed hall"},
    ("POST", "/v1/booking/resources/<resource_id>/exceptions"): lambda w: {
        "date": (dt.date.today() + dt.timedelta(days=90)).isoformat(), "kind": "closed"},
    ("POST", "/v1/booking/holds"): lambda w: {"resource_id": w.resource()["resource_id"], "start": _slot(5)},
    ("POST", "/v1/booking/holds/<hold_id>/confirm"): lambda w: {"attendee": {"name": "Pat Person"}},
    ("POST", "/v1/booking/holds/<hold_id>/release"): None,
    ("POST", "/v1/booking/bookings"): lambda w: {"resource_id": w.resource()["resource_id"], "start": _slot(6),
                                                 "attendee": {"name": "Pat Person"}},
    ("POST", "/v1/booking/bookings/<booking_id>/cancel"): lambda w: {"reason": "Changed plans"},
    ("POST", "/v1/booking/bookings/<booking_id>/reschedule"): lambda w: {"start": _slot(4)},
    ("POST", "/v1/casework/case-types"): lambda w: {**CASE_TYPE, "key": f"t{uuid.uuid4().hex[:8]}"},
    ("POST", "/v1/casework/case-types/<case_type_id>/versions"): lambda w: {
        k: v for k, v in CASE_TYPE.items() if k != "key"},
    ("PUT", "/v1/casework/settings"): lambda w: {"time_zone": "Europe/London"},
    ("POST", "/v1/casework/cases"): lambda w: {"case_type": CASE_TYPE["key"], "title": "Help with a form",
                                               **({} if w.case_type() else {})},
    ("PATCH", "/v1/casework/cases/<case_id>"): lambda w: {"title": "Renamed case"},
    ("POST", "/v1/casework/cases/<case_id>/transition"): lambda w: {"to": "triage"},
    ("POST", "/v1/casework/cases/<case_id>/assign"): lambda w: {"assignee_id": None, "team": "front-desk"},
    ("POST", "/v1/casework/cases/<case_id>/migrate"): lambda w: {"version": 1},
    ("POST", "/v1/casework/cases/<case_id>/notes"): lambda w: {"body": "Called back"},
    ("POST", "/v1/casework/cases/<case_id>/attachments"): lambda w: {"filename": "a.txt", "content_base64": "SGk="},
    ("POST", "/v1/casework/cases/<case_id>/referrals"): lambda w: {"agreement_id": w.live_agreement()},
    ("POST", "/v1/casework/agreements"): lambda w: {**AGREEMENT, "partner": w.c.slug},
    ("POST", "/v1/casework/agreements/<agreement_id>/approve"): None,
    ("POST", "/v1/casework/agreements/<agreement_id>/end"): None,
    ("POST", "/v1/casework/referrals/<referral_id>/accept"): lambda w: {"case_type": CASE_TYPE["key"]},
    ("POST", "/v1/casework/referrals/<referral_id>/decline"): lambda w: {"reason": "No places"},
    ("POST", "/v1/casework/referrals/<referral_id>/outcome"): lambda w: {"outcome": "completed"},
    ("PUT", "/v1/notify/config"): lambda w: {"api_key": w.fake_notify.new_key(), "key_type": "live",
                                             "callback_token": w.callback_token},
    ("POST", "/v1/notify/templates"): lambda w: {"name": f"t{uuid.uuid4().hex[:8]}", "channel": "email",
                                                 "notify_template_id": w.fake_notify.add_template("email", "Hi")},
    ("POST", "/v1/notify/templates/<template_id>/preview"): lambda w: {"personalisation": {"name": "Sam"}},
    ("POST", "/v1/notify/messages"): lambda w: {**notify_message_body(w), **({} if w.notify_template() else {})},
    ("POST", "/v1/notify/batches"): lambda w: {**notify_batch_body(w), **({} if w.notify_template() else {})},
    **{("POST", f"/v1/notify/batches/<batch_id>/{action}"): None for action in ("pause", "resume", "cancel")},
    ("POST", "/v1/notify/opt-outs"): lambda w: {"channel": "email", "purpose": "newsletters",
                                                "email_address": "pat@example.org"},
    ("POST", "/v1/notify/callbacks/<tenant_id>"): lambda w: {
        "id": str(uuid.uuid4()), "reference": str(uuid.uuid4()), "to": "sam@example.org", "status": "delivered"},
    ("POST", "/v1/notify/unsubscribe/<token>"): None,
    ("PUT", "/v1/payments/account"): lambda w: STRIPE_KEYS,
    ("POST", "/v1/payments"): lambda w: {**payment_body(w), **({} if w.payment() else {})},
    ("POST", "/v1/payments/<payment_id>/cancel"): None,
    ("POST", "/v1/payments/<payment_id>/capture"): None,
    ("POST", "/v1/payments/<payment_id>/simulate"): lambda w: {"card_number": "4242424242424242"},
    ("POST", "/v1/payments/<payment_id>/refunds"): lambda w: {"amount": 100, "refund_amount_available": 2500},
    ("POST", "/v1/payments/webhooks/stripe/<tenant>"): lambda w: w.stripe_event,
    ("POST", "/v1/reporting/categories"): lambda w: {"code": f"c{uuid.uuid4().hex[:8]}", "name": "Graffiti"},
    ("PATCH", "/v1/reporting/categories/<code>"): lambda w: {"name": "Renamed category"},
    ("POST", "/v1/reporting/reports"): lambda w: {"category": w.category()["code"], "description": "Broken light",
                                                  "lat": 51.5, "long": -0.12},
    ("POST", "/v1/reporting/reports/<report_id>/status"): lambda w: {"status": "acknowledged", "note": "On it"},
    ("POST", "/v1/reporting/reports/<report_id>/transfer"): lambda w: w.transfer_body(),
    ("POST", "/v1/flows/webhooks"): webhook_body,
    ("PATCH", "/v1/flows/webhooks/<endpoint_id>"): lambda w: {"description": "Renamed endpoint"},
    **{("POST", f"/v1/flows/webhooks/<endpoint_id>/{action}"): None for action in (
        "pause", "resume", "rotate-secret", "test")},
    ("POST", "/v1/flows/webhooks/<endpoint_id>/recover"): lambda w: {
        "since": (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).isoformat()},
    ("POST", "/v1/flows/deliveries/<delivery_id>/replay"): None,
    ("POST", "/v1/flows/automations"): automation_body,
    ("PATCH", "/v1/flows/automations/<automation_id>"): lambda w: {"description": "Renamed automation"},
    ("POST", "/v1/flows/automations/<automation_id>/dry-run"): lambda w: {
        "event": {"type": "civic.booking.created", "subject": "x", "data": {}}},
    ("POST", "/v1/flows/runs/<run_id>/retry"): None,
    ("POST", "/v1/flows/services"): service_body,
    ("PUT", "/v1/flows/services/<slug>"): lambda w: service_body(w, slug=False),
    ("POST", "/v1/flows/services/<slug>/submissions"): submission_body,
    ("POST", "/v1/privacy/searches"): lambda w: {"email": "pat@example.org"},
    ("POST", "/v1/privacy/requests"): lambda w: {"subject": {"email": "pat@example.org"}},
    ("POST", "/v1/privacy/requests/<request_id>/transition"): lambda w: {"to": "in_progress"},
    ("POST", "/v1/privacy/erasures"): lambda w: {"subject": {"email": "pat@example.org"}, "reason": "Asked to be forgotten"},
    ("POST", "/v1/privacy/rectifications"): lambda w: {"subject": {"email": "pat@example.org"},
                                                       "to": {"email": "pat.new@example.org"}},
    ("PUT", "/v1/privacy/retention"): lambda w: {"periods": [{"data_class": "reporting", "days": 400}]},
    ("POST", "/v1/privacy/retention/dry-run"): None,
    ("POST", "/v1/privacy/consents"): lambda w: {"subject": {"email": "pat@example.org"}, "purpose": "newsletter",
                                                 "description": "News", "collection_method": "web form"},
    ("POST", "/v1/privacy/consents/search"): lambda w: {"subject": {"email": "pat@example.org"}},
    ("POST", "/v1/privacy/consents/<consent_id>/withdraw"): lambda w: {"method": "email"},
}


# Required query parameters of GET routes, so that a refusal is never just a 422 for a missing parameter.
QUERIES = {
    "/v1/booking/resources/<resource_id>/availability": lambda: {"from": _slot(1, 0), "to": _slot(8, 0)},
    "/v1/booking/day": lambda: {"date": (dt.date.today() + dt.timedelta(days=3)).isoformat()},
}


def url_for(op: Operation, values: dict) -> str:
    """The route's URL for these values, with its required query parameters."""
    query = QUERIES.get(op.path) if op.method == "GET" else None
    return op.url(values) + ("?" + urllib.parse.urlencode(query()) if query else "")


def values_for(world: World, op: Operation) -> dict:
    """Fresh URL values naming an object of A for `op` (a KeyError names a route without a creator)."""
    if op.has_id:
        return CREATORS[op.path](world)
    for prefix, setup in SETUP.items():
        if op.path.startswith(prefix):
            setup(world)
    return {}


# What a component needs set up before its routes without an object id can succeed.
SETUP = {"/v1/notify/": World.notify_config, "/v1/payments": World.payments_account}


def body_for(world: World, op: Operation):
    """A valid body for `op`, or None for a route that takes none (a KeyError names a route without one)."""
    if op.method not in ("POST", "PUT", "PATCH"):
        return None
    make = BODIES[(op.method, op.path)]
    return make(world) if make else None
