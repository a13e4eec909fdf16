"""Named actions, as a flow calls them: each does what its route does, for one tenant only, with the
authority of whoever it runs for, and a component switched off for the tenant takes its actions away."""
import copy
import uuid

import marshmallow as ma
import pytest

from civic.casework.schemas import SOCIAL_PRESCRIBING
from civic.core import actions
from civic.core.auth import Principal
from civic.core.db import unit_of_work
from civic.core.errors import Problem
from tests.booking.conftest import at, iso, next_weekday

CASEWORK = ("casework:read", "casework:write")
REPORTING = ("reporting:read", "reporting:write")
BOOKING = ("booking:read", "booking:write")
ALL = (*BOOKING, *CASEWORK, *REPORTING, "flows:read")


def run(app, tenant, name, data, principal=None):
    with app.app_context(), unit_of_work():
        return actions.run(name, tenant_id=tenant.id, data=data, principal=principal)


def who(tenant, *scopes, user=None):
    return Principal(tenant_id=tenant.id, client_id="automation-owner", scopes=frozenset(scopes),
                     user_id=user.id if user else None)


def get(client, headers, path):
    answer = client.get(path, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


@pytest.fixture
def place(make, client):
    tenant = make.tenant()
    headers = make.headers(tenant, *ALL)
    assert client.post("/v1/casework/case-types", headers=make.headers(tenant, *CASEWORK, "clients:manage"),
                       json=copy.deepcopy(SOCIAL_PRESCRIBING)).status_code == 201
    return tenant, headers


def test_the_booking_actions_hold_confirm_and_release_as_the_holds_api_does(app, client, make, place):
    tenant, headers = place
    resource = make.resource(tenant)
    day = next_weekday(1)
    held = run(app, tenant, "booking.hold", {"resource_id": resource["id"], "start": iso(at(day, "10:00"))})
    assert held["status"] == "held" and get(client, headers, f"/v1/booking/holds/{held['id']}")["status"] == "held"

    booked = run(app, tenant, "booking.confirm_hold", {"hold_id": held["id"], "attendee": {"name": "Sam Citizen"}})
    assert get(client, headers, f"/v1/booking/bookings/{booked['id']}")["hold_id"] == held["id"]

    other = run(app, tenant, "booking.hold", {"resource_id": resource["id"], "start": iso(at(day, "11:00"))})
    assert run(app, tenant, "booking.release_hold", {"hold_id": other["id"]})["status"] == "released"
    assert get(client, headers, f"/v1/booking/holds/{other['id']}")["status"] == "released"


def test_casework_opens_and_moves_a_case_with_the_authority_of_whoever_the_flow_runs_for(app, client, make, place):
    tenant, headers = place
    case = run(app, tenant, "casework.create_case", {"case_type": "social-prescribing", "title": "Fly-tipping, Mill Lane"})
    assert get(client, headers, f"/v1/casework/cases/{case['id']}")["state"] == "new"

    moved = run(app, tenant, "casework.transition", {"case_id": case["id"], "to": "triage"}, who(tenant, *CASEWORK))
    assert moved["state"] == "triage"
    # Closing from triage needs a tenant admin: a caseworker's flow may not, an admin's may.
    caseworker = who(tenant, *CASEWORK, user=make.user(tenant, role="caseworker"))
    with pytest.raises(Problem) as refused:
        run(app, tenant, "casework.transition", {"case_id": case["id"], "to": "closed"}, caseworker)
    assert refused.value.code == "transition_forbidden"
    with pytest.raises(Problem):  # nobody named: the tenant itself, never an admin
        run(app, tenant, "casework.transition", {"case_id": case["id"], "to": "closed"})
    admin = who(tenant, *CASEWORK, user=make.user(tenant, role="tenant_admin"))
    assert run(app, tenant, "casework.transition", {"case_id": case["id"], "to": "closed"}, admin)["state"] == "closed"
    assert get(client, headers, f"/v1/casework/cases/{case['id']}")["state"] == "closed"


def test_reporting_moves_a_report_on_with_a_note(app, client, make, place):
    tenant, headers = place
    report = make.report(tenant, category=make.category(tenant)["code"])
    changed = run(app, tenant, "reporting.update_status",
                  {"report_id": report["id"], "status": "in_progress", "note": "Crew booked", "public": True})
    assert changed["status"] == "in_progress"
    assert get(client, headers, f"/v1/reporting/reports/{report['id']}")["status"] == "in_progress"


@pytest.mark.parametrize("name,data", [
    ("booking.release_hold", {"hold_id": str(uuid.uuid4()), "extra": 1}),   # an unknown field
    ("booking.release_hold", {}),                                           # a missing one
    ("casework.transition", {"case_id": "not-a-uuid", "to": "triage"}),
    ("reporting.update_status", {"report_id": str(uuid.uuid4()), "status": "exploded"}),
])
def test_bad_input_is_refused_by_the_actions_schema(app, place, name, data):
    with pytest.raises(ma.ValidationError):
        run(app, place[0], name, data)


def test_another_tenants_objects_are_not_found_and_unchanged(app, client, make, place):
    tenant, headers = place
    theirs = make.tenant()
    report = make.report(theirs, category=make.category(theirs)["code"])
    with pytest.raises(Problem) as missing:
        run(app, tenant, "reporting.update_status", {"report_id": report["id"], "status": "closed",
                                                     "closing_reason": "fixed"})
    assert missing.value.code == "not_found"
    assert get(client, make.headers(theirs, *REPORTING), f"/v1/reporting/reports/{report['id']}")["status"] == "open"


def test_a_principal_without_the_scope_or_of_another_tenant_is_refused_before_anything_runs(app, make, place):
    tenant, _ = place
    with pytest.raises(actions.ActionForbidden):
        run(app, tenant, "casework.create_case", {"case_type": "social-prescribing", "title": "x"},
            who(tenant, "casework:read", "flows:write"))
    with pytest.raises(actions.ActionForbidden):
        run(app, tenant, "casework.create_case", {"case_type": "social-prescribing", "title": "x"},
            who(make.tenant(), *CASEWORK))
    with app.app_context():
        assert run(app, tenant, "casework.create_case", {"case_type": "social-prescribing", "title": "y"},
                   who(tenant, *CASEWORK))["title"] == "y"


def test_a_component_switched_off_takes_its_actions_away_from_running_and_from_the_list(app, client, make):
    tenant = make.tenant(components=["booking", "flows"])
    with pytest.raises(actions.UnknownAction):
        run(app, tenant, "reporting.update_status", {"report_id": str(uuid.uuid4()), "status": "closed"})
    listed = get(client, make.headers(tenant, "flows:read"), "/v1/flows/actions")["items"]
    assert {a["component"] for a in listed} == {"booking", "flows"}
    assert {a["name"] for a in listed} == {"booking.hold", "booking.confirm_hold", "booking.release_hold",
                                           "booking.message_details", "booking.cancel", "flows.call_webhook"}


def test_the_list_shows_each_actions_schemas_and_scope_to_a_flows_reader_only(client, make, place):
    tenant, headers = place
    listed = {a["name"]: a for a in get(client, headers, "/v1/flows/actions")["items"]}
    assert {"casework.create_case", "casework.transition", "reporting.update_status", "payments.create"} <= set(listed)
    release = listed["booking.release_hold"]
    assert release["scope"] == "booking:write" and release["input_schema"]["required"] == ["hold_id"]
    assert "status" in release["output_schema"]["properties"]
    refused = client.get("/v1/flows/actions", headers=make.headers(tenant, *BOOKING))
    assert refused.status_code == 403 and refused.get_json()["code"] == "insufficient_scope"
    assert client.get("/v1/flows/actions").status_code == 401
