"""Automations through HTTP: a fly-tipping report opens a crew case and emails the crew; the condition; a
failed step retried from where it failed; what a definition may not do; loops; dry runs; who may."""
import copy

import pytest

from civic.casework.schemas import SOCIAL_PRESCRIBING
from civic.flows.models import Run
from tests.flows.conftest import stored
from tests.notify.conftest import Org as NotifyOrg

AUTOMATIONS = "/v1/flows/automations"
SCOPES = ("flows:read", "flows:write", "reporting:read", "reporting:write", "casework:read", "casework:write",
          "notify:read", "notify:write")
CREW_JOB = {**copy.deepcopy(SOCIAL_PRESCRIBING), "key": "crew-job", "name": "Street crew job"}
OPEN_CASE = {"action": "casework.create_case", "input": {
    "case_type": "crew-job", "title": "Clear fly-tipping (report {{ event.data.report_id }})",
    "links": [{"type": "reporting.report", "id": "{{ event.data.report_id }}"}]}}
EMAIL_CREW = {"action": "notify.send", "input": {
    "template": "crew_job", "email_address": "crew@riverside.example",
    "personalisation": {"case": "{{ steps.0.output.id }}", "report": "{{ event.data.report_id }}"}}}
FLY_TIPPING = {"name": "Fly-tipping opens a crew case", "trigger": "civic.reporting.report_created",
               "condition": 'event.data.category == "fly-tipping"', "steps": [OPEN_CASE, EMAIL_CREW]}


@pytest.fixture
def app_config(fake_notify):
    return {"NOTIFY_BASE_URL": fake_notify.url, "NOTIFY_TIMEOUT_SECONDS": 5.0}


class Council:
    """An organisation with report categories, a crew case type and Notify set up."""

    def __init__(self, make, client, fake, *, sandbox=False, template=True):
        self.make, self.client, self.fake = make, client, fake
        self.notify = NotifyOrg(make, client, fake)
        self.tenant = self.notify.tenant
        self.headers = make.headers(self.tenant, *SCOPES, sandbox=sandbox)
        for code in ("fly-tipping", "pothole"):
            make.category(self.tenant, code=code)
        admin = make.headers(self.tenant, "casework:write", "clients:manage", sandbox=sandbox)
        assert client.post("/v1/casework/case-types", headers=admin, json=CREW_JOB).status_code == 201
        if template:
            self.crew_template()

    def crew_template(self):
        self.notify.template("crew_job", "email", "Case ((case)) for report ((report)).", subject="New crew job")

    def automation(self, status=201, headers=None, **body):
        answer = self.client.post(AUTOMATIONS, headers=headers or self.headers, json={**FLY_TIPPING, **body})
        assert answer.status_code == status, answer.json
        return answer.json

    def report(self, category="fly-tipping", headers=None):
        answer = self.client.post("/v1/reporting/reports", headers=headers or self.headers, json={
            "category": category, "description": "Mattress on the pavement", "lat": 51.5, "long": -0.12})
        assert answer.status_code == 201, answer.json
        return answer.json

    def runs(self, automation_id) -> list[dict]:
        answer = self.client.get(f"{AUTOMATIONS}/{automation_id}/runs", headers=self.headers)
        assert answer.status_code == 200, answer.json
        return answer.json["items"]

    def cases(self) -> list[dict]:
        return self.client.get("/v1/casework/cases", headers=self.headers).json["items"]


@pytest.fixture
def council(make, client, fake_notify):
    return Council(make, client, fake_notify)


def test_a_fly_tipping_report_opens_a_crew_case_and_emails_the_crew(council, worker, fake_notify):
    automation = council.automation()
    assert automation["scopes"] == ["casework:write", "notify:write"] and automation["version"] == 1
    report = council.report()
    worker.drain()
    (run,) = council.runs(automation["id"])
    assert run["status"] == "succeeded" and [s["status"] for s in run["steps"]] == ["succeeded", "succeeded"]
    (case,) = council.cases()
    assert case["title"] == f"Clear fly-tipping (report {report['id']})"
    assert case["links"] == [{"type": "reporting.report", "id": report["id"]}]
    assert run["steps"][0]["output"]["id"] == case["id"] and "subject" not in run["steps"][0]["output"]
    (sent,) = [n for n in fake_notify.sent() if n["to"] == "crew@riverside.example"]
    assert sent["body"] == f"Case {case['id']} for report {report['id']}."
    # Another category: the condition is false, the run is recorded as skipped and nothing is done.
    council.report(category="pothole")
    worker.drain()
    assert [r["status"] for r in council.runs(automation["id"])] == ["succeeded", "skipped"]
    assert len(council.cases()) == 1


def test_a_failed_step_is_retried_from_where_it_failed(make, client, fake_notify, worker):
    council = Council(make, client, fake_notify, template=False)  # the crew's template is missing at first
    automation = council.automation()
    council.report()
    worker.drain()
    (run,) = council.runs(automation["id"])
    assert (run["status"], run["failed_step"]) == ("failed", 1)
    assert run["steps"][1]["error"]["code"] == "notify_template_not_found" and len(council.cases()) == 1
    council.crew_template()
    again = client.post(f"/v1/flows/runs/{run['id']}/retry", headers=council.headers)
    assert again.status_code == 200, again.json
    assert (again.json["status"], again.json["attempts"]) == ("succeeded", 2)
    assert len(council.cases()) == 1  # the first step was not repeated
    assert again.json["steps"][0] == run["steps"][0]
    worker.drain()
    assert [n for n in fake_notify.sent() if n["to"] == "crew@riverside.example"]
    refused = client.post(f"/v1/flows/runs/{run['id']}/retry", headers=council.headers)
    assert refused.status_code == 409 and refused.json["code"] == "run_not_failed"


@pytest.mark.parametrize("change,where", [
    ({"steps": [{"action": "no.such_action", "input": {}}]}, "steps.0.action"),
    ({"steps": [{**OPEN_CASE, "input": {**OPEN_CASE["input"], "colour": "red"}}]}, "steps.0.input"),
    ({"steps": [OPEN_CASE, {**EMAIL_CREW, "input": {**EMAIL_CREW["input"], "template": "{{ steps.1.output.id }}"}}]},
     "steps.1.input"),
    ({"steps": [{**OPEN_CASE, "input": {**OPEN_CASE["input"], "title": "{{ event.data.x | system('ls') }}"}}]},
     "steps.0.input"),
    ({"steps": [{**OPEN_CASE, "input": {**OPEN_CASE["input"], "title": "{{ __import__('os') }}"}}]}, "steps.0.input"),
    ({"steps": [{**OPEN_CASE, "input": {**OPEN_CASE["input"], "title": "{{ event.data.x"}}]}, "steps.0.input"),
    ({"condition": 'event.data.category == "fly'}, "condition"),
    ({"condition": "x" * 1001}, "condition"),
    ({"steps": []}, "steps"),
    ({"trigger": "civic.nothing.happened"}, "event_types"),
])
def test_a_definition_that_cannot_run_is_refused_with_where(council, change, where):
    answer = council.automation(status=422, **change)
    assert where in answer["errors"], answer
    assert council.client.get(AUTOMATIONS, headers=council.headers).json["items"] == []


def test_nobody_gives_an_automation_a_scope_they_do_not_hold(council, make, client):
    reporter = make.headers(council.tenant, "flows:read", "flows:write", "casework:write")
    answer = council.automation(status=403, headers=reporter)
    assert answer["code"] == "automation_scope_not_held" and "notify:write" in answer["detail"]
    caseworker = make.headers(council.tenant, *SCOPES, user=make.user(council.tenant, role="caseworker"))
    assert council.automation(status=403, headers=caseworker)["code"] == "flows_admin_required"
    reader = make.headers(council.tenant, "flows:read")
    assert client.post(AUTOMATIONS, headers=reader, json=FLY_TIPPING).status_code == 403


def test_another_organisations_automations_and_runs_are_not_found(council, make, client, fake_notify, worker):
    automation = council.automation()
    council.report()
    worker.drain()
    (run,) = council.runs(automation["id"])
    other = Council(make, client, fake_notify)
    for path in (f"{AUTOMATIONS}/{automation['id']}", f"{AUTOMATIONS}/{automation['id']}/runs",
                 f"/v1/flows/runs/{run['id']}"):
        answer = client.get(path, headers=other.headers)
        assert answer.status_code == 404 and answer.json["code"] == "not_found"
    assert client.post(f"/v1/flows/runs/{run['id']}/retry", headers=other.headers).status_code == 404
    assert client.delete(f"{AUTOMATIONS}/{automation['id']}", headers=other.headers).status_code == 404
    # Its events start only its own automations.
    other.report()
    worker.drain()
    assert len(council.runs(automation["id"])) == 1 and other.cases() == []


def test_an_automation_started_by_its_own_steps_is_stopped(council, worker):
    looping = council.automation(name="A case opens a case", trigger="civic.casework.case_created", condition=None,
                                 steps=[{"action": "casework.create_case", "input": {
                                     "case_type": "crew-job", "title": "Follow-up of {{ event.subject }}"}}])
    council.client.post("/v1/casework/cases", headers=council.headers,
                        json={"case_type": "crew-job", "title": "The first"})
    for _ in range(3):
        worker.drain()
    assert [r["status"] for r in council.runs(looping["id"])] == ["succeeded", "stopped"]
    assert "loop" in council.runs(looping["id"])[1]["reason"] and len(council.cases()) == 2


def test_a_dry_run_shows_what_would_happen_and_does_nothing(council, app):
    automation = council.automation()
    sample = {"type": "civic.reporting.report_created", "subject": "r-1",
              "data": {"report_id": "3c1d2e4f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", "category": "fly-tipping"}}
    answer = council.client.post(f"{AUTOMATIONS}/{automation['id']}/dry-run", headers=council.headers,
                                 json={"event": sample})
    assert answer.status_code == 200, answer.json
    assert (answer.json["triggers"], answer.json["condition"], answer.json["would_run"]) == (True, True, True)
    first, second = answer.json["steps"]
    assert first["input"]["title"] == "Clear fly-tipping (report 3c1d2e4f-6a7b-4c8d-9e0f-1a2b3c4d5e6f)"
    assert first["errors"] is None and second["input"]["personalisation"]["case"] == "{{ steps.0.output.id }}"
    other = council.client.post(f"{AUTOMATIONS}/{automation['id']}/dry-run", headers=council.headers,
                                json={"event": {**sample, "data": {"category": "pothole"}}})
    assert other.json["condition"] is False and other.json["would_run"] is False
    missing = council.client.post(f"{AUTOMATIONS}/{automation['id']}/dry-run", headers=council.headers,
                                  json={"event": {**sample, "data": {}}})
    assert missing.status_code == 200 and "could not be worked out" in missing.json["error"]
    bad = council.client.post(f"{AUTOMATIONS}/{automation['id']}/dry-run", headers=council.headers,
                              json={"event": "not an event"})
    assert bad.status_code == 422
    assert council.cases() == [] and stored(app, Run) == []


def test_a_paused_automation_does_not_run_and_a_change_is_a_new_version(council, worker):
    automation = council.automation()
    etag = council.client.get(f"{AUTOMATIONS}/{automation['id']}", headers=council.headers).headers["ETag"]
    paused = council.client.patch(f"{AUTOMATIONS}/{automation['id']}", headers={**council.headers, "If-Match": etag},
                                  json={"status": "paused"})
    assert paused.status_code == 200 and (paused.json["status"], paused.json["version"]) == ("paused", 2)
    council.report()
    worker.drain()
    assert council.runs(automation["id"]) == [] and council.cases() == []


def test_a_sandbox_automation_runs_on_sandbox_events_only(make, client, fake_notify, worker):
    council = Council(make, client, fake_notify)
    sandbox = make.headers(council.tenant, *SCOPES, sandbox=True)
    sandbox_admin = make.headers(council.tenant, "casework:write", "clients:manage", sandbox=True)
    assert client.post("/v1/casework/case-types", headers=sandbox_admin, json=CREW_JOB).status_code == 201
    automation = council.automation(headers=sandbox, steps=[OPEN_CASE])
    council.report()  # a live report
    worker.drain()
    assert client.get(f"{AUTOMATIONS}/{automation['id']}/runs", headers=sandbox).json["items"] == []
    council.report(headers=sandbox)
    worker.drain()
    (run,) = client.get(f"{AUTOMATIONS}/{automation['id']}/runs", headers=sandbox).json["items"]
    assert run["status"] == "succeeded" and council.cases() == []  # the live world saw nothing


@pytest.mark.parametrize("condition", [
    "[1, 2, 3].all(a, [1, 2, 3].all(b, a + b > 0))",  # macros nested: their cost multiplies
    'event.data.category.exists(c, true) || [1].map(x, x).size() > 0',
    "event.data.n in [" + ", ".join(str(n) for n in range(60)) + "]",
])
def test_a_condition_whose_cost_could_grow_is_refused(council, condition):
    assert "condition" in council.automation(status=422, condition=condition)["errors"]


def test_values_cel_cannot_read_are_a_failed_condition_not_a_crash(council):
    automation = council.automation(condition="event.data.n > 0")
    answer = council.client.post(f"{AUTOMATIONS}/{automation['id']}/dry-run", headers=council.headers,
                                 json={"event": {"type": "civic.reporting.report_created", "data": {"n": 10 ** 30}}})
    assert answer.status_code == 200 and "could not be worked out" in answer.json["error"]


def test_an_action_of_a_component_the_organisation_has_switched_off_cannot_be_a_step(make, client):
    tenant = make.tenant(components=["flows", "reporting"])
    headers = make.headers(tenant, *SCOPES)
    answer = client.post(AUTOMATIONS, headers=headers, json={**FLY_TIPPING, "steps": [OPEN_CASE]})
    assert answer.status_code == 422 and "steps.0.action" in answer.json["errors"], answer.json


def test_a_retry_needs_the_steps_scopes_and_the_automation_as_it_ran(make, client, fake_notify, worker):
    council = Council(make, client, fake_notify, template=False)
    automation = council.automation()
    council.report()
    worker.drain()
    (run,) = council.runs(automation["id"])
    weaker = make.headers(council.tenant, "flows:read", "flows:write")
    refused = client.post(f"/v1/flows/runs/{run['id']}/retry", headers=weaker)
    assert refused.status_code == 403 and refused.json["code"] == "automation_scope_not_held"
    changed = client.patch(f"{AUTOMATIONS}/{automation['id']}", headers=council.headers, json={"steps": [OPEN_CASE]})
    assert changed.status_code == 200 and changed.json["version"] == 2
    stale = client.post(f"/v1/flows/runs/{run['id']}/retry", headers=council.headers)
    assert stale.status_code == 409 and stale.json["code"] == "run_not_failed"
    assert len(council.cases()) == 1


def test_a_loop_through_a_later_job_is_stopped_too(council, worker, fake_notify):
    """A step's message is sent by a job, whose event comes later: it still names the automation."""
    looping = council.automation(name="Every accepted message sends another", trigger="civic.notify.message_accepted",
                                 condition=None, steps=[{**EMAIL_CREW, "input": {
                                     **EMAIL_CREW["input"], "personalisation": {"case": "c", "report": "r"}}}])
    first = council.notify.send(template="crew_job", email_address="crew@riverside.example",
                                personalisation={"case": "c0", "report": "r0"})
    assert first.status_code == 201, first.json
    for _ in range(6):
        worker.drain()
    assert [r["status"] for r in council.runs(looping["id"])] == ["succeeded", "stopped"]
    assert len([n for n in fake_notify.sent() if n["to"] == "crew@riverside.example"]) == 2
