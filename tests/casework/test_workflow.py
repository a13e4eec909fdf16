"""Case types as data and the workflow rules they set, through the HTTP API."""
import uuid

from tests.casework.conftest import case_type


def test_a_tenant_admin_defines_a_case_type_and_a_case_follows_it(client, org):
    ctype = org.define(client)
    assert ctype["version"] == 1 and ctype["initial_state"] == "new"
    case = org.case(client, fields={"ward": "Riverside North"})
    assert case["state"] == "new" and case["priority"] == "routine" and case["case_type_version"] == 1
    assert case["subject"]["nhs_number"] == "9434765919" and case["subject"]["phone"] == "+442079460018"
    assert case["state_due_at"] and case["case_due_at"] and case["open"] is True
    moved = org.move(client, case["id"], "triage")
    assert moved.status_code == 200 and moved.get_json()["state"] == "triage"


def test_only_a_tenant_admin_defines_case_types(client, org):
    for headers in (org.worker, org.viewer):
        response = client.post("/v1/casework/case-types", json=case_type(), headers=headers)
        assert response.status_code == 403
    assert client.post("/v1/casework/case-types", json=case_type(), headers=org.worker).get_json()["code"] == \
        "tenant_admin_required"
    assert client.get("/v1/casework/case-types", headers=org.admin).get_json()["items"] == []


def test_a_move_the_case_type_does_not_allow_is_refused_and_nothing_changes(client, org):
    org.define(client)
    case = org.case(client)
    response = org.move(client, case["id"], "closed")
    assert response.status_code == 409 and response.get_json()["code"] == "transition_not_allowed"
    assert client.get(f"/v1/casework/cases/{case['id']}", headers=org.worker).get_json()["state"] == "new"
    unknown = org.move(client, case["id"], "nowhere")
    assert unknown.get_json()["code"] == "transition_not_allowed"


def test_a_move_needing_a_role_is_refused_to_a_caseworker_and_allowed_to_an_admin(client, org):
    org.define(client)
    case = org.case(client)
    assert org.move(client, case["id"], "triage").status_code == 200
    refused = org.move(client, case["id"], "closed")
    assert refused.status_code == 403 and refused.get_json()["code"] == "transition_forbidden"
    assert org.move(client, case["id"], "closed", headers=org.admin).get_json()["open"] is False
    again = org.move(client, case["id"], "triage", headers=org.admin)
    assert again.status_code == 409 and again.get_json()["code"] == "transition_not_allowed"


def test_a_move_needing_a_scope_is_refused_without_it(client, org, make):
    org.define(client, transitions=[{"from": "new", "to": "triage", "scope": "clients:manage"},
                                    {"from": "triage", "to": "closed"}])
    case = org.case(client)
    refused = org.move(client, case["id"], "triage")
    assert refused.status_code == 403 and refused.get_json()["code"] == "transition_forbidden"
    manager = make.headers(org.tenant, "casework:read", "casework:write", "clients:manage")
    assert org.move(client, case["id"], "triage", headers=manager).status_code == 200


def test_a_viewer_reads_but_cannot_work_a_case(client, org):
    org.define(client)
    case = org.case(client)
    assert client.get(f"/v1/casework/cases/{case['id']}", headers=org.viewer).status_code == 200
    assert org.move(client, case["id"], "triage", headers=org.viewer).status_code == 403
    assert org.open_case(client).status_code == 201  # the worker still can


def test_inconsistent_definitions_are_refused_with_what_to_fix(client, org):
    bad = [
        case_type(initial_state="nowhere"),
        case_type(final_states=["missing"]),
        case_type(transitions=[{"from": "new", "to": "elsewhere"}]),
        case_type(transitions=[{"from": "closed", "to": "new"}]),
        case_type(default_priority="unheard-of"),
        case_type(fields_schema={"type": "object", "properties": {"ward": {"type": "no-such-type"}}}),
        case_type(fields_schema={"type": "string"}),
        case_type(fields_schema={"type": "object", "properties": {"a": {"$ref": "http://127.0.0.1:9/x.json"}}}),
        case_type(states=[{"name": "new"}, {"name": "new"}, {"name": "closed"}]),
    ]
    for body in bad:
        response = client.post("/v1/casework/case-types", json=body, headers=org.admin)
        assert response.status_code == 422 and response.get_json()["code"] == "case_type_invalid", body
        assert response.get_json()["errors"]
    shapes = [case_type(states=[]), case_type(sla={"working_days": -1}), case_type(sla={"working_days": 1, "working_hours": 2}),
              case_type(key="Not A Key"), {**case_type(), "unknown": 1}]
    for body in shapes:
        response = client.post("/v1/casework/case-types", json=body, headers=org.admin)
        assert response.status_code == 422 and response.get_json()["code"] == "validation_failed", body
    assert client.get("/v1/casework/case-types", headers=org.admin).get_json()["items"] == []


def test_a_key_is_defined_once_then_versioned(client, org):
    first = org.define(client)
    taken = client.post("/v1/casework/case-types", json=case_type(), headers=org.admin)
    assert taken.status_code == 409 and taken.get_json()["code"] == "case_type_key_taken"
    body = {k: v for k, v in case_type(name="Social prescribing (v2)").items() if k != "key"}
    second = client.post(f"/v1/casework/case-types/{first['id']}/versions", json=body, headers=org.admin)
    assert second.status_code == 201 and second.get_json()["version"] == 2
    assert second.get_json()["key"] == "social-prescribing"
    assert client.post(f"/v1/casework/case-types/{first['id']}/versions", json=body,
                       headers=org.worker).status_code == 403


def test_custom_fields_are_checked_against_the_schema(client, org):
    org.define(client)
    for fields in ({"ward": 7}, {"unexpected": "x"}, {"needs": "not-a-list"}):
        response = org.open_case(client, fields=fields)
        assert response.status_code == 422 and response.get_json()["code"] == "case_fields_invalid", fields
    case = org.case(client)
    patch = client.patch(f"/v1/casework/cases/{case['id']}", json={"fields": {"ward": 1}}, headers=org.worker)
    assert patch.get_json()["code"] == "case_fields_invalid"
    assert client.get("/v1/casework/cases", headers=org.worker).get_json()["items"].__len__() == 1


def test_bad_case_input_is_refused_with_its_own_code(client, org, other):
    org.define(client)
    cases = [
        ({"subject": {"name": "Sam", "nhs_number": "943 476 5918"}}, 422, "nhs_number_invalid"),
        ({"subject": {"name": "Sam", "nhs_number": "12345"}}, 422, "nhs_number_invalid"),
        ({"assignee_id": str(other.worker_user.id)}, 422, "assignee_unknown"),
        ({"assignee_id": str(uuid.uuid4())}, 422, "assignee_unknown"),
        ({"priority": "whenever"}, 422, "priority_unknown"),
        ({"case_type": "no-such-type"}, 404, "not_found"),
        ({"subject": {"name": "Sam", "phone": "12"}}, 422, "validation_failed"),
        ({"state": "closed"}, 422, "validation_failed"),
    ]
    for overrides, status, code in cases:
        response = org.open_case(client, **overrides)
        assert (response.status_code, response.get_json()["code"]) == (status, code), overrides
    assert client.get("/v1/casework/cases", headers=org.worker).get_json()["items"] == []


def test_assign_to_a_colleague_and_a_team_never_to_another_organisations_user(client, org, other):
    org.define(client)
    case = org.case(client)
    assigned = client.post(f"/v1/casework/cases/{case['id']}/assign", headers=org.worker,
                           json={"assignee_id": str(org.worker_user.id), "team": "link-workers"})
    assert assigned.status_code == 200 and assigned.get_json()["team"] == "link-workers"
    refused = client.post(f"/v1/casework/cases/{case['id']}/assign", headers=org.worker,
                          json={"assignee_id": str(other.admin_user.id), "team": "x"})
    assert refused.status_code == 422 and refused.get_json()["code"] == "assignee_unknown"
    now = client.get(f"/v1/casework/cases/{case['id']}", headers=org.worker).get_json()
    assert now["assignee_id"] == str(org.worker_user.id) and now["team"] == "link-workers"


def test_an_open_case_keeps_its_version_until_migrated_explicitly(client, org):
    first = org.define(client)
    case = org.case(client)
    org.move(client, case["id"], "triage")
    org.move(client, case["id"], "waiting_for_client")
    states = [{"name": "new"}, {"name": "triage", "sla": {"working_days": 3}}, {"name": "on_hold", "pauses_sla": True},
              {"name": "closed"}]
    body = {k: v for k, v in case_type(states=states, transitions=[{"from": "new", "to": "triage"},
                                                                    {"from": "triage", "to": "on_hold"},
                                                                    {"from": "on_hold", "to": "triage"},
                                                                    {"from": "triage", "to": "closed"}]).items() if k != "key"}
    assert client.post(f"/v1/casework/case-types/{first['id']}/versions", json=body, headers=org.admin).status_code == 201
    again = client.get(f"/v1/casework/cases/{case['id']}", headers=org.worker).get_json()
    assert again["case_type_version"] == 1 and again["state"] == "waiting_for_client"
    unmapped = client.post(f"/v1/casework/cases/{case['id']}/migrate", json={"version": 2}, headers=org.admin)
    assert unmapped.status_code == 409 and unmapped.get_json()["code"] == "case_type_version_mismatch"
    by_worker = client.post(f"/v1/casework/cases/{case['id']}/migrate",
                            json={"version": 2, "state_map": {"waiting_for_client": "on_hold"}}, headers=org.worker)
    assert by_worker.status_code == 403
    moved = client.post(f"/v1/casework/cases/{case['id']}/migrate",
                        json={"version": 2, "state_map": {"waiting_for_client": "on_hold"}}, headers=org.admin)
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["case_type_version"] == 2 and moved.get_json()["state"] == "on_hold"
    assert moved.get_json()["paused"] is True
    new_case = org.case(client)
    assert new_case["case_type_version"] == 2
