"""Composed services through HTTP: the bulky-waste service from submission to confirmation (booking hold,
payment, the hold confirmed when it is paid, a case for the crew), and its failure paths: a declined card,
a payment never finished (the time-out), a component switched off mid-way; versions, retiring, what a
definition may not be, who may, and another organisation's."""
import copy
import datetime as dt
import json
import uuid

import pytest
import sqlalchemy as sa

from civic.casework.schemas import SOCIAL_PRESCRIBING
from civic.core.db import session, unit_of_work
from civic.core.jobs import Job
from civic.core.tenancy import place_wide
from civic.flows.models import Submission
from civic.flows.schemas import BULKY_WASTE, DEMO_RESOURCE_ID
from tests.booking.conftest import at, next_weekday
from tests.builders import create_resource
from tests.conftest import postgres_only

SERVICES = "/v1/flows/services"
SCOPES = ("flows:read", "flows:write", "booking:read", "booking:write", "payments:read", "payments:write",
          "casework:read", "casework:write")
CREW_CASE = {**copy.deepcopy(SOCIAL_PRESCRIBING), "key": "bulky-collection", "name": "Bulky waste collection"}
DECLINED, PAID = "4000000000000002", "4242424242424242"


class Council:
    """An organisation (sandbox world: the simulated payment provider) with a collection round and a crew
    case type, and the bulky-waste service published for its round."""

    def __init__(self, make, client, *, publish=True, components=None):
        self.make, self.client = make, client
        self.tenant = make.tenant(**({"components": components} if components else {}))
        self.headers = make.headers(self.tenant, *SCOPES, sandbox=True)
        admin = make.headers(self.tenant, "casework:write", "clients:manage", sandbox=True)
        if "casework" in (components or ["casework"]):
            assert client.post("/v1/casework/case-types", headers=admin, json=CREW_CASE).status_code == 201
        self.resource = create_resource(client, self.headers, capacity=1)
        self.day = next_weekday(2, after_days=7)
        self.definition = json.loads(json.dumps(BULKY_WASTE).replace(DEMO_RESOURCE_ID, self.resource["id"]))
        if publish:
            self.publish()

    def publish(self, status=201, headers=None, **changes):
        answer = self.client.post(SERVICES, headers=headers or self.headers, json={**self.definition, **changes})
        assert answer.status_code == status, answer.json
        return answer.json

    def submit(self, status=201, headers=None, slug="bulky-waste", **form):
        answers = {"name": "Margaret Hughes", "email": "margaret.hughes@example.com",
                   "start": at(self.day, "09:00").isoformat(), "items": ["sofa", "fridge"], **form}
        answer = self.client.post(f"{SERVICES}/{slug}/submissions", headers=headers or self.headers,
                                  json={"form": answers, "reference": "web-8812"})
        assert answer.status_code == status, answer.json
        return answer.json

    def get(self, submission_id):
        answer = self.client.get(f"/v1/flows/submissions/{submission_id}", headers=self.headers)
        assert answer.status_code == 200, answer.json
        return answer.json

    def pay(self, submission, card=PAID):
        answer = self.client.post(f"/v1/payments/{submission['next']['payment_id']}/simulate", headers=self.headers,
                                  json={"card_number": card})
        assert answer.status_code == 200, answer.json

    def holds(self, app) -> int:
        from civic.booking.models import Hold

        with app.app_context(), place_wide("tests.inspection"):
            return session.scalar(sa.select(sa.func.count()).select_from(Hold)
                                  .where(Hold.tenant_id == self.tenant.id))

    def cases(self):
        return self.client.get("/v1/casework/cases", headers=self.headers).json["items"]


@pytest.fixture
def council(make, client):
    return Council(make, client)


def _without_request_id(answer) -> dict:
    return {key: value for key, value in answer.json.items() if key != "request_id"}


def _stored(app, submission_id) -> Submission:
    with app.app_context(), place_wide("tests.inspection"):
        row = session.scalars(sa.select(Submission)
                              .where(Submission.id == uuid.UUID(submission_id))).one()
        session.expunge(row)
        return row


def _time_passes(app, job_name: str) -> None:
    with app.app_context(), unit_of_work(), place_wide("tests.inspection"):
        session.execute(sa.update(Job).where(Job.name == job_name, Job.status == "pending")
                        .values(run_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))


def test_the_bulky_waste_service_from_submission_to_confirmation(app, council, client, worker):
    published = council.client.get(f"{SERVICES}/bulky-waste", headers=council.headers).json
    assert published["version"] == 1 and published["status"] == "active"
    assert published["scopes"] == ["booking:write", "casework:write", "payments:write"]
    submission = council.submit()
    assert submission["status"] == "waiting" and submission["step"] == 2
    assert submission["next"]["do"] == "pay" and submission["next"]["client_secret"]
    assert [s["status"] for s in submission["steps"]] == ["succeeded", "succeeded", "waiting"]
    assert "client_secret" not in json.dumps(submission["steps"])  # outputs keep ids and states only
    hold = submission["steps"][0]["output"]
    assert hold["status"] == "held"

    council.pay(submission)
    worker.drain()
    done = council.get(submission["id"])
    assert done["status"] == "completed" and done["next"] is None and done["reason"] is None
    assert [s["status"] for s in done["steps"]] == ["succeeded"] * 5
    booking_id = done["steps"][3]["output"]["id"]
    booking = client.get(f"/v1/booking/bookings/{booking_id}", headers=council.headers).json
    assert booking["status"] == "confirmed" and booking["attendee"]["email"] == "margaret.hughes@example.com"
    (case,) = council.cases()
    assert case["case_type_key"] == "bulky-collection" and case["title"] == "Collect bulky waste: sofa, fridge"
    assert {"type": "booking.booking", "id": booking_id} in case["links"]
    row = _stored(app, submission["id"])
    assert row.form_encrypted is None and row.next_encrypted is None  # the answers are gone once it ends

    listed = client.get(f"{SERVICES}/bulky-waste/submissions?status=completed", headers=council.headers).json
    assert [item["id"] for item in listed["items"]] == [submission["id"]]


def test_the_answers_and_the_client_secret_are_stored_encrypted(app, council):
    body = {"form": {"name": "Margaret Hughes", "email": "margaret.hughes@example.com",
                     "start": at(council.day, "09:00").isoformat(), "items": ["sofa"]}}
    headers = {**council.headers, "Idempotency-Key": "web-8812"}
    answer = council.client.post(f"{SERVICES}/bulky-waste/submissions", headers=headers, json=body)
    assert answer.status_code == 201, answer.json
    secret = answer.json["next"]["client_secret"]
    with app.app_context():
        everything = json.dumps([[str(value) for value in row] for table in ("flows_submission", "core_idempotency_key",
                                                                            "core_event", "core_job")
                                 for row in session.execute(sa.text(f"SELECT * FROM {table}")).all()])
    assert secret not in everything and "margaret" not in everything.lower()
    replay = council.client.post(f"{SERVICES}/bulky-waste/submissions", headers=headers, json=body)
    assert replay.status_code == 201 and replay.json["id"] == answer.json["id"]
    assert replay.json["next"]["client_secret"] == secret


def test_a_declined_card_fails_it_and_gives_the_place_back(council, worker):
    submission = council.submit()
    council.pay(submission, DECLINED)
    worker.drain()
    failed = council.get(submission["id"])
    assert failed["status"] == "failed" and failed["step"] == 2
    assert failed["reason"] == "Step 2 ended: civic.payments.payment_failed."
    assert failed["needs_attention"] is False
    assert failed["steps"][2]["error"]["code"] == "failed_on_event"
    undone = {entry["action"]: entry for entry in failed["undone"]}
    assert [entry["step"] for entry in failed["undone"]] == [1, 0]  # last first
    assert undone["booking.release_hold"]["status"] == "succeeded"
    assert undone["payments.reverse"]["status"] == "succeeded"  # it had failed already: nothing was taken
    assert council.submit()["status"] == "waiting"  # the one place is free again


def test_a_payment_never_finished_times_out_cancels_the_payment_and_releases_the_hold(app, council, client, worker):
    submission = council.submit()
    _time_passes(app, "flows.submission_timeout")
    worker.drain()
    failed = council.get(submission["id"])
    assert failed["status"] == "failed" and failed["reason"] == "Step 2 timed out."
    assert [(e["action"], e["status"]) for e in failed["undone"]] == [("payments.reverse", "succeeded"),
                                                                      ("booking.release_hold", "succeeded")]
    payment = client.get(f"/v1/payments/{submission['next']['payment_id']}", headers=council.headers).json
    assert payment["state"]["status"] == "cancelled"
    worker.drain()  # the payment's cancellation event finds nothing waiting for it
    assert council.get(submission["id"])["undone"] == failed["undone"]


def test_an_event_delivered_twice_moves_it_once(app, council, worker):
    submission = council.submit()
    council.pay(submission)
    worker.drain()
    with app.app_context(), unit_of_work(), place_wide("tests.inspection"):
        fan_out = session.scalars(sa.select(Job).where(Job.name == "flows.fan_out")).all()
        for job in fan_out:
            job.status, job.run_at = "pending", dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    worker.drain()
    assert len(council.cases()) == 1 and council.get(submission["id"])["status"] == "completed"


def test_a_component_switched_off_mid_way_undoes_the_booking_and_gives_the_money_back(app, council, steward, client,
                                                                                     worker):
    submission = council.submit()
    answer = client.patch(f"/v1/admin/tenants/{council.tenant.slug}", headers=steward,
                          json={"components": ["flows", "booking", "payments"]})
    assert answer.status_code == 200, answer.json
    council.pay(submission)
    worker.drain()
    failed = council.get(submission["id"])
    assert failed["status"] == "failed" and failed["step"] == 4
    assert failed["steps"][4]["error"]["code"] == "action_unavailable"
    assert [(e["action"], e["status"]) for e in failed["undone"]] == [
        ("booking.cancel", "succeeded"), ("payments.reverse", "succeeded"), ("booking.release_hold", "succeeded")]
    assert failed["needs_attention"] is False
    booking = client.get(f"/v1/booking/bookings/{failed['steps'][3]['output']['id']}", headers=council.headers).json
    assert booking["status"] == "cancelled"
    payment = client.get(f"/v1/payments/{submission['next']['payment_id']}", headers=council.headers).json
    assert payment["refund_summary"]["amount_available"] == 0, payment["refund_summary"]  # refunded in full
    assert council.submit()["status"] == "waiting"  # the place is free again


def test_undoing_that_cannot_work_says_a_person_must_look(make, client, worker):
    council = Council(make, client, publish=False)
    definition = copy.deepcopy(council.definition)
    definition["steps"][3].pop("undo")  # the booking stands: its hold cannot be released
    definition["steps"][4]["input"]["case_type"] = "no-such-type"
    council.publish(**definition)
    submission = council.submit()
    council.pay(submission)
    worker.drain()
    failed = council.get(submission["id"])
    assert failed["status"] == "failed" and failed["needs_attention"] is True
    assert {e["action"]: e["status"] for e in failed["undone"]} == {"payments.reverse": "succeeded",
                                                                    "booking.release_hold": "failed"}


def test_a_submission_keeps_its_version(council, worker):
    first = council.submit()
    changed = copy.deepcopy(council.definition)
    changed["steps"][4]["input"]["title"] = "Version 2: {{ form.items }}"
    answer = council.client.put(f"{SERVICES}/bulky-waste", headers=council.headers,
                                json={k: v for k, v in changed.items() if k != "slug"})
    assert answer.status_code == 200 and answer.json["version"] == 2, answer.json
    council.pay(first)
    worker.drain()
    assert council.get(first["id"])["service_version"] == 1
    assert council.cases()[0]["title"].startswith("Collect bulky waste")
    old = council.client.get(f"{SERVICES}/bulky-waste/versions/1", headers=council.headers).json
    assert old["version"] == 1 and old["current"] is False and old["steps"] == council.definition["steps"]
    assert council.client.get(f"{SERVICES}/bulky-waste/versions/3", headers=council.headers).status_code == 404


def test_a_retired_service_takes_no_submissions_and_a_new_version_opens_it(council):
    waiting = council.submit()
    answer = council.client.delete(f"{SERVICES}/bulky-waste", headers=council.headers)
    assert answer.status_code == 200 and answer.json["status"] == "retired"
    assert council.submit(409)["code"] == "service_retired"
    assert council.get(waiting["id"])["status"] == "waiting"  # those under way go on
    reopened = council.client.put(f"{SERVICES}/bulky-waste", headers=council.headers,
                                  json={k: v for k, v in council.definition.items() if k != "slug"})
    assert reopened.json["status"] == "active" and reopened.json["version"] == 2


@pytest.mark.parametrize("answers, where", [
    ({"email": "not-an-email"}, "email"),
    ({"email": "margaret@localhost"}, "email"),  # the platform's own rule for email addresses, not just an @
    ({"items": []}, "items"),
    ({"items": ["a", "b", "c", "d"]}, "items"),
    ({"start": "next tuesday"}, "start"),
    ({"name": ""}, "name"),
    ({"colour": "red"}, "form"),
])
def test_answers_that_do_not_fit_the_form_are_refused_and_start_nothing(app, council, answers, where):
    problem = council.submit(422, **answers)
    assert problem["code"] == "form_invalid" and where in problem["errors"], problem
    assert council.holds(app) == 0


def test_a_missing_answer_is_named(council):
    answer = council.client.post(f"{SERVICES}/bulky-waste/submissions", headers=council.headers,
                                 json={"form": {"name": "M"}})
    assert answer.status_code == 422 and answer.json["code"] == "form_invalid"
    assert "email" in str(answer.json["errors"]["form"])


def _without(step: dict, *keys) -> dict:
    return {key: value for key, value in step.items() if key not in keys}


@pytest.mark.parametrize("change, where", [
    (lambda d: d["steps"][0].update(action="booking.teleport"), "steps.0.action"),
    (lambda d: d["steps"][0]["input"].update(colour="red"), "steps.0.input"),
    (lambda d: d["steps"][0]["input"].update(start="{{ steps.1.output.id }}"), "steps.0.input"),
    (lambda d: d["steps"][0]["input"].update(start="{{ event.data.start }}"), "steps.0.input"),
    (lambda d: d["steps"][0]["undo"].update(action="booking.nothing"), "steps.0.undo.action"),
    (lambda d: d["steps"][2].update(wait_for="civic.payments.payment_teleported"), "steps.2.wait_for"),
    (lambda d: d["steps"][2].update(wait_for="civic.payments.*"), "steps.2.wait_for"),
    (lambda d: d["steps"][2].update(match={"payment_id": "{{ steps.1.output.id }}", "amount": "1"}), "steps.2.match"),
    (lambda d: d["steps"][2].update(match={"payment_id": "{{ steps.3.output.id }}"}), "steps.2.match"),
    (lambda d: d.update(form={"type": "array"}), "form"),
    (lambda d: d.update(form={"type": "object", "properties": {"a": {"type": "wibble"}}}), "form.properties.a.type"),
    (lambda d: d.update(form={"type": "object", "properties": {"a": {"$ref": "https://evil.example/s.json"}}}),
     "form.properties.a.$ref"),
])
def test_a_definition_that_cannot_work_is_refused_where_it_is_wrong(make, client, change, where):
    council = Council(make, client, publish=False)
    definition = copy.deepcopy(council.definition)
    change(definition)
    problem = council.client.post(SERVICES, headers=council.headers, json=definition).json
    assert problem["code"] == "service_invalid" and where in problem["errors"], problem


@pytest.mark.parametrize("step", [
    {"action": "booking.hold", "wait_for": "civic.payments.payment_succeeded"},
    {"wait_for": "civic.payments.payment_succeeded", "timeout_minutes": 5},
    {"wait_for": "civic.payments.payment_succeeded", "match": {"payment_id": "x"}, "timeout_minutes": 5,
     "input": {}},
    {"action": "booking.hold", "timeout_minutes": 5},
    {"wait_for": "civic.payments.payment_succeeded", "match": {"payment_id": "x"}, "timeout_minutes": 0},
])
def test_a_step_of_neither_or_both_kinds_is_refused(make, client, step):
    council = Council(make, client, publish=False)
    problem = council.publish(422, steps=[step])
    assert problem["code"] == "validation_failed"


def test_a_slug_is_published_once_then_versioned(council):
    assert council.publish(409)["code"] == "service_exists"
    assert council.publish(422, slug="Bulky Waste!")["code"] == "validation_failed"


def test_publishing_needs_every_scope_its_steps_use(make, client):
    council = Council(make, client, publish=False)
    lacking = make.headers(council.tenant, "flows:read", "flows:write", "booking:write", sandbox=True)
    problem = council.publish(403, headers=lacking)
    assert problem["code"] == "automation_scope_not_held"
    assert "casework:write" in problem["detail"] and "payments:write" in problem["detail"]


def test_only_a_tenant_admin_may_publish_and_a_viewer_may_not_submit(make, client, council):
    for role, code in (("viewer", "insufficient_scope"), ("caseworker", "flows_admin_required")):
        user = make.user(council.tenant, role=role)
        person = make.headers(council.tenant, *SCOPES, user=user, sandbox=True)
        assert council.publish(403, headers=person, slug=f"by-{role}")["code"] == code
    reader = make.headers(council.tenant, "flows:read", sandbox=True)
    assert council.submit(403, headers=reader)["code"] == "insufficient_scope"


def test_another_organisations_services_and_submissions_are_not_found(make, client, council):
    submission = council.submit()
    other = make.headers(make.tenant(), *SCOPES, sandbox=True)
    missing = client.get(f"{SERVICES}/no-such-service", headers=council.headers)
    for path in (f"{SERVICES}/bulky-waste", f"/v1/flows/submissions/{submission['id']}",
                 f"{SERVICES}/bulky-waste/submissions"):
        answer = client.get(path, headers=other)
        assert answer.status_code == 404 and answer.json["code"] == "not_found", path
    assert _without_request_id(client.get(f"{SERVICES}/bulky-waste", headers=other)) == _without_request_id(missing)
    assert client.post(f"{SERVICES}/bulky-waste/submissions", headers=other,
                       json={"form": {}}).status_code == 404
    live = make.headers(council.tenant, *SCOPES)  # the live world sees none of the sandbox's
    assert client.get(f"/v1/flows/submissions/{submission['id']}", headers=live).status_code == 404


def test_a_step_that_fails_at_once_undoes_those_before_and_answers_the_submission(make, client):
    council = Council(make, client, publish=False)
    definition = copy.deepcopy(council.definition)
    definition["steps"][1]["input"]["amount"] = "{{ form.name }}"  # not a number: the payment is refused
    council.publish(**{k: v for k, v in definition.items()})
    submission = council.submit()
    assert submission["status"] == "failed" and submission["step"] == 1
    assert submission["steps"][1]["error"]["code"] == "validation_failed"
    assert [(e["action"], e["status"]) for e in submission["undone"]] == [("booking.release_hold", "succeeded")]
    assert submission["next"] is None


def test_the_answers_of_a_submission_under_way_are_found_exported_and_erased(app, make, client, council, worker):
    from civic.core.privacy import Identifiers
    from civic.core.tenancy import in_world, tenant_context
    from civic.flows import privacy as flows_privacy

    submission = council.submit()
    privacy_headers = make.headers(council.tenant, "privacy:read", "privacy:write", sandbox=True)
    found = client.post("/v1/privacy/searches", headers=privacy_headers,
                        json={"email": "Margaret.Hughes@example.com"}).json
    assert {"component": "flows", "type": "submission", "id": submission["id"]}.items() <= \
        next(m for m in found["matches"] if m["component"] == "flows").items(), found
    who = Identifiers.of(email="margaret.hughes@example.com")
    with app.app_context(), unit_of_work(), tenant_context(council.tenant.id), in_world(True):
        (exported,) = flows_privacy.export(tenant_id=council.tenant.id, who=who)
        assert exported["answers"]["name"] == "Margaret Hughes"
        assert flows_privacy.search(tenant_id=council.tenant.id, who=Identifiers.of(email="sam@example.org")) == []
        assert flows_privacy.erase(tenant_id=council.tenant.id, who=who) == 1
    ended = council.get(submission["id"])
    assert ended["status"] == "failed" and ended["steps"][2]["error"]["code"] == "erased"
    assert [(e["action"], e["status"]) for e in ended["undone"]] == [("payments.reverse", "succeeded"),
                                                                     ("booking.release_hold", "succeeded")]
    assert _stored(app, submission["id"]).form_encrypted is None
    with app.app_context(), unit_of_work(), tenant_context(council.tenant.id), in_world(True):
        assert flows_privacy.erase(tenant_id=council.tenant.id, who=who) == 0  # again: nothing


def test_nothing_the_citizen_answered_is_kept_in_clear_once_it_ends(app, council, worker):
    submission = council.submit()
    council.pay(submission)
    worker.drain()
    done = council.get(submission["id"])
    assert done["steps"][3]["input"]["attendee"] == {"name": "[answer]", "email": "[answer]"}
    assert done["steps"][4]["input"]["title"] == "Collect bulky waste: [answer], [answer]"
    with app.app_context():
        everything = json.dumps([[str(value) for value in row] for table in ("flows_submission", "core_event", "core_job")
                                 for row in session.execute(sa.text(f"SELECT * FROM {table}")).all()])
    assert "margaret" not in everything.lower() and "fridge" not in everything


def test_only_the_app_that_submitted_is_shown_what_the_citizen_must_do(make, client, council):
    submission = council.submit()
    another_app = make.headers(council.tenant, "flows:read", sandbox=True)
    seen = client.get(f"/v1/flows/submissions/{submission['id']}", headers=another_app).json
    assert seen["status"] == "waiting" and seen["next"] is None
    assert council.get(submission["id"])["next"]["client_secret"] == submission["next"]["client_secret"]


def test_a_form_cannot_make_checking_slow_or_big(make, client):
    council = Council(make, client, publish=False)
    definition = copy.deepcopy(council.definition)
    definition["form"]["properties"]["name"]["pattern"] = "^([A-Za-z]+ ?)*$"  # backtracks for ever in Python's re
    council.publish(**definition)
    problem = council.submit(422, name="a" * 150 + "!")
    assert problem["code"] == "form_invalid" and "name" in problem["errors"]
    assert council.submit(422, items=[1] * 600)["errors"] == {"items": ["At most 500 items."]}
    assert "form" in council.submit(422, name="x" * 40_000)["errors"]


@pytest.mark.parametrize("form, where", [
    ({"type": "object", "properties": {"a": {"$ref": "#/$defs/nope"}}}, "form.properties.a.$ref"),
    ({"type": "object", "$ref": "#"}, "form.$ref"),
    ({"type": "object", "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"allOf": [{"$ref": "#/$defs/a"}]}},
      "properties": {"x": {"$ref": "#/$defs/a"}}}, "form"),
    ({"type": "object", "properties": {"a": {"$dynamicRef": "#nope"}}}, "form.properties.a.$dynamicRef"),
    ({"type": "object", "properties": {"a": {"type": "string", "pattern": "(a)\\1"}}}, "form.properties.a.pattern"),
    ({"type": "object", "properties": {"a": {"type": "string", "format": "postcode"}}}, "form.properties.a.format"),
    ({"type": "object", "$schema": "http://json-schema.org/draft-04/schema#"}, "form.$schema"),
    ({"type": "object", "patternProperties": {"^a": {}}}, "form.patternProperties"),
])
def test_a_form_that_could_not_check_answers_is_refused_when_published(make, client, form, where):
    council = Council(make, client, publish=False)
    problem = council.publish(422, form=form)
    assert problem["code"] == "service_invalid" and where in problem["errors"], problem


@pytest.mark.parametrize("change, where", [
    (lambda d: d["steps"][2].update(match={"link_id": "{{ submission.id }}"}), "steps.2.match"),  # anyone may link
    (lambda d: d["steps"][2].update(match={"link_type": "flows.submission"}), "steps.2.match"),  # a constant
    (lambda d: d["steps"][2].update(match={"paymentid": "{{ steps.1.output.id }}"}), "steps.2.match"),
    (lambda d: d["steps"][2].update(match={"payment_id": "{{ form.email }}"}), "steps.2.match"),
    (lambda d: d["steps"][2].update(fails_on=["civic.booking.hold_expired"]), "steps.2.match"),  # it has no payment_id
    (lambda d: d["steps"][2].update(fails_on=["civic.payments.payment_succeeded"]), "steps.2.fails_on"),
    (lambda d: d["steps"][2].update(wait_for="civic.flows.test"), "steps.2.wait_for"),
    (lambda d: d["steps"][2]["next"].update(email="{{ form.email }}"), "steps.2.next"),
    (lambda d: d["steps"][4]["input"].update(title="Collect at {{ steps.0.output.start }}"), "steps.4.input"),
    (lambda d: d["steps"][0]["undo"]["input"].update(reference="{{ steps.0.output.start }}"), "steps.0.undo.input"),
])
def test_a_wait_matches_only_what_the_submission_made_and_outputs_past_it_are_ids(make, client, change, where):
    council = Council(make, client, publish=False)
    definition = copy.deepcopy(council.definition)
    change(definition)
    problem = council.client.post(SERVICES, headers=council.headers, json=definition).json
    assert problem["code"] == "service_invalid" and where in problem["errors"], problem


def test_a_form_with_an_infinite_number_is_refused_at_the_edge(council):
    answer = council.client.post(SERVICES, headers=council.headers, data=json.dumps(
        {**council.definition, "slug": "inf"}).replace('"maxItems": 3', '"maxItems": 1e400'),
        content_type="application/json")
    assert answer.status_code == 422 and answer.json["code"] == "validation_failed"


@postgres_only
def test_the_payment_and_the_time_out_at_once_end_it_once(app, council, client):
    """Two workers: one goes on with the paid submission, the other times it out, at the same moment. Either
    may win; whichever does, the submission ends once, and a time-out that wins gives the money back."""
    import threading

    from civic.core.events import Event
    from civic.core.jobs import Worker

    submission = council.submit()
    council.pay(submission)
    _time_passes(app, "flows.submission_timeout")
    barrier = threading.Barrier(2)

    def work():
        barrier.wait()
        Worker(app, batch=1).drain()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    ended = council.get(submission["id"])
    with app.app_context(), place_wide("tests.inspection"):
        endings = session.scalars(sa.select(Event.type).where(Event.subject == submission["id"])).all()
    assert len(endings) == 1 and endings[0] == f"civic.flows.submission_{ended['status']}", endings
    payment = client.get(f"/v1/payments/{submission['next']['payment_id']}", headers=council.headers).json
    if ended["status"] == "completed":
        assert len(council.cases()) == 1 and payment["refund_summary"]["amount_submitted"] == 0
    else:
        assert ended["reason"] == "Step 2 timed out." and ended["needs_attention"] is False
        assert payment["refund_summary"]["amount_available"] == 0 and council.cases() == []
