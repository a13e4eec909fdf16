"""Rectification through HTTP: a person's identifiers corrected in every component that holds them, the audit
keeping field names only, another person and another organisation untouched."""
import json

from tests.core.conftest import assert_problem
from tests.privacy.conftest import SUBJECT
from tests.privacy.erasing import ALEX, ALEX_VALUES, dump, seed_all, table_rows

RECTIFY = "/v1/privacy/rectifications"
NEW = {"email": "sam.jones@example.org", "phone": "020 7946 0123", "name": "Sam  Citizen-Jones"}


def test_the_identifiers_are_corrected_wherever_they_are_held(app, client, org):
    ids = seed_all(org, app, SUBJECT)
    seed_all(org, app, ALEX)
    done = org.post(RECTIFY, {"subject": {"email": "SAM@example.org"}, "to": NEW}, status=200)
    assert done["changed"] == ["email", "phone", "name"]
    assert done["counts"] == {"booking": 1, "casework": 1, "notify": 0, "payments": 1, "privacy": 1, "reporting": 1}
    booking = client.get(f"/v1/booking/bookings/{ids['booking']}", headers=org.other_app).get_json()
    assert booking["attendee"]["email"] == "sam.jones@example.org"
    assert booking["attendee"]["name"] == "Sam Citizen-Jones"
    case = client.get(f"/v1/casework/cases/{ids['case']}", headers=org.admin).get_json()
    assert (case["subject"]["email"], case["subject"]["phone"]) == ("sam.jones@example.org", "+442079460123")
    assert all(value in dump(app) for value in ALEX_VALUES)
    # Found again by the new identifiers, not by the old.
    found = org.post("/v1/privacy/searches", {"email": "sam.jones@example.org"}, status=200)["matches"]
    assert {m["component"] for m in found} == {"booking", "casework", "payments", "privacy", "reporting"}
    # A message keeps the address it was sent to (a delivery record, not an identifier to correct).
    old = org.post("/v1/privacy/searches", {"email": "sam@example.org"}, status=200)["matches"]
    assert {m["component"] for m in old} == {"notify"}
    audit = " ".join(json.dumps(list(map(str, row))) for row in table_rows(app, "core_audit")).lower()
    assert "sam.jones@example.org" not in audit and "citizen-jones" not in audit and "7946 0123" not in audit


def test_a_name_with_a_date_of_birth_is_corrected_on_cases(app, client, org):
    ids = org.seed(SUBJECT)
    done = org.post(RECTIFY, {"subject": {"name": "sam citizen", "date_of_birth": SUBJECT["date_of_birth"]},
                              "to": {"name": "Sam Jones", "nhs_number": "401 023 2137", "postcode": "sw1a2aa"}},
                    status=200)
    assert done["counts"]["casework"] == 1 and done["counts"]["booking"] == 0
    case = client.get(f"/v1/casework/cases/{ids['case']}", headers=org.admin).get_json()
    assert (case["subject"]["name"], case["subject"]["nhs_number"], case["subject"]["postcode"]) == (
        "Sam Jones", "4010232137", "SW1A 2AA")


def test_another_organisation_is_untouched_and_bad_input_changes_nothing(app, client, org, other):
    seed_all(other, app, SUBJECT)
    done = org.post(RECTIFY, {"subject": {"email": SUBJECT["email"]}, "to": NEW}, status=200)
    assert set(done["counts"].values()) == {0}
    for body, code in (({"subject": {"email": "nope"}, "to": NEW}, "validation_failed"),
                       ({"subject": {"email": SUBJECT["email"]}, "to": {"phone": "12"}}, "validation_failed"),
                       ({"subject": {"email": SUBJECT["email"]}}, "validation_failed"),
                       ({"subject": {"email": SUBJECT["email"]}, "to": {}}, "identifiers_missing"),
                       ({"subject": {"postcode": "SW1A 1AA"}, "to": NEW}, "identifiers_missing")):
        assert_problem(client.post(RECTIFY, json=body, headers=other.admin), 422, code)
    assert "sam@example.org" in dump(app) and "sam.jones@example.org" not in dump(app)


def test_only_a_tenant_admin_or_an_app_with_the_scope_may_rectify(client, org):
    body = {"subject": {"email": SUBJECT["email"]}, "to": NEW}
    assert_problem(client.post(RECTIFY, json=body, headers=org.viewer), 403)
    assert_problem(client.post(RECTIFY, json=body, headers=org.worker), 403, "privacy_admin_required")
    assert_problem(client.post(RECTIFY, json=body, headers=org.reader_app), 403)
    assert client.post(RECTIFY, json=body, headers=org.app).status_code == 200


def test_a_shared_household_phone_never_renames_the_other_person(app, client, org):
    household = {**ALEX, "phone": SUBJECT["phone"]}  # Alex shares Sam's landline
    sam, alex = seed_all(org, app, SUBJECT), seed_all(org, app, household)
    done = org.post(RECTIFY, {"subject": {"email": SUBJECT["email"], "phone": SUBJECT["phone"]},
                              "to": {"name": "Sam Citizen-Jones"}}, status=200)
    assert done["counts"]["booking"] == 1 and done["counts"]["casework"] == 1
    alex_booking = client.get(f"/v1/booking/bookings/{alex['booking']}", headers=org.other_app).get_json()
    sam_booking = client.get(f"/v1/booking/bookings/{sam['booking']}", headers=org.other_app).get_json()
    assert (alex_booking["attendee"]["name"], sam_booking["attendee"]["name"]) == ("Alex Other", "Sam Citizen-Jones")


def test_details_another_person_holds_are_refused_and_nothing_changes(app, client, org):
    sam = seed_all(org, app, SUBJECT)
    seed_all(org, app, ALEX)
    before = dump(app)
    refused = client.post(RECTIFY, headers=org.admin, json={"subject": {"email": SUBJECT["email"]},
                                                            "to": {"email": ALEX["email"], "name": "Sam"}})
    assert_problem(refused, 409, "rectification_conflict")
    assert dump(app) == before
    booking = client.get(f"/v1/booking/bookings/{sam['booking']}", headers=org.other_app).get_json()
    assert booking["attendee"]["email"] == SUBJECT["email"]


def test_each_corrected_record_is_in_the_audit_log_by_id(app, client, org):
    from civic.core import audit
    from civic.core.db import session
    from civic.core.tenancy import tenant_context

    ids = seed_all(org, app, SUBJECT)
    org.post(RECTIFY, {"subject": {"email": SUBJECT["email"]}, "to": {"phone": "020 7946 0123"}}, status=200)
    with app.app_context(), tenant_context(org.tenant.id):
        changed = {(e.action, str(e.subject_id)) for e in session.scalars(audit.entries(tenant_id=org.tenant.id))
                   if e.action.endswith(".personal_data_changed")}
    assert {("booking.personal_data_changed", ids["booking"]), ("casework.personal_data_changed", ids["case"]),
            ("reporting.personal_data_changed", ids["report"])} <= changed
