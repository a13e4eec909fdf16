"""Retention schedules through HTTP: periods per data class, the dry run, the job and its runs, who may."""
import datetime as dt
import uuid

import sqlalchemy as sa
from civic.booking.models import Booking
from civic.core import jobs, privacy
from civic.core.db import session, unit_of_work
from civic.core.tenancy import tenant_context
from civic.privacy.retention import RetentionRun
from civic.reporting.models import Report, ReportUpdate

from tests.core.conftest import assert_problem
from tests.privacy.conftest import SAM, Org

RETENTION = "/v1/privacy/retention"
ANN = {**SAM, "name": "Ann Other", "email": "ann@example.org", "phone": "020 7946 0019"}


def ago(days: float) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)


def ended(app, org, booking_id, days):
    with app.app_context(), unit_of_work(), tenant_context(org.tenant.id):
        session.execute(sa.update(Booking).where(Booking.id == uuid.UUID(booking_id))
                        .values(start=ago(days) - dt.timedelta(hours=1), end=ago(days)))


def closed(app, client, org, report_id, days, note=None):
    answer = client.post(f"/v1/reporting/reports/{report_id}/status", headers=org.admin,
                         json={"status": "closed", "note": note})
    assert answer.status_code == 200, answer.get_json()
    with app.app_context(), unit_of_work(), tenant_context(org.tenant.id):
        session.execute(sa.update(ReportUpdate).where(ReportUpdate.report_id == uuid.UUID(report_id))
                        .values(created_at=ago(days)))


def held(app, org, model, row_id, field):
    with app.app_context(), tenant_context(org.tenant.id):
        return session.execute(sa.select(getattr(model, field)).where(model.id == uuid.UUID(row_id))).scalar_one()


def run_job(app, worker):
    with app.app_context(), unit_of_work():
        jobs.enqueue("privacy.retention", {})
    worker.drain()


def test_the_schedule_lists_each_enabled_class_from_the_registry_and_a_tenant_sets_its_own(app, client, org):
    got = client.get(RETENTION, headers=org.admin)
    assert got.status_code == 200, got.get_json()
    entries = {e.component: e for e in privacy.retained(app)}
    assert {"booking", "notify", "reporting"} <= set(entries)
    for item in got.get_json()["items"]:
        entry = entries[item["data_class"]]
        assert (item["default_days"], item["days"], item["own_days"]) == (entry.retention_days, entry.retention_days, None)
        assert item["clock"] == entry.clock and item["fields"] == list(entry.fields)
    put = client.put(RETENTION, headers=org.admin, json={"periods": [{"data_class": "booking", "days": 180}]})
    assert put.status_code == 200, put.get_json()
    booking = next(i for i in put.get_json()["items"] if i["data_class"] == "booking")
    assert (booking["own_days"], booking["days"]) == (180, 180)
    back = client.put(RETENTION, headers=org.admin, json={"periods": [{"data_class": "booking", "days": None}]})
    booking = next(i for i in back.get_json()["items"] if i["data_class"] == "booking")
    assert (booking["own_days"], booking["days"]) == (None, entries["booking"].retention_days)


def test_a_disabled_components_class_is_listed_as_such_and_its_period_can_be_set(client, make):
    org = Org(client, make, components=["reporting", "privacy"])
    items = {i["data_class"]: i for i in client.get(RETENTION, headers=org.admin).get_json()["items"]}
    assert items["reporting"]["component_enabled"] is True and items["booking"]["component_enabled"] is False
    put = client.put(RETENTION, headers=org.admin, json={"periods": [{"data_class": "booking", "days": 9}]})
    assert put.status_code == 200, put.get_json()
    assert_problem(client.put(RETENTION, headers=org.admin, json={"periods": [{"data_class": "nope", "days": 9}]}),
                   422, "retention_class_unknown")


def test_retention_clears_exactly_what_the_schedule_says_the_dry_run_nothing(app, client, org, other, worker):
    sam, ann = org.seed(), org.seed(ANN)
    ended(app, org, sam["booking"], 181)   # past a 180-day period
    ended(app, org, ann["booking"], 179)   # just inside it
    closed(app, client, org, sam["report"], 366, note=f"Fixed; told {SAM['name']} ({SAM['email']})")  # past 365 days
    closed(app, client, org, ann["report"], 364)
    theirs = other.seed()
    ended(app, other, theirs["booking"], 181)  # their period is the 730-day default
    assert client.put(RETENTION, headers=org.admin,
                      json={"periods": [{"data_class": "booking", "days": 180}]}).status_code == 200

    dry = client.post(f"{RETENTION}/dry-run", headers=org.admin)
    assert dry.status_code == 200, dry.get_json()
    by_class = {c["data_class"]: c for c in dry.get_json()["classes"]}
    assert (by_class["booking"]["ids"], by_class["booking"]["days"]) == ([sam["booking"]], 180)
    assert by_class["reporting"]["ids"] == [sam["report"]] and by_class["notify"]["count"] == 0
    assert held(app, org, Booking, sam["booking"], "attendee_email") == SAM["email"]  # the dry run changed nothing
    assert client.get(f"{RETENTION}/runs", headers=org.admin).get_json()["items"] == []

    run_job(app, worker)
    assert [held(app, org, Booking, sam["booking"], f) for f in ("attendee_name", "attendee_email", "attendee_phone")] == \
        [None, None, None]
    assert held(app, org, Booking, sam["booking"], "status") is not None  # the booking itself stays
    assert held(app, org, Booking, ann["booking"], "attendee_email") == ANN["email"]
    assert held(app, org, Report, sam["report"], "reporter_email") is None
    with app.app_context(), tenant_context(org.tenant.id):  # the closing note stays, without the reporter in it
        notes = session.scalars(sa.select(ReportUpdate.note).where(ReportUpdate.report_id == uuid.UUID(sam["report"]),
                                                                   ReportUpdate.note.is_not(None))).all()
    assert notes == ["Fixed; told [removed] ([removed])"]
    assert held(app, org, Report, ann["report"], "reporter_email") == ANN["email"]
    assert held(app, other, Booking, theirs["booking"], "attendee_email") == SAM["email"]

    runs = client.get(f"{RETENTION}/runs", headers=org.admin).get_json()["items"]
    counts: dict = {}
    for r in runs:  # the worker may also have queued the scheduled run: the first clears, the next finds nothing
        counts.setdefault(r["data_class"], []).append(r["ids_count"])
    assert (counts["booking"][0], sum(counts["booking"])) == (1, 1) and sum(counts["reporting"]) == 1
    assert sum(counts["notify"]) == 0
    assert all(r["cutoff"] and r["created_at"] for r in runs)
    mine = client.get(f"{RETENTION}/runs?data_class=booking", headers=org.admin).get_json()["items"]
    assert [r["ids_count"] for r in mine] == counts["booking"]
    theirs_runs = client.get(f"{RETENTION}/runs", headers=other.admin).get_json()["items"]
    assert {r["data_class"] for r in theirs_runs} >= {"booking"} and all(r["ids_count"] == 0 for r in theirs_runs)
    assert not {r["id"] for r in theirs_runs} & {r["id"] for r in runs}
    # A second run finds nothing left to clear.
    run_job(app, worker)
    again = client.post(f"{RETENTION}/dry-run", headers=org.admin).get_json()["classes"]
    assert all(c["count"] == 0 for c in again)


def test_bad_periods_are_422_and_nothing_is_written(client, org):
    for body in ({"periods": [{"data_class": "booking", "days": 0}]}, {"periods": []},
                 {"periods": [{"data_class": "booking", "days": "ten"}]},
                 {"periods": [{"data_class": "booking", "days": 10}], "extra": 1}):
        assert_problem(client.put(RETENTION, headers=org.admin, json=body), 422, "validation_failed")
    assert_problem(client.put(RETENTION, headers=org.admin, json={"periods": [
        {"data_class": "booking", "days": 10}, {"data_class": "nope", "days": 10}]}), 422, "retention_class_unknown")
    assert_problem(client.put(RETENTION, headers=org.admin, json={"periods": [
        {"data_class": "booking", "days": 10}, {"data_class": "booking", "days": 20}]}), 422, "retention_class_unknown")
    items = client.get(RETENTION, headers=org.admin).get_json()["items"]
    assert all(i["own_days"] is None for i in items)


def test_only_tenant_admins_or_apps_with_the_scope(client, org):
    body = {"periods": [{"data_class": "booking", "days": 10}]}
    for headers in (org.worker, org.viewer):
        assert_problem(client.get(RETENTION, headers=headers), 403, "privacy_admin_required")
        assert_problem(client.post(f"{RETENTION}/dry-run", headers=headers), 403, "privacy_admin_required")
        assert_problem(client.get(f"{RETENTION}/runs", headers=headers), 403, "privacy_admin_required")
    assert_problem(client.put(RETENTION, headers=org.worker, json=body), 403, "privacy_admin_required")
    assert_problem(client.put(RETENTION, headers=org.reader_app, json=body), 403, "insufficient_scope")
    assert_problem(client.get(RETENTION, headers=org.other_app), 403, "insufficient_scope")
    assert client.get(RETENTION, headers=org.reader_app).status_code == 200
    assert client.put(RETENTION, headers=org.app, json=body).status_code == 200
    assert client.get(RETENTION).status_code == 401


def test_a_sandbox_client_may_read_the_periods_but_never_set_them(client, org, make):
    # The periods apply to live and test data alike: a test client shortening them would clear live records.
    sandbox = make.headers(org.tenant, "privacy:read", "privacy:write", sandbox=True)
    assert client.get(RETENTION, headers=sandbox).status_code == 200
    refused = client.put(RETENTION, headers=sandbox, json={"periods": [{"data_class": "booking", "days": 1}]})
    assert_problem(refused, 403, "sandbox_read_only")
    assert all(item["own_days"] is None for item in client.get(RETENTION, headers=org.admin).get_json()["items"])


def test_a_dry_run_shows_every_count_but_at_most_a_hundred_ids(app, client, org):
    from civic.privacy import retention

    assert retention.DRY_RUN_IDS == 100
    answer = client.post(f"{RETENTION}/dry-run", headers=org.admin)
    assert answer.status_code == 200
    assert all(len(c["ids"]) <= retention.DRY_RUN_IDS and c["count"] >= len(c["ids"]) for c in answer.get_json()["classes"])


def test_a_message_still_on_its_way_keeps_its_recipient_past_the_period(app, client, org):
    from civic.core.db import utcnow
    from civic.notify.models import Message

    with app.app_context(), tenant_context(org.tenant.id), unit_of_work():
        made = {status: Message(id=uuid.uuid4(), tenant_id=org.tenant.id, channel="email", template_name="reminder",
                                notify_template_id=str(uuid.uuid4()), recipient=f"{status}@example.org",
                                personalisation={}, status=status, created_at=ago(2),
                                purge_after=utcnow() + dt.timedelta(days=5))
                for status in ("queued", "sending", "delivered")}
        session.add_all(made.values())
    assert client.put(RETENTION, headers=org.admin, json={"periods": [{"data_class": "notify", "days": 1}]}).status_code == 200
    classes = {c["data_class"]: c for c in client.post(f"{RETENTION}/dry-run", headers=org.admin).get_json()["classes"]}
    assert classes["notify"]["ids"] == [str(made["delivered"].id)]


def test_a_component_switched_off_still_has_its_data_cleared_on_time(app, client, make, steward, worker):
    org = Org(client, make)
    ids = org.seed()
    ended(app, org, ids["booking"], days=privacy.registry(app, ["booking"])[0].retention_days + 1)
    off = client.patch(f"/v1/admin/tenants/{org.tenant.slug}", headers=steward,
                       json={"components": [c for c in app.config["COMPONENTS"] if c != "booking"]})
    assert off.status_code == 200, off.get_json()
    run_job(app, worker)
    assert held(app, org, Booking, ids["booking"], "attendee_email") is None
    with app.app_context(), tenant_context(org.tenant.id):
        runs = session.scalars(sa.select(RetentionRun).where(RetentionRun.tenant_id == org.tenant.id))
        assert "booking" in [r.data_class for r in runs]
