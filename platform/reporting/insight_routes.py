"""Demand insight, open data and early-warning alerts under /v1/reporting."""
from flask import current_app, json
from flask.views import MethodView
from flask_smorest import Blueprint

from civic.core.auth import current_principal, public, require_any
from civic.core.db import utcnow
from civic.core.errors import not_found
from civic.core.formats import csv_response
from civic.core.pagination import page_schema
from civic.reporting import insight, service, warning
from civic.reporting import insight_schemas as schemas


blp = Blueprint("reporting-insight", __name__, url_prefix="/v1/reporting",
                description="The picture of demand: counts, time series and maps of reports, the public open data, "
                            "and early warnings when a kind of report suddenly rises.")
open_data = Blueprint("reporting-open-data", __name__, url_prefix="/v1/reporting/open-data",
                      description="Open data anyone may use, without a token: the place's demand, small numbers "
                                  "withheld, under the Open Government Licence v3.0.")
READERS = ("reporting:read", "platform:admin")


def csv_too(schema: str) -> dict:
    """Document both answers: JSON, or the same rows as a spreadsheet with `format=csv`."""
    return {"responses": {"200": {"description": "OK", "content": {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}},
        "text/csv": {"schema": {"type": "string"}}}}}}


def _scope(slug: str | None):
    """Stewards see the whole place (or one organisation); everyone else only their own."""
    principal = current_principal()
    if not slug:
        return None if principal.is_steward else principal.tenant_id
    tenant = service.reporting_tenant_by_slug(slug)
    if tenant is None or not (principal.is_steward or tenant.id == principal.tenant_id):
        raise not_found("organisation")
    return tenant.id


def _counts(query: dict, by: list[str]) -> tuple[list[dict], tuple]:
    start, end = insight.window(query["start"], query["end"], utcnow())
    items = insight.counts(tenant_id=_scope(query["tenant"]), by=by, start=start, end=end,
                           resolution=query["resolution"], category=query["category"])
    return items, (start, end)


@blp.route("/insight/counts")
class Counts(MethodView):
    @require_any(*READERS)
    @blp.arguments(schemas.CountsQuerySchema, location="query")
    @blp.response(200, schemas.CountsSchema)
    @blp.doc(**csv_too("Counts"))
    def get(self, query):
        """How many reports, grouped by category, status, week, area or street (`format=csv` for a spreadsheet).

        Your own organisation's reports (a steward: the whole place, or one organisation with `tenant`);
        sandbox reports are never counted. Errors: `bad_date_range`, `window_too_long`, `answer_too_large`."""
        by = query["by"].split(",")
        items, (start, end) = _counts(query, by)
        if query["format"] == "csv":
            dims = [d for d in insight.DIMENSIONS if d in by]
            return csv_response(dims + ["count"], ([i[d] for d in dims] + [i["count"]] for i in items), "counts.csv")
        return {"start": start, "end": end, "items": items, "total": sum(i["count"] for i in items)}


@blp.route("/insight/timeseries")
class TimeSeries(MethodView):
    @require_any(*READERS)
    @blp.arguments(schemas.InsightQuerySchema, location="query")
    @blp.response(200, schemas.CountsSchema)
    def get(self, query):
        """Reports per week, with empty weeks as zero: ready for a chart.

        Weeks start on Monday (UTC). Errors: `bad_date_range`, `window_too_long`."""
        items, (start, end) = _counts(query, ["week"])
        series = insight.weekly_series(items, start, end)
        return {"start": start, "end": end, "items": series, "total": sum(i["count"] for i in series)}


@blp.route("/insight/map")
class Map(MethodView):
    @require_any(*READERS)
    @blp.arguments(schemas.InsightQuerySchema, location="query")
    @blp.response(200, {"type": "object"}, content_type="application/geo+json", example=schemas.MAP_EXAMPLE)
    def get(self, query):
        """Reports per map area as GeoJSON hexagons, to drop straight onto a map.

        Areas are H3 cells at `resolution` (default 8, about 0.7 km²). Errors: `bad_date_range`,
        `window_too_long`, `answer_too_large`."""
        items, _ = _counts(query, ["area"])
        return current_app.response_class(json.dumps(insight.geojson(items, query["resolution"])),
                                          mimetype="application/geo+json")


@open_data.route("/demand")
class OpenData(MethodView):
    @public
    @open_data.arguments(schemas.OpenDataQuerySchema, location="query")
    @open_data.response(200, schemas.OpenDataSchema)
    @open_data.doc(**csv_too("OpenData"))
    def get(self, query):
        """Open data: reports across the whole place by category and week (or area), for whole recent weeks.

        The last 4, 13 or 52 complete weeks. Free to reuse under the Open Government Licence; small numbers
        are withheld so nobody can be identified, even by combining tables. Sandbox reports and private
        categories are never included. Errors: `table_not_offered`."""
        table = insight.open_data(columns=query["columns"], period=query.get("period"), resolution=query["resolution"],
                                  now=utcnow())
        if query["format"] == "csv":
            header = ["category", "lgsl_code", *table["columns"], "total"]
            rows = [[r["category"], r["lgsl_code"], *r["counts"], r["total"]] for r in table["rows"]]
            rows.append(["All categories", None, *table["column_totals"], table["total"]])
            return csv_response(header, rows, "demand.csv")
        return table


@blp.route("/alerts")
class Alerts(MethodView):
    @require_any(*READERS)
    @blp.arguments(schemas.AlertQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.AlertSchema))
    def get(self, query):
        """Early warnings from the last 7 days: categories with far more reports than usual (stewards see all).

        Worked out each night; each new alert also sends `civic.reporting.demand_spike`.
        Errors: `invalid_cursor`."""
        return warning.list_alerts(tenant_id=_scope(None), now=utcnow(), **query)
