"""Demand insight, open data, early warning and the demo place."""
import datetime as dt
import random

import h3
import pytest

from civic.reporting.warning import assess
from tests.reporting.conftest import REPORTER, WHERE


def seed_reports(app, tenant, code, count, *, days_ago=1, lat=WHERE["lat"], long=WHERE["long"], rng=None, **extra):
    """Reports in bulk, made `days_ago` days back (through the service, so everything is checked)."""
    from civic.core.db import unit_of_work, utcnow
    from civic.reporting import service

    rng = rng or random.Random(0)
    with app.app_context(), unit_of_work():
        for _ in range(count):
            when = utcnow() - dt.timedelta(days=days_ago, minutes=rng.randint(0, 600))
            service.create_report(tenant_id=tenant.id, category_code=code, lat=lat, long=long, created_at=when,
                                  **extra)


def refresh_counts(app):
    """Run the weekly-counts job now (the worker runs it every few minutes)."""
    from civic.core.db import unit_of_work, utcnow
    from civic.reporting import rollup

    with app.app_context(), unit_of_work():
        rollup.refresh(now=utcnow(), full=True)


def test_counts_group_by_category_status_week_and_area(client, app, place):
    seed_reports(app, place.council, "fly-tipping", 3, reporter=REPORTER)
    seed_reports(app, place.council, "fly-tipping", 2, days_ago=10, lat=51.60, long=-0.30)
    seed_reports(app, place.council, "pothole", 1, answers={"depth": "deep"})
    seed_reports(app, place.homes, "damp-mould", 4)

    def counts(**query):
        response = client.get("/v1/reporting/insight/counts", headers=place.council_rw, query_string=query)
        assert response.status_code == 200, response.json
        return response.json

    body = counts()
    assert body["items"] == [{"category": "fly-tipping", "count": 5}, {"category": "pothole", "count": 1}]
    assert body["total"] == 6  # the housing association's reports are theirs alone
    by_area = counts(by="area", resolution=7)["items"]
    assert sorted(i["count"] for i in by_area) == [2, 4]
    assert h3.get_resolution(by_area[0]["area"]) == 7
    assert {i["status"] for i in counts(by="status,category")["items"]} == {"open"}
    assert len(counts(by="week")["items"]) >= 2
    csv = client.get("/v1/reporting/insight/counts?by=category&format=csv", headers=place.council_rw)
    assert csv.content_type.startswith("text/csv") and csv.text.splitlines()[:2] == ["category,count", "fly-tipping,5"]
    assert "ada" not in csv.text.lower() and "ada" not in str(body).lower()
    assert client.get("/v1/reporting/insight/counts?by=reporter", headers=place.council_rw).status_code == 422


def test_a_steward_sees_the_whole_place_and_others_only_themselves(client, app, place, steward):
    seed_reports(app, place.council, "fly-tipping", 3)
    seed_reports(app, place.homes, "damp-mould", 4)
    refresh_counts(app)
    everyone = client.get("/v1/reporting/insight/counts?by=tenant", headers=steward).json
    assert everyone["items"] == [{"tenant": "borough-council", "count": 3}, {"tenant": "riverside-homes", "count": 4}]
    one = client.get("/v1/reporting/insight/counts?tenant=riverside-homes", headers=steward).json
    assert one["total"] == 4
    assert client.get("/v1/reporting/insight/counts?tenant=riverside-homes",
                      headers=place.council_rw).status_code == 404


def test_the_place_wide_counts_follow_changes_when_the_job_runs(client, app, place, steward, worker):
    report = place.report()
    worker.drain()  # the periodic job: first run counts everything
    assert client.get("/v1/reporting/insight/counts?by=status", headers=steward).json["items"] == [
        {"status": "open", "count": 1}]
    client.post(f"/v1/reporting/reports/{report['id']}/status", headers=place.council_rw, json={"status": "closed"})
    place.report()
    from civic.core.db import unit_of_work, utcnow
    from civic.reporting import rollup

    with app.app_context(), unit_of_work():
        rollup.refresh(now=utcnow())  # the next run: only the weeks touched
    assert client.get("/v1/reporting/insight/counts?by=status", headers=steward).json["items"] == [
        {"status": "closed", "count": 1}, {"status": "open", "count": 1}]


def test_the_time_series_fills_empty_weeks_and_the_map_is_geojson(client, app, place):
    seed_reports(app, place.council, "fly-tipping", 2, days_ago=1)
    seed_reports(app, place.council, "fly-tipping", 1, days_ago=30)
    series = client.get("/v1/reporting/insight/timeseries", headers=place.council_rw).json
    assert len(series["items"]) in (12, 13) and series["total"] == 3
    assert sum(1 for i in series["items"] if i["count"] == 0) >= 9
    geo = client.get("/v1/reporting/insight/map?resolution=8", headers=place.council_rw)
    assert geo.status_code == 200
    feature = geo.json["features"][0]
    assert geo.json["type"] == "FeatureCollection" and feature["geometry"]["type"] == "Polygon"
    ring = feature["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 7
    assert feature["properties"]["count"] == 3 and feature["properties"]["resolution"] == 8
    lng, lat = ring[0]
    assert abs(lat - WHERE["lat"]) < 0.01 and abs(lng - WHERE["long"]) < 0.01


def test_open_data_is_public_licensed_and_withholds_small_numbers(client, app, place):
    seed_reports(app, place.council, "fly-tipping", 30, days_ago=8)
    seed_reports(app, place.council, "fly-tipping", 25, days_ago=15)
    seed_reports(app, place.council, "pothole", 2, days_ago=8, answers={"depth": "deep"}, reporter=REPORTER)
    seed_reports(app, place.council, "pothole", 40, days_ago=15, answers={"depth": "deep"})
    seed_reports(app, place.homes, "damp-mould", 12, days_ago=8, description="Flat 3, Mill House, Ada's home")
    seed_reports(app, place.council, "fly-tipping", 7, days_ago=0)  # this week: not published until it is over
    refresh_counts(app)
    response = client.get("/v1/reporting/open-data/demand?period=4w")
    assert response.status_code == 200, response.json
    body = response.json
    assert body["licence"]["name"] == "Open Government Licence v3.0" and body["suppression_threshold"] == 5
    assert body["period"]["name"] == "4w" and len(body["columns"]) == 4
    # The housing association keeps damp and mould private: it is not in the open data at all.
    assert [r["category"] for r in body["rows"]] == ["Fly-tipping", "Pothole"]
    potholes = body["rows"][1]
    assert potholes["lgsl_code"] == "1193" and 2 not in potholes["counts"] and None in potholes["counts"]
    assert body["suppressed_cells"] >= 2 and body["total"] == 97
    text = response.text.lower()
    assert "ada" not in text and "mill house" not in text and "lovelace" not in text and "damp" not in text
    csv = client.get("/v1/reporting/open-data/demand?period=4w&format=csv")
    assert csv.text.splitlines()[0].startswith("category,lgsl_code,") and "All categories" in csv.text
    areas = client.get("/v1/reporting/open-data/demand?columns=area&resolution=6").json
    assert areas["columns_are"] == "area" and areas["period"]["name"] == "52w" and areas["columns"][-1] == "none"
    assert all(h3.get_resolution(c) == 6 for c in areas["columns"][:-1])


@pytest.mark.parametrize("app_config", [{"REPORTING_SUPPRESSION_THRESHOLD": 50}])
def test_the_suppression_threshold_is_a_setting(client, app, place, app_config):
    seed_reports(app, place.council, "fly-tipping", 30, days_ago=8)
    refresh_counts(app)
    body = client.get("/v1/reporting/open-data/demand?period=4w").json
    assert body["suppression_threshold"] == 50 and None in body["rows"][0]["counts"]
    assert 30 not in body["rows"][0]["counts"] and body["total"] is None and body["rows"][0]["total"] is None


# --- early warning ----------------------------------------------------------------
def test_the_spike_detector_flags_a_known_spike_and_not_ordinary_noise():
    rng = random.Random(7)
    baseline = [rng.randint(8, 14) for _ in range(8)]  # a steady ~11 a week
    assert assess(40, baseline)["spike"] is True
    assert assess(16, baseline)["spike"] is False  # a busy week, within chance
    assert assess(4, [0] * 8)["spike"] is False  # too few to mean anything
    assert assess(6, [0] * 8)["spike"] is True  # something new
    figures = assess(40, [10] * 8)
    assert figures["baseline_mean"] == 10 and figures["baseline_sd"] == 0
    assert figures["threshold"] == pytest.approx(10 + 3 * 10 ** 0.5)


def test_a_spike_raises_one_alert_an_event_and_steward_sees_it(client, app, place, steward, worker):
    for week in range(1, 9):
        seed_reports(app, place.council, "fly-tipping", 3, days_ago=7 * week + 1)
    seed_reports(app, place.council, "pothole", 3, days_ago=1, answers={"depth": "deep"})
    seed_reports(app, place.council, "fly-tipping", 25, days_ago=1)
    worker.drain()
    worker.drain()  # the check is idempotent: no second alert the same day
    alerts = client.get("/v1/reporting/alerts", headers=steward).json["items"]
    assert {a["area"] for a in alerts} == {"all", h3.cell_to_parent(h3.latlng_to_cell(WHERE["lat"], WHERE["long"], 9), 7)}
    assert all(a["current"] == 25 and a["baseline_mean"] == 3 for a in alerts)
    assert client.get("/v1/reporting/alerts", headers=place.homes_rw).json["items"] == []
    assert len(client.get("/v1/reporting/alerts", headers=place.council_rw).json["items"]) == 2
    from tests.reporting.test_reports import events_of

    spikes = events_of(app, "civic.reporting.demand_spike")
    assert len(spikes) == 2 and spikes[0]["category"] == "fly-tipping" and spikes[0]["current"] == 25


# --- the demo place ---------------------------------------------------------------
def test_the_demo_gives_each_organisation_categories_and_history_once(client, app, make, steward):
    from civic.core.db import unit_of_work
    from civic.reporting import demo, warning

    tenants = {slug: make.tenant(slug) for slug in demo.CATEGORIES}
    ids = {slug: t.id for slug, t in tenants.items()}
    with app.app_context():
        with unit_of_work():
            demo.seed(ids)
        with unit_of_work():
            demo.seed(ids)  # idempotent
    everyone = client.get("/v1/reporting/insight/counts?by=tenant", headers=steward).json["items"]
    assert {i["tenant"] for i in everyone} == set(demo.CATEGORIES)
    council = make.headers(tenants["borough-council"], "reporting:read")
    codes = [c["code"] for c in client.get("/v1/reporting/categories", headers=council).json["items"]]
    assert {"fly-tipping", "pothole", "streetlight-out", "graffiti"} <= set(codes)
    services = client.get("/open311/v2/services.json").json
    assert "riverside-homes:damp-mould" not in {s["service_code"] for s in services}
    with app.app_context(), unit_of_work():
        alerts = warning.detect_spikes(now=dt.datetime.now(dt.timezone.utc))
    assert any(a.area == "all" for a in alerts)
    open_data = client.get("/v1/reporting/open-data/demand").json
    assert open_data["total"] and len(open_data["rows"]) >= 7
    assert not {"Someone needs help", "Damp and mould in a rented home"} & {r["category"] for r in open_data["rows"]}
