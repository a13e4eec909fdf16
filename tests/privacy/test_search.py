"""Subject search through HTTP over records made through booking, reporting and casework."""
from civic.core.audit import AuditEntry
from civic.core.db import session

from tests.core.conftest import assert_problem
from tests.privacy.conftest import SUBJECT, Org

SEARCH = "/v1/privacy/searches"


def _found(answer) -> dict:
    return {(m["type"], m["id"]): sorted((r["identifier"], r["field"]) for r in m["reasons"]) for m in answer["matches"]}


def test_a_search_finds_every_record_with_the_reason_for_each_match(client, org, other):
    ids = org.seed()
    other.seed()  # the same person known to another organisation: never found here
    answer = org.post(SEARCH, {"email": "SAM@Example.org", "phone": "+44 20 7946 0018"}, status=200)
    assert answer["identifiers"] == ["email", "phone"]
    assert {"booking", "reporting", "casework"} <= set(answer["components"])
    assert _found(answer) == {
        ("booking", ids["booking"]): [("email", "attendee_email"), ("phone", "attendee_phone")],
        ("report", ids["report"]): [("email", "reporter_email")],
        ("case", ids["case"]): [("email", "subject_email"), ("phone", "subject_phone")]}
    # Identifiers a component cannot hold find nothing there; name + date of birth and the NHS number find the case.
    by_health = org.post(SEARCH, {"nhs_number": "9434765919", "name": "  sam   CITIZEN ",
                                  "date_of_birth": SUBJECT["date_of_birth"]}, status=200)
    assert _found(by_health) == {("case", ids["case"]): [("name_and_date_of_birth", "subject_name+subject_date_of_birth"),
                                                         ("nhs_number", "subject_nhs_number")]}
    # A postcode names an address: listed, but not as the person.
    by_address = org.post(SEARCH, {"postcode": "sw1a1aa"}, status=200)
    assert [(m["id"], m["personal"]) for m in by_address["matches"]] == [(ids["case"], False)]
    assert org.post(SEARCH, {"email": "nobody@example.org"}, status=200)["matches"] == []


def test_a_search_is_audited_with_ids_never_values(app, client, org):
    ids = org.seed()
    org.post(SEARCH, {"email": SUBJECT["email"]}, status=200)
    with app.app_context():
        entry = session.query(AuditEntry).filter_by(action="privacy.subject_searched").one()
    assert entry.actor == f"user:{org.admin_user.id}" and entry.tenant_id == org.tenant.id
    assert entry.detail == {"identifiers": ["email"], "found": {"booking.booking": [ids["booking"]],
                                                                "reporting.report": [ids["report"]],
                                                                "casework.case": [ids["case"]]}}
    assert "sam@example.org" not in str(entry.detail)


def test_only_enabled_components_are_searched(client, make):
    org = Org(client, make, components=["booking", "reporting", "privacy"])
    org.make.resource(org.tenant)
    answer = org.post(SEARCH, {"email": SUBJECT["email"]}, status=200)
    assert "casework" not in answer["components"] and "booking" in answer["components"]


def test_bad_identifiers_are_422(client, org):
    for body, field in (({"email": "not-an-email"}, "email"), ({"phone": "12"}, "phone"),
                        ({"nhs_number": "9434765918"}, "nhs_number"), ({"postcode": "XX"}, "postcode"),
                        ({"name": "Sam Citizen"}, "date_of_birth"), ({"date_of_birth": "1984-03-14"}, "name"),
                        ({"email": "sam@example.org", "ssn": "1"}, "ssn")):
        body = assert_problem(client.post(SEARCH, json=body, headers=org.admin), 422, "validation_failed")
        assert field in body["errors"]
    assert_problem(client.post(SEARCH, json={}, headers=org.admin), 422, "identifiers_missing")


def test_too_little_privilege_is_403(client, org):
    body = {"email": SUBJECT["email"]}
    assert_problem(client.post(SEARCH, json=body, headers=org.viewer), 403, "privacy_admin_required")
    assert_problem(client.post(SEARCH, json=body, headers=org.worker), 403, "privacy_admin_required")
    assert client.post(SEARCH, json=body, headers=org.other_app).status_code == 403  # no privacy scope
    assert client.post(SEARCH, json=body, headers=org.reader_app).status_code == 200  # an app with the scope


def test_a_sandbox_caller_searches_the_test_world_only(client, make, org):
    sandbox = make.headers(org.tenant, "payments:read", "payments:write", "privacy:read", sandbox=True)
    paid = org.post("/v1/payments", {"amount": 2500, "description": "Community room hire", "reference": "ROOM-1",
                                     "return_url": "https://club.example.org/paid", "email": "Sam@Example.org"},
                    sandbox)
    found = org.post(SEARCH, {"email": SUBJECT["email"]}, sandbox, status=200)
    assert _found(found) == {("payment", paid["id"]): [("email", "email")]}
    assert org.post(SEARCH, {"email": SUBJECT["email"]}, org.reader_app, status=200)["matches"] == []  # live
