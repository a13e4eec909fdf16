"""Every reporting event, emitted by the real flows, carries its declared payload; and the place-wide
counts follow each report's change as soon as the workers run, through the event subscriber."""
from civic.core import events
from tests.helpers import check_payloads
from tests.reporting.conftest import REPORTER
from tests.reporting.test_insight import seed_reports


def stored_events(app, component):
    import sqlalchemy as sa

    from civic.core.db import session

    with app.app_context():
        return list(session.scalars(sa.select(events.Event).where(events.Event.type.startswith(f"civic.{component}."))
                                    .order_by(events.Event.time)))


def test_every_reporting_event_is_emitted_with_its_declared_payload(app, client, place, worker):
    report = place.report(reporter=REPORTER)
    url = f"/v1/reporting/reports/{report['id']}"
    assert client.post(f"{url}/status", headers=place.council_rw, json={"status": "acknowledged"}).status_code == 200
    closed = client.post(f"{url}/status", headers=place.council_rw, json={"status": "closed", "closing_reason": "fixed"})
    assert closed.status_code == 200, closed.json
    unlocated = place.report(lat=None, long=None, address="1 High Street")
    moved = client.post(f"/v1/reporting/reports/{unlocated['id']}/transfer", headers=place.council_rw,
                        json={"tenant": "riverside-homes", "category": "damp-mould"})
    assert moved.status_code == 201, moved.json
    for week in range(1, 9):
        seed_reports(app, place.council, "fly-tipping", 3, days_ago=7 * week + 1)
    seed_reports(app, place.council, "fly-tipping", 25, days_ago=1)
    worker.drain()  # the early-warning check

    stored = stored_events(app, "reporting")
    seen = check_payloads(app, stored)
    assert seen == {e.type for e in events.declared(app) if e.component == "reporting"}
    created = {e.data["report_id"]: e.data for e in stored if e.type == "civic.reporting.report_created"}
    assert created[unlocated["id"]]["area"] is None and created[report["id"]]["area"]
    text = str([e.data for e in stored]).lower()
    assert "lovelace" not in text and "example.org" not in text and "900123" not in text and "high street" not in text


def test_the_place_wide_counts_follow_each_report_as_soon_as_the_workers_run(client, place, steward, worker):
    report = place.report()
    worker.drain()  # the periodic recount of this period, and the report's own

    def by_status():
        return client.get("/v1/reporting/insight/counts?by=status", headers=steward).json["items"]

    assert by_status() == [{"status": "open", "count": 1}]
    client.post(f"/v1/reporting/reports/{report['id']}/status", headers=place.council_rw, json={"status": "closed"})
    place.report()
    assert by_status() == [{"status": "open", "count": 1}]  # the counts are the workers' to recount
    worker.drain()  # the periodic job is not due again this period: the events' subscriber recounts
    assert by_status() == [{"status": "closed", "count": 1}, {"status": "open", "count": 1}]


def test_each_report_queues_its_recount_with_it_and_a_burst_is_counted(app, client, place, steward, worker):
    import sqlalchemy as sa

    from civic.core import jobs
    from civic.core.db import session
    from civic.reporting import tasks

    worker.drain()
    for _ in range(5):
        place.report()
    with app.app_context():
        queued = session.scalars(sa.select(jobs.Job).where(jobs.Job.name == tasks.COUNTS_FOLLOW_REPORTS,
                                                           jobs.Job.status == "pending")).all()
    assert len(queued) == 5  # one per event, queued with it
    worker.drain()
    assert client.get("/v1/reporting/insight/counts?by=status", headers=steward).json["items"] == [
        {"status": "open", "count": 5}]
    with app.app_context():
        statuses = session.scalars(sa.select(jobs.Job.status).where(jobs.Job.id.in_([j.id for j in queued]))).all()
    assert set(statuses) == {"done"}


def test_a_sandbox_clients_report_says_so_in_its_events(app, client, make):
    tenant = make.tenant()
    make.category(tenant, code="fly-tipping")
    for sandbox in (True, False):
        headers = make.headers(tenant, "reporting:read", "reporting:write", sandbox=sandbox)
        made = client.post("/v1/reporting/reports", json={"category": "fly-tipping", "description": "Sofa by the bins",
                                                          "lat": 51.5072, "long": -0.1276}, headers=headers)
        assert made.status_code == 201, made.json
        moved = client.post(f"/v1/reporting/reports/{made.json['id']}/status", json={"status": "acknowledged"},
                            headers=headers)
        assert moved.status_code == 200, moved.json
        stored = [e for e in stored_events(app, "reporting") if e.subject == made.json["id"]]
        assert {e.type: e.data["sandbox"] for e in stored} == {
            "civic.reporting.report_created": sandbox, "civic.reporting.status_changed": sandbox}
