"""A case's links use the platform's one link shape; the component must run here, even if this tenant has it off."""
import uuid

REPORT, HOLD = str(uuid.uuid4()), str(uuid.uuid4())


def test_a_case_keeps_its_links_and_a_change_replaces_them(client, org):
    org.define(client)
    links = [{"type": "reporting.report", "id": REPORT}, {"type": "booking.hold", "id": HOLD}]
    case = org.case(client, links=links)
    assert case["links"] == links
    patch = client.patch(f"/v1/casework/cases/{case['id']}", json={"links": links[:1]}, headers=org.worker)
    assert patch.status_code == 200, patch.get_json()
    assert client.get(f"/v1/casework/cases/{case['id']}", headers=org.worker).get_json()["links"] == links[:1]


def test_a_link_to_an_unknown_component_or_in_the_old_shapes_is_a_422_and_no_case(client, org):
    org.define(client)
    for link in ({"type": "library.loan", "id": REPORT}, {"component": "reporting", "type": "report", "id": REPORT},
                 {"type": "reporting.report", "id": "RB-1042"}):
        response = org.open_case(client, links=[link])
        assert response.status_code == 422 and response.get_json()["code"] == "validation_failed", link
        assert "links" in response.get_json()["errors"]
    assert client.get("/v1/casework/cases", headers=org.worker).get_json()["items"] == []


def test_a_component_switched_off_for_the_tenant_may_still_be_linked(client, org):
    with client.application.app_context():
        from civic.core.db import session
        from civic.core.tenancy import Tenant

        tenant = session.get(Tenant, org.tenant.id)
        tenant.components = ["casework"]
        session.commit()
    org.define(client)
    assert org.case(client, links=[{"type": "booking.hold", "id": HOLD}])["links"] == [{"type": "booking.hold", "id": HOLD}]
