"""Reads do not queue behind a writer (SQLite: no write lock for a GET), and no read's audit entry is ever lost."""
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from flask.views import MethodView

from tests.conftest import BACKEND

from civic.core.tenancy import place_wide

holding, release = threading.Event(), threading.Event()


class Held(MethodView):
    """POST: a write that holds its transaction (SQLite's write lock) until told to go on.
    GET: a read that shows personal data, so it records an audit entry (with ?audit=1)."""

    from civic.core.auth import require

    @require("platform:admin")
    def post(self):
        from civic.core.db import session
        from civic.core.tenancy import Tenant

        session.add(Tenant(slug="held-writer", name="Held writer"))
        session.flush()
        holding.set()
        release.wait(30)
        return {"written": True}, 201

    @require("platform:admin")
    def get(self):
        from flask import request

        from civic.core import audit
        from civic.core.db import session

        tenants = session.scalar(sa.text("SELECT count(*) FROM tenant"))
        if request.args.get("audit"):
            audit.record("test.personal_data_read", tenant_id=None, subject_type="test")
        return {"tenants": tenants}


def _audited(app) -> int:
    from civic.core import audit
    from civic.core.db import session

    with app.app_context(), place_wide("tests.inspection"):
        return session.scalar(sa.select(sa.func.count()).select_from(audit.AuditEntry)
                              .where(audit.AuditEntry.action == "test.personal_data_read"))


def _app(app_with_route, make):
    holding.clear()
    release.clear()
    app = app_with_route("/v1/held", Held)
    return app, make.headers(make.tenant("council"), "platform:admin")


def test_a_read_answers_while_a_writer_holds_the_database(app_with_route, make):
    app, headers = _app(app_with_route, make)
    client = app.test_client()
    with ThreadPoolExecutor(2) as pool:
        write = pool.submit(client.post, "/v1/held", headers=headers)
        assert holding.wait(30)
        try:
            read = pool.submit(client.get, "/v1/held", headers=headers).result(timeout=20)  # not after the writer
        finally:
            release.set()
        assert read.status_code == 200, read.get_json()
        assert write.result(60).status_code == 201


def test_a_reads_audit_entry_waits_for_the_writer_and_is_written(app_with_route, make):
    app, headers = _app(app_with_route, make)
    client = app.test_client()
    with ThreadPoolExecutor(2) as pool:
        write = pool.submit(client.post, "/v1/held", headers=headers)
        assert holding.wait(30)
        read = pool.submit(client.get, "/v1/held?audit=1", headers=headers)
        try:
            read.result(timeout=1)
        except TimeoutError:
            pass  # on SQLite it waits for the writer, for its audit entry
        release.set()
        assert read.result(60).status_code == 200 and write.result(60).status_code == 201
    assert _audited(app) == 1


def test_every_answered_read_has_its_audit_entry_under_concurrent_writes(app_with_route, make):
    app, headers = _app(app_with_route, make)
    release.set()  # writers do not wait here
    client = app.test_client()

    def write(i):
        return client.post("/v1/admin/tenants", json={"slug": f"group-{i}", "name": f"Group {i}"}, headers=headers)

    with ThreadPoolExecutor(8) as pool:
        reads = [pool.submit(client.get, "/v1/held?audit=1", headers=headers) for _ in range(40)]
        writes = [pool.submit(write, i) for i in range(20)]
        reads, writes = [r.result(120) for r in reads], [w.result(120) for w in writes]
    assert all(w.status_code == 201 for w in writes), [w.get_json() for w in writes if w.status_code != 201]
    answered = sum(r.status_code == 200 for r in reads)
    assert answered == len(reads), [r.get_json() for r in reads if r.status_code != 200]
    assert _audited(app) == answered


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite only: PostgreSQL writes a read's entry in the read itself")
def test_a_read_whose_audit_entry_cannot_be_written_is_not_answered(app_with_route, make, monkeypatch):
    from civic.core import db

    app, headers = _app(app_with_route, make)
    real_commit = db.Session.commit

    def locked(self):
        if db.g.get("civic_writing_after_read"):
            raise sa.exc.OperationalError("INSERT", {}, Exception("database is locked"))
        return real_commit(self)

    monkeypatch.setattr(db.Session, "commit", locked)
    response = app.test_client().get("/v1/held?audit=1", headers=headers)
    assert response.status_code == 503 and response.get_json()["code"] == "database_unavailable"
    assert "tenants" not in response.get_json()
    monkeypatch.undo()
    assert _audited(app) == 0
