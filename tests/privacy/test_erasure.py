"""Erasure through HTTP: a person erased from every component (the database dump holds none of their values),
held back with reasons while a case is open, recorded for re-applying after a restore, told to referral partners."""
import datetime as dt
import uuid

from click.testing import CliRunner

from civic.core.db import session, unit_of_work
from civic.core.events import Event
from civic.core.tenancy import place_wide, tenant_context
from civic.privacy.models import Erasure
from tests.casework.test_referrals import agreement_body
from tests.core.conftest import assert_problem
from tests.privacy.conftest import SUBJECT
from tests.privacy.erasing import ALEX, ALEX_VALUES, backdate, SAM_STORED, SAM_VALUES, close_case, dump, seed_all, table_rows

ERASURES = "/v1/privacy/erasures"
WHO = {"email": SUBJECT["email"], "phone": SUBJECT["phone"], "nhs_number": SUBJECT["nhs_number"],
       "name": SUBJECT["name"], "date_of_birth": SUBJECT["date_of_birth"]}


def reapply(app, *options):
    """`civic privacy reapply-erasures`, run against the test's app."""
    from civic import cli

    app_factory, cli._app = cli._app, (lambda: app)
    try:
        return CliRunner().invoke(cli.main, ["privacy", "reapply-erasures", *options])
    finally:
        cli._app = app_factory


def erase(org, status=201, headers=None, subject=WHO, reason="Article 17 request"):
    return org.post(ERASURES, {"subject": subject, "reason": reason}, headers, status)


def test_an_erasure_leaves_no_personal_value_anywhere_and_keeps_the_records_and_audit(app, client, org):
    seed_all(org, app, SUBJECT)
    seed_all(org, app, ALEX)
    before = dump(app)
    assert all(value in before for value in SAM_STORED)
    audit_before = len(table_rows(app, "core_audit"))

    made = erase(org)

    assert made["counts"] == {"booking": 1, "casework": 1, "flows": 0, "notify": 2, "payments": 1, "privacy": 1, "reporting": 1}
    assert "subject" not in made and len(made["subject_key"]) == 64 and made["applied_count"] == 1
    after = dump(app)
    assert [value for value in SAM_VALUES if value in after] == []
    assert all(value in after for value in ALEX_VALUES)  # another person's data is untouched
    assert len(table_rows(app, "core_audit")) > audit_before  # the audit rows stay, more are added
    assert made["subject_key"] in after  # the audit names the person by the pseudonymous id
    assert len(table_rows(app, "booking_booking")) == 2 and len(table_rows(app, "payments_payment")) == 2
    assert "1500" in after  # a payment's amount stays for the accounts

    assert client.get(f"{ERASURES}/{made['id']}", headers=org.app).get_json()["counts"] == made["counts"]
    assert [e["id"] for e in client.get(ERASURES, headers=org.admin).get_json()["items"]] == [made["id"]]
    with app.app_context(), tenant_context(org.tenant.id):
        row = session.get(Erasure, uuid.UUID(made["id"]))
        assert "sam@example.org" not in row.subject_encrypted and row.subject.email == "sam@example.org"


def test_an_open_case_holds_the_erasure_back_with_the_reason_and_nothing_is_erased(app, client, org):
    ids = org.seed(SUBJECT)
    before = dump(app)
    held = assert_problem(client.post(ERASURES, json={"subject": WHO, "reason": "asked"}, headers=org.admin),
                          409, "erasure_held")
    assert held["reasons"] == [{"component": "casework", "reason": f"case {ids['case']} is open: close it before erasing"}]
    assert ids["case"] in held["detail"] and "sam" not in held["detail"].lower()
    after = dump(app)
    assert all(value in after for value in SAM_VALUES if value in before)
    assert "sam@example.org" in after
    assert client.get(ERASURES, headers=org.admin).get_json()["items"] == []
    close_case(org, ids["case"])
    assert erase(org)["counts"]["casework"] == 1


def test_another_organisations_subject_is_untouched_and_its_erasures_are_a_404(app, client, org, other):
    seed_all(other, app, SUBJECT)
    made = erase(org)
    assert set(made["counts"].values()) == {0}
    assert all(value in dump(app) for value in ("sam@example.org", "+442079460018", "9434765919"))
    assert_problem(client.get(f"{ERASURES}/{made['id']}", headers=other.admin), 404, "not_found")
    assert_problem(client.get(f"{ERASURES}/{uuid.uuid4()}", headers=org.admin), 404, "not_found")
    assert client.get(ERASURES, headers=other.admin).get_json()["items"] == []


def test_only_a_tenant_admin_or_an_app_with_the_scope_may_erase(app, client, org):
    body = {"subject": WHO, "reason": "asked"}
    assert_problem(client.post(ERASURES, json=body, headers=org.viewer), 403)
    assert_problem(client.post(ERASURES, json=body, headers=org.worker), 403, "privacy_admin_required")
    assert_problem(client.post(ERASURES, json=body, headers=org.reader_app), 403)
    assert_problem(client.get(ERASURES, headers=org.worker), 403, "privacy_admin_required")
    assert_problem(client.post(ERASURES, json=body), 401)
    assert erase(org, headers=org.app)["requested_by"] is None


def test_bad_identifiers_are_refused_and_nothing_is_recorded(app, client, org):
    org.seed(SUBJECT)
    for body, code in (({"subject": {"email": "not-an-email"}, "reason": "x"}, "validation_failed"),
                       ({"subject": {"nhs_number": "943 476 5918"}, "reason": "x"}, "validation_failed"),
                       ({"subject": {"name": "Sam Citizen"}, "reason": "x"}, "validation_failed"),
                       ({"subject": {"email": "sam@example.org"}}, "validation_failed"),
                       ({"subject": {"email": "sam@example.org"}, "reason": "x", "counts": {}}, "validation_failed"),
                       ({"subject": {}, "reason": "x"}, "identifiers_missing"),
                       ({"subject": {"postcode": "SW1A 1AA"}, "reason": "x"}, "identifiers_missing")):
        assert_problem(client.post(ERASURES, json=body, headers=org.admin), 422, code)
    assert client.get(ERASURES, headers=org.admin).get_json()["items"] == []
    assert "sam@example.org" in dump(app)


def test_the_event_names_no_one_and_reaches_the_referral_partner(app, client, org, other):
    ids = org.seed(SUBJECT)
    agreement = org.post("/v1/casework/agreements", agreement_body(other.tenant.slug, shared_fields=[
        "subject.name", "subject.email", "subject.phone", "subject.nhs_number"]))
    org.post(f"/v1/casework/agreements/{agreement['id']}/approve", {}, status=200)
    other.post(f"/v1/casework/agreements/{agreement['id']}/approve", {}, status=200)
    referral = org.post(f"/v1/casework/cases/{ids['case']}/referrals", {"agreement_id": agreement["id"]})
    close_case(org, ids["case"])

    made = erase(org)

    assert made["referred_to"] == [str(other.tenant.id)]
    with app.app_context(), place_wide("platform.operator"):
        sent = [(e.tenant_id, e.data) for e in session.query(Event).filter(Event.type == "civic.privacy.subject_erased")]
    assert {tenant for tenant, _ in sent} == {org.tenant.id, other.tenant.id}
    for tenant, data in sent:
        assert data["erasure_id"] == made["id"] and data["subject_key"] == made["subject_key"]
        # the partner is not told what else the erasing organisation held about the person
        assert (data["counts"] == {}) is (tenant == other.tenant.id)
        assert data["referrals"] == [{"tenant_id": str(other.tenant.id), "referral_id": referral["id"]}]
        text = str(data).lower()
        assert [value for value in SAM_VALUES if value in text] == []
    assert [value for value in SAM_VALUES if value in dump(app)] == []  # the referral's copy is erased too


def test_erasures_are_applied_again_after_a_backup_is_restored(app, client, org):
    seed_all(org, app, SUBJECT)
    made = erase(org)
    # "Restore" last night's backup: Sam's data, as it was before the erasure, is back.
    restored = seed_all(org, app, SUBJECT)
    with app.app_context(), tenant_context(org.tenant.id):
        erased_at = session.get(Erasure, uuid.UUID(made["id"])).created_at
    backdate(app, restored, erased_at - dt.timedelta(days=1))
    assert "sam@example.org" in dump(app)

    result = reapply(app, "--json")
    again = reapply(app)
    assert result.exit_code == 0, result.output
    assert '"booking": 1' in result.output and made["id"] in result.output
    assert [value for value in SAM_VALUES if value in dump(app)] == []
    assert again.exit_code == 0 and "0 record(s) erased again" in again.output  # idempotent
    assert restored["payment"] in dump(app)
    got = client.get(f"{ERASURES}/{made['id']}", headers=org.admin).get_json()
    assert got["applied_count"] == 3 and got["reapplied_at"]
    with app.app_context(), tenant_context(org.tenant.id), unit_of_work():
        assert session.get(Erasure, uuid.UUID(made["id"])).counts == made["counts"]


def test_a_component_switched_off_for_the_organisation_is_erased_too(app, client, org, steward):
    seed_all(org, app, SUBJECT)
    switched = client.patch(f"/v1/admin/tenants/{org.tenant.slug}", headers=steward,
                            json={"components": ["casework", "notify", "payments", "privacy"]})
    assert switched.status_code == 200, switched.get_json()
    searched = org.post("/v1/privacy/searches", {"email": SUBJECT["email"]}, status=200)
    assert "booking" not in searched["components"] and "reporting" not in searched["components"]
    made = erase(org)
    assert (made["counts"]["booking"], made["counts"]["reporting"]) == (1, 1)
    assert [value for value in SAM_VALUES if value in dump(app)] == []


def test_the_pseudonymous_id_differs_between_organisations(app, org, other):
    from civic.core.privacy import Identifiers
    from civic.privacy.erasure import subject_key

    who = Identifiers.of(email=SUBJECT["email"])
    with app.app_context():
        assert subject_key(who, org.tenant.id) == subject_key(who, org.tenant.id)
        assert subject_key(who, org.tenant.id) != subject_key(who, other.tenant.id)


def test_re_applying_a_sandbox_erasure_never_touches_live_records(app, client, org, make):
    live = seed_all(org, app, SUBJECT)
    sandbox = make.headers(org.tenant, "privacy:read", "privacy:write", sandbox=True)
    made = erase(org, headers=sandbox)
    assert made["counts"].get("reporting", 0) == 0  # in the test world, Sam made no report
    result = reapply(app)
    assert result.exit_code == 0, result.output
    report = client.get(f"/v1/reporting/reports/{live['report']}", headers=org.admin).get_json()
    assert report["reporter"]["email"] == SUBJECT["email"]  # the live report keeps its reporter


def test_an_erased_persons_files_cannot_be_downloaded_and_their_bytes_go(app, client, org, worker):
    import base64
    import hashlib

    from civic.casework import storage
    from tests.privacy.erasing import ALEX

    letter = f"Letter from Sam's GP {uuid.uuid4()}".encode()
    sam, alex = org.seed(SUBJECT), org.seed(ALEX)
    body = {"filename": "gp-letter.txt", "content_base64": base64.b64encode(letter).decode()}
    mine = org.post(f"/v1/casework/cases/{sam['case']}/attachments", body)
    theirs = org.post(f"/v1/casework/cases/{alex['case']}/attachments", {**body, "filename": "copy.txt"})
    other = org.post(f"/v1/casework/cases/{sam['case']}/attachments",
                     {"filename": "form.txt", "content_base64": base64.b64encode(b"only on Sam's case").decode()})
    close_case(org, sam["case"])
    erase(org)
    content = "/v1/casework/cases/{}/attachments/{}/content"
    assert_problem(client.get(content.format(sam["case"], mine["id"]), headers=org.admin), 404, "not_found")
    worker.drain()
    with app.app_context():
        store = storage.storage()
        assert not store._path(hashlib.sha256(b"only on Sam's case").hexdigest()).exists()
        assert store.get(hashlib.sha256(letter).hexdigest()) == letter  # still on Alex's case
    assert client.get(content.format(alex["case"], theirs["id"]), headers=org.admin).data == letter
    assert other["id"] != mine["id"]


def test_re_applying_an_erasure_leaves_what_the_person_gave_since(app, client, org):
    seed_all(org, app, SUBJECT)
    erase(org)
    since = seed_all(org, app, SUBJECT)  # Sam came back and booked again, after the erasure
    result = reapply(app)
    assert result.exit_code == 0, result.output
    booking = client.get(f"/v1/booking/bookings/{since['booking']}", headers=org.other_app).get_json()
    assert booking["attendee"]["email"] == SUBJECT["email"]
