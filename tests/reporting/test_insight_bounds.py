"""Insight answers are bounded: windows, dates and answer sizes have limits, and bad ones are a 422, never a 500."""
import pytest

from tests.reporting.test_insight import seed_reports

ENDPOINTS = ("/v1/reporting/insight/counts", "/v1/reporting/insight/timeseries", "/v1/reporting/insight/map")


@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_window_longer_than_five_years_is_refused(client, place, path):
    response = client.get(path, headers=place.council_rw,
                          query_string={"start": "2000-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"})
    assert response.status_code == 422, response.data[:300]
    assert response.json["code"] == "window_too_long"
    assert len(response.data) < 2000


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("query", [{"start": "0001-01-01T00:00:00Z"}, {"end": "0001-01-08T00:00:00Z"},
                                   {"end": "9999-12-31T23:59:59Z"}, {"start": "9999-12-25T00:00:00Z"},
                                   {"start": "0001-01-01T00:00:00Z", "end": "9999-12-31T23:59:59Z"}])
def test_extreme_dates_are_a_clear_422_not_a_500(client, place, path, query):
    response = client.get(path, headers=place.council_rw, query_string=query)
    assert response.status_code == 422, response.data[:300]
    assert response.json["code"] == "validation_failed"
    assert set(response.json["errors"]) <= {"start", "end"} and response.json["errors"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_an_end_before_the_start_is_refused(client, place, path):
    response = client.get(path, headers=place.council_rw,
                          query_string={"start": "2026-01-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"})
    assert response.status_code == 422 and response.json["code"] == "bad_date_range"


def test_a_window_of_five_years_is_fine_and_its_series_is_short(client, app, place):
    seed_reports(app, place.council, "fly-tipping", 2)
    response = client.get("/v1/reporting/insight/timeseries", headers=place.council_rw,
                          query_string={"start": "2021-06-01T00:00:00Z", "end": "2026-05-31T00:00:00Z"})
    assert response.status_code == 200, response.json
    assert 255 <= len(response.json["items"]) <= 262 and len(response.data) < 40_000


@pytest.mark.parametrize("app_config", [{"REPORTING_INSIGHT_MAX_GROUPS": 3}])
def test_an_answer_with_too_many_groups_is_refused(client, app, place, app_config):
    for i in range(5):
        seed_reports(app, place.council, "fly-tipping", 1, lat=51.50 + i * 0.02, long=-0.12)
    ok = client.get("/v1/reporting/insight/counts?by=category", headers=place.council_rw)
    assert ok.status_code == 200 and ok.json["total"] == 5
    for path in ("/v1/reporting/insight/counts?by=area&resolution=9", "/v1/reporting/insight/map?resolution=9",
                 "/v1/reporting/insight/counts?by=area&resolution=9&format=csv"):
        response = client.get(path, headers=place.council_rw)
        assert response.status_code == 422, (path, response.data[:300])
        assert response.json["code"] == "answer_too_large"


def test_alert_pages_are_bounded(client, place):
    assert client.get("/v1/reporting/alerts?limit=100000", headers=place.council_rw).status_code == 422
    assert client.get("/v1/reporting/alerts?limit=100", headers=place.council_rw).status_code == 200
