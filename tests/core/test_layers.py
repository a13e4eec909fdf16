"""One way per layer, as docs/components.md writes it: pages from services, reads audited by one rule."""
import ast
import pathlib

import pytest
import sqlalchemy as sa

import civic
from civic.core.audit import AuditEntry
from civic.core.db import session
from tests.booking.conftest import Org, at, next_weekday

ROUTES = [pathlib.Path(civic.__path__[0]) / path for path in (
    "booking/routes.py", "reporting/routes.py", "reporting/insight_routes.py")]
NOT_IN_ROUTES = {"paginate", "session", "scoped", "get_scoped", "select", "sa", "sqlalchemy"}
RW = ("booking:read", "booking:write", "reporting:read", "reporting:write")


@pytest.mark.parametrize("path", ROUTES, ids=lambda p: f"{p.parent.name}.{p.stem}")
def test_routes_only_parse_and_serialise(path):
    tree = ast.parse(path.read_text())
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    names |= {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
              for alias in node.names}
    assert not names & NOT_IN_ROUTES, path


def _reads(app, tenant_id):
    with app.app_context():
        return [(e.action, e.subject_type, e.subject_id, e.detail) for e in session.scalars(
            sa.select(AuditEntry).where(AuditEntry.tenant_id == tenant_id, AuditEntry.action.like("%personal_data_read"))
            .order_by(AuditEntry.time, AuditEntry.id))]


def test_every_answer_showing_personal_data_is_audited_by_one_rule_in_both_components(app, client, make):
    org = Org(make)
    headers = make.headers(org.tenant, *RW)
    room = org.resource(client)
    booking = org.book(client, room, at(next_weekday(0), "10:00")).json
    client.post("/v1/reporting/categories", headers=headers, json={"code": "litter", "name": "Litter"})
    report = client.post("/v1/reporting/reports", headers=headers, json={
        "category": "litter", "address": "1 High Street", "reporter": {"name": "Sam"}}).json
    anonymous = client.post("/v1/reporting/reports", headers=headers,
                            json={"category": "litter", "address": "2 High Street"}).json
    before = len(_reads(app, org.tenant.id))
    for url in (f"/v1/booking/bookings/{booking['id']}", "/v1/booking/bookings",
                f"/v1/reporting/reports/{report['id']}", f"/v1/reporting/reports/{anonymous['id']}",
                "/v1/reporting/reports"):
        assert client.get(url, headers=headers).status_code == 200
    assert client.post(f"/v1/reporting/reports/{report['id']}/status", headers=headers,
                       json={"status": "acknowledged"}).status_code == 200
    assert client.post(f"/v1/booking/bookings/{booking['id']}/cancel", headers=headers, json={}).status_code == 200
    one_booking = ("booking.personal_data_read", "booking", booking["id"], {})
    one_report = ("reporting.personal_data_read", "report", report["id"], {})
    # A report without a reporter's details shows no personal data: nothing to record.
    assert _reads(app, org.tenant.id)[before:] == [one_booking, one_booking, one_report, one_report, one_report,
                                                   one_booking]
