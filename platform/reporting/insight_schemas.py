"""Insight, open data and alert schemas: what the demand endpoints take and give."""
import datetime as dt

import marshmallow as ma

from civic.core.pagination import PageQuerySchema
from civic.core.schemas import StrictSchema
from civic.reporting.schemas import CODE  # a category's code: one format for both
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)
MAX_WINDOW_YEARS = 5
PERIODS = {"4w": 4, "13w": 13, "52w": 52}  # the open data's fixed windows, in whole weeks
DATES = ma.validate.Range(EARLIEST, LATEST, error="Give a date from 1970-01-01 to 2100-01-01.")


# The map's answer: one GeoJSON feature per H3 hexagon.
MAP_EXAMPLE = {"type": "FeatureCollection", "features": [{
    "type": "Feature", "id": "8819583923fffff",
    "geometry": {"type": "Polygon", "coordinates": [[[-2.5908, 51.4608], [-2.5976, 51.4594], [-2.5986, 51.4549],
                                                     [-2.5929, 51.4517], [-2.5861, 51.4531], [-2.5851, 51.4576],
                                                     [-2.5908, 51.4608]]]},
    "properties": {"area": "8819583923fffff", "count": 14, "resolution": 8}}]}


def _dimensions(value: str) -> None:
    from civic.reporting.insight import DIMENSIONS

    wrong = [d for d in value.split(",") if d not in DIMENSIONS]
    if wrong:
        raise ma.ValidationError(f"Choose from: {', '.join(DIMENSIONS)}.")


class InsightQuerySchema(StrictSchema):
    start = ma.fields.AwareDateTime(load_default=None, format="iso", validate=DATES, metadata={
        "description": f"Default: 12 weeks before `end`. From 1970 to 2100; at most {MAX_WINDOW_YEARS} years "
                       "before `end` (longer is a 422 `window_too_long`)."})
    end = ma.fields.AwareDateTime(load_default=None, format="iso", validate=DATES,
                                  metadata={"description": "Default: now. From 1970 to 2100."})
    category = ma.fields.String(load_default=None, validate=CODE)
    tenant = ma.fields.String(load_default=None, metadata={
        "description": "Stewards only: one organisation's slug (default: the whole place)."})
    resolution = ma.fields.Integer(load_default=8, validate=ma.validate.Range(5, 9), metadata={
        "description": "Size of map areas: H3 resolution 5 (~250 km²) to 9 (~0.1 km²)."})


class CountsQuerySchema(InsightQuerySchema):
    by = ma.fields.String(load_default="category", validate=_dimensions, metadata={
        "description": "Comma-separated: tenant, category, status, week, area (H3 cell), street (USRN). "
                       "An answer of more groups than the limit (default 10,000) is a 422 `answer_too_large`."})
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(("json", "csv")))


class CountsSchema(ma.Schema):
    class Meta(ma.Schema.Meta):
        example = {"start": "2026-08-10T00:00:00+00:00", "end": "2026-11-02T00:00:00+00:00",
                   "items": [{"category": "pothole", "count": 212}, {"category": "fly-tipping", "count": 301}],
                   "total": 513}

    start = ma.fields.AwareDateTime(format="iso")
    end = ma.fields.AwareDateTime(format="iso")
    items = ma.fields.List(ma.fields.Dict(), metadata={"description": "One row per group, with its `count`."})
    total = ma.fields.Integer()


class OpenDataQuerySchema(StrictSchema):
    columns = ma.fields.String(load_default="week", validate=ma.validate.OneOf(("week", "area")),
                               metadata={"description": "Columns are weeks, or map areas (H3 cells)."})
    period = ma.fields.String(validate=ma.validate.OneOf(tuple(PERIODS)), metadata={
        "description": "A fixed window of whole weeks ending with the last complete week (Monday to Sunday, "
                       "UTC): `4w`, `13w` or `52w`. Tables by week offer all three (default `13w`); tables by "
                       "area only `52w` (the default for them). Only these fixed tables are published, and small "
                       "numbers are withheld across all of them at once, so no table can be subtracted from "
                       "another to work a withheld number out. (`weeks` was removed: it is a 422.)"})
    resolution = ma.fields.Integer(load_default=7, validate=ma.validate.Range(5, 7), metadata={
        "description": "Size of map areas for `columns=area`: H3 resolution 5 (~250 km²) to 7 (~5 km²)."})
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(("json", "csv")))

    @ma.pre_load
    def _removed(self, data, **kwargs):
        if "weeks" in data:
            raise ma.ValidationError({"weeks": [
                "Removed: the open data are published for fixed periods only; use period=4w, 13w or 52w."]})
        return data


class OpenDataRowSchema(ma.Schema):
    class Meta(ma.Schema.Meta):
        example = {"category": "Pothole", "lgsl_code": "1193", "counts": [24, 31, None, 27], "total": 87}

    category = ma.fields.String(metadata={"description": "The category's name (public categories only)."})
    lgsl_code = ma.fields.String(allow_none=True, metadata={"description": "Local Government Service List code."})
    counts = ma.fields.List(ma.fields.Integer(allow_none=True),
                            metadata={"description": "One per column; null where suppressed."})
    total = ma.fields.Integer(allow_none=True, metadata={"description": "The row's total; null where suppressed."})


class OpenDataSchema(ma.Schema):
    """A stable, documented table: fields are only ever added, never renamed or removed."""

    class Meta(ma.Schema.Meta):
        example = {"title": "Reports by category and week", "licence": {
                       "name": "Open Government Licence v3.0",
                       "url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"},
                   "publisher": "Riverside Platform Steward", "generated_at": "2026-11-02T06:00:00+00:00",
                   "period": {"name": "4w", "weeks": 4, "start": "2026-10-05", "end": "2026-11-01"},
                   "columns_are": "week", "resolution": None, "suppression_threshold": 10, "suppressed_cells": 1,
                   "columns": ["2026-10-05", "2026-10-12", "2026-10-19", "2026-10-26"],
                   "rows": [OpenDataRowSchema.Meta.example], "column_totals": [24, 31, None, 27], "total": 87}

    title = ma.fields.String()
    licence = ma.fields.Dict(metadata={"description": "name and url: Open Government Licence v3.0."})
    publisher = ma.fields.String()
    generated_at = ma.fields.String()
    period = ma.fields.Dict(metadata={
        "description": "name (`4w`, `13w` or `52w`), weeks, and start and end dates (inclusive): whole weeks "
                       "ending with the last complete one."})
    columns_are = ma.fields.String(metadata={"description": "`week` (week commencing Monday) or `area`."})
    resolution = ma.fields.Integer(allow_none=True, metadata={"description": "H3 resolution of the areas."})
    suppression_threshold = ma.fields.Integer(metadata={
        "description": "Counts (cells and totals) from 1 to this minus one are never published, nor anything that "
                       "would reveal them, in this table or by combining it with any other published table."})
    suppressed_cells = ma.fields.Integer(metadata={"description": "How many cells of this table are withheld."})
    columns = ma.fields.List(ma.fields.String(), metadata={
        "description": "Week start dates, or H3 cells and last `none` (reports without a location)."})
    rows = ma.fields.List(ma.fields.Nested(OpenDataRowSchema), metadata={
        "description": "Public categories only: categories an organisation keeps private never appear."})
    column_totals = ma.fields.List(ma.fields.Integer(allow_none=True))
    total = ma.fields.Integer(allow_none=True)


class AlertQuerySchema(PageQuerySchema):
    pass


class AlertSchema(ma.Schema):
    class Meta(ma.Schema.Meta):
        example = {"id": "4b8e1d3a-9c2f-4e7b-8a5d-6f0c3e9b2a17", "created_at": "2026-11-02T06:00:00+00:00",
                   "tenant_id": "1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d", "category_id": "2f6d8b1a-4c3e-4a7f-9b2d-8e1c5a7f3d90",
                   "area": "all", "detected_on": "2026-11-02", "window_start": "2026-10-26T00:00:00+00:00",
                   "window_end": "2026-11-02T00:00:00+00:00", "current": 46, "baseline_mean": 12.5,
                   "baseline_sd": 3.1, "threshold": 21.8}

    id = ma.fields.UUID()
    created_at = ma.fields.AwareDateTime(format="iso")
    tenant_id = ma.fields.UUID()
    category_id = ma.fields.UUID()
    area = ma.fields.String(metadata={"description": "H3 cell (resolution 7), or `all` for the whole area."})
    detected_on = ma.fields.Date()
    window_start = ma.fields.AwareDateTime(format="iso")
    window_end = ma.fields.AwareDateTime(format="iso")
    current = ma.fields.Integer(metadata={"description": "Reports in the last 7 days."})
    baseline_mean = ma.fields.Float(metadata={"description": "Average per week over the 8 weeks before."})
    baseline_sd = ma.fields.Float()
    threshold = ma.fields.Float(metadata={"description": "Above this (and at least the minimum count) is a spike."})
