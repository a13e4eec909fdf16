"""Every declared casework event carries its declared payload, and a report in a configured category opens a case."""
import sqlalchemy as sa

from tests.helpers import check_payloads


def _stored(app):
    from civic.core.db import session
    from civic.core.events import Event

    with app.app_context():
        return list(session.scalars(sa.select(Event).where(Event.type.like("civic.casework.%"))))


def test_a_report_in_a_configured_category_opens_a_case(app, client, org, make, worker):
    org.define(client)
    reporter = make.headers(org.tenant, "reporting:read", "reporting:write")
    for code in ("fly-tipping", "litter"):
        assert client.post("/v1/reporting/categories", headers=reporter, json={"code": code, "name": code}).status_code == 201
    settings = {"intake": [{"report_category": "fly-tipping", "case_type": "social-prescribing", "team": "street"}]}
    assert client.put("/v1/casework/settings", json=settings, headers=org.worker).status_code == 403
    saved = client.put("/v1/casework/settings", json=settings, headers=org.admin)
    assert saved.status_code == 200 and saved.get_json()["working_hours"]["monday"] == [{"start": "09:00", "end": "17:00"}]
    report = client.post("/v1/reporting/reports", headers=reporter,
                         json={"category": "fly-tipping", "address": "1 High Street"}).get_json()
    client.post("/v1/reporting/reports", headers=reporter, json={"category": "litter", "address": "2 High Street"})
    worker.drain()
    worker.drain()
    cases = client.get("/v1/casework/cases", headers=org.worker).get_json()["items"]
    assert [(c["reference"], c["team"]) for c in cases] == [(f"report:{report['id']}", "street")]
    assert cases[0]["links"] == [{"type": "reporting.report", "id": report["id"]}]


def test_settings_refuse_bad_hours_and_zones(client, org):
    for body in ({"time_zone": "Mars/Olympus"}, {"working_hours": {"monday": [{"start": "17:00", "end": "09:00"}]}},
                 {"working_hours": {"funday": []}}, {"bank_holiday_region": "wales"}):
        response = client.put("/v1/casework/settings", json=body, headers=org.admin)
        assert response.status_code == 422 and response.get_json()["code"] == "validation_failed", body


def test_every_event_of_a_scripted_run_has_its_declared_payload(app, client, org, make, worker):
    from tests.casework.test_referrals import live_agreement, refer
    from tests.casework.conftest import Org

    import datetime as dt
    import uuid
    from civic.casework.models import Case
    from civic.core.db import session, unit_of_work
    from civic.core.tenancy import place_wide

    org.define(client)
    case = org.case(client)
    org.move(client, case["id"], "triage")
    client.post(f"/v1/casework/cases/{case['id']}/assign", json={"assignee_id": str(org.worker_user.id)}, headers=org.worker)
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=1)
    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        session.execute(sa.update(Case).where(Case.id == uuid.UUID(case["id"])).values(sla_next=soon, case_due_at=soon))
    worker.drain()
    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        past = soon - dt.timedelta(hours=1)
        session.execute(sa.update(Case).where(Case.id == uuid.UUID(case["id"])).values(sla_next=past, case_due_at=past))
    from civic.casework import tasks
    with app.app_context(), unit_of_work():
        tasks.check_slas({}, None)
    charity = Org(make)
    charity.define(client, key="befriending")
    agreement = live_agreement(client, org, charity, shared_fields=["subject.name"])
    first = refer(client, org, case, agreement).get_json()
    second = refer(client, org, case, agreement).get_json()
    client.post(f"/v1/casework/referrals/{first['id']}/accept", json={"case_type": "befriending"}, headers=charity.worker)
    client.post(f"/v1/casework/referrals/{first['id']}/outcome", json={"outcome": "completed"}, headers=charity.worker)
    client.post(f"/v1/casework/referrals/{second['id']}/decline", json={"reason": "Full"}, headers=charity.worker)
    seen = check_payloads(app, _stored(app))
    from civic.core.events import declared
    assert seen == {e.type for e in declared(app) if e.component == "casework"}
