"""The baseline: a bare Flask + SQLAlchemy app doing the same database work as the platform's
benchmarked endpoints, without the platform's stack (no token check, tenant scoping helpers,
validation, events, outbox, audit, problem+json, rate limits, idempotency, logging).

It trusts a tenant id header instead of a token, so it is never to be deployed.

Under `/bare/` it also answers as the bare limit: one `INSERT ... RETURNING` in a transaction per
create, one `SELECT` by primary key per read, one list query per list, and nothing else.

    gunicorn 'bench.baseline:create_app()'   (BASELINE_DATABASE_URL names the database)
"""
import datetime as dt
import os
import secrets
import uuid

import sqlalchemy as sa
from flask import Flask, jsonify, request

metadata = sa.MetaData()


def _json(row) -> dict:
    out = {}
    for key, value in row._mapping.items():
        out[key] = value.isoformat() if isinstance(value, (dt.datetime, dt.date)) else (
            str(value) if isinstance(value, uuid.UUID) else value)
    return out


def create_app() -> Flask:
    app = Flask("baseline")
    url = os.environ["BASELINE_DATABASE_URL"]
    engine = sa.create_engine(url, pool_size=10, max_overflow=20)
    tables = {}

    def table(name: str) -> sa.Table:
        if name not in tables:
            tables[name] = sa.Table(name, sa.MetaData(), autoload_with=engine)
        return tables[name]

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.post("/reports")
    def create_report():
        body, tenant_id = request.get_json(), uuid.UUID(request.headers["X-Tenant"])
        category, report = table("reporting_category"), table("reporting_report")
        now = dt.datetime.now(dt.timezone.utc)
        with engine.begin() as conn:
            category_id = conn.execute(sa.select(category.c.id).where(
                category.c.tenant_id == tenant_id, category.c.code == body["category"])).scalar_one()
            row = {"id": uuid.uuid4(), "tenant_id": tenant_id, "category_id": category_id, "status": "open",
                   "description": body.get("description"), "lat": body.get("lat"), "long": body.get("long"),
                   "week": now.date() - dt.timedelta(days=now.weekday()), "answers": {}, "token": secrets.token_hex(8),
                   "source": "api", "sandbox": False, "metadata": {}, "created_at": now, "updated_at": now}
            conn.execute(report.insert().values(**{k: v for k, v in row.items() if k in report.c}))
        return jsonify({k: str(v) if isinstance(v, (uuid.UUID, dt.date)) else v for k, v in row.items()}), 201

    @app.get("/reports/<report_id>")
    def read_report(report_id):
        report, category = table("reporting_report"), table("reporting_category")
        with engine.connect() as conn:
            row = conn.execute(sa.select(report, category.c.code).join(category, category.c.id == report.c.category_id)
                               .where(report.c.id == uuid.UUID(report_id),
                                      report.c.tenant_id == uuid.UUID(request.headers["X-Tenant"]))).first()
        return (_json(row), 200) if row else ({"error": "not found"}, 404)

    @app.get("/reports")
    def list_reports():
        report, category = table("reporting_report"), table("reporting_category")
        limit = int(request.args.get("limit", 20))
        with engine.connect() as conn:
            rows = conn.execute(sa.select(report, category.c.code).join(category, category.c.id == report.c.category_id)
                                .where(report.c.tenant_id == uuid.UUID(request.headers["X-Tenant"]))
                                .order_by(report.c.created_at, report.c.id).limit(limit + 1)).all()
        return {"items": [_json(r) for r in rows[:limit]], "next": None}

    bare_categories: dict = {}

    @app.post("/bare/reports")
    def bare_create():
        """The bare limit of a create: one INSERT ... RETURNING in one transaction."""
        body, tenant_id = request.get_json(), uuid.UUID(request.headers["X-Tenant"])
        report, category = table("reporting_report"), table("reporting_category")
        key = (tenant_id, body["category"])
        if key not in bare_categories:  # resolved once per process: the bare app does no lookups per request
            with engine.connect() as conn:
                bare_categories[key] = conn.execute(sa.select(category.c.id).where(
                    category.c.tenant_id == tenant_id, category.c.code == body["category"])).scalar_one()
        now = dt.datetime.now(dt.timezone.utc)
        row = {"id": uuid.uuid4(), "tenant_id": tenant_id, "category_id": bare_categories[key], "status": "open",
               "description": body.get("description"), "lat": body.get("lat"), "long": body.get("long"),
               "week": now.date() - dt.timedelta(days=now.weekday()), "answers": {}, "token": secrets.token_hex(8),
               "source": "api", "sandbox": False, "metadata": {}, "created_at": now, "updated_at": now}
        with engine.begin() as conn:
            created = conn.execute(report.insert().values(**{k: v for k, v in row.items() if k in report.c})
                                   .returning(report)).first()
        return _json(created), 201

    @app.get("/bare/reports/<report_id>")
    def bare_read(report_id):
        """The bare limit of a read: one SELECT by primary key."""
        report = table("reporting_report")
        with engine.connect() as conn:
            row = conn.execute(sa.select(report).where(report.c.id == uuid.UUID(report_id))).first()
        return (_json(row), 200) if row else ({"error": "not found"}, 404)

    @app.get("/bare/reports")
    def bare_list():
        """The bare limit of a list: one query for a page."""
        report = table("reporting_report")
        limit = int(request.args.get("limit", 20))
        with engine.connect() as conn:
            rows = conn.execute(sa.select(report).where(report.c.tenant_id == uuid.UUID(request.headers["X-Tenant"]))
                                .order_by(report.c.created_at, report.c.id).limit(limit + 1)).all()
        return {"items": [_json(r) for r in rows[:limit]], "next": None}

    @app.get("/resources/<resource_id>/availability")
    def availability(resource_id):
        resource, exception, slot = table("booking_resource"), table("booking_exception"), table("booking_slot")
        start = dt.datetime.fromisoformat(request.args["from"])
        end = dt.datetime.fromisoformat(request.args["to"])
        rid = uuid.UUID(resource_id)
        with engine.connect() as conn:
            res = conn.execute(sa.select(resource).where(
                resource.c.id == rid, resource.c.tenant_id == uuid.UUID(request.headers["X-Tenant"]))).first()
            closures = conn.execute(sa.select(exception).where(exception.c.resource_id == rid)).all()
            used = conn.execute(sa.select(slot.c.start, slot.c.used).where(
                slot.c.resource_id == rid, slot.c.start >= start, slot.c.start < end)).all()
        return {"resource": _json(res), "exceptions": [_json(c) for c in closures], "slots": [_json(u) for u in used]}

    return app
