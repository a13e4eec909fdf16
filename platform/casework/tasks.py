"""Background jobs: the SLA clock check, and opening cases from reports in configured categories."""
import datetime as dt

import sqlalchemy as sa
from flask import current_app

from civic.casework import clocks, events, service
from civic.casework import privacy as casework_privacy
from civic.casework.models import Case, CaseType, Settings
from civic.core import jobs
from civic.core.db import session, utcnow
from civic.core.errors import Problem
from civic.core.tenancy import in_world, place_wide, scoped

CHECK_SLAS = "casework.check_slas"
CASE_FROM_REPORT = "casework.case_from_report"
REPORT_CREATED = "civic.reporting.report_created"  # reporting's event, by its type name


def check_slas(payload: dict, job) -> None:
    """Warn about targets due within CASEWORK_SLA_WARNING_HOURS working hours; report each breach once."""
    now, warning = utcnow(), int(current_app.config["CASEWORK_SLA_WARNING_HOURS"]) * 3600
    # Working hours ahead can be days ahead (a weekend, a bank holiday): look that far, then count exactly.
    horizon = now + dt.timedelta(seconds=warning, days=5)
    with place_wide("casework.sla"):
        # Locked and skipped if locked: two runs at once never handle the same case (PostgreSQL).
        due = list(session.scalars(sa.select(Case).where(Case.open.is_(True), Case.sla_next <= horizon)
                                   .order_by(Case.sla_next).with_for_update(skip_locked=True).limit(5000)))
        types = {}
        for case in due:
            ctype = types.get(case.case_type_id) or types.setdefault(case.case_type_id, session.get(CaseType, case.case_type_id))
            cal = clocks.calendar(case.tenant_id)
            for key, clock, due_at in clocks.running(case):
                data = events.case_data(case, ctype, clock=clock, due_at=due_at.isoformat())
                if due_at <= now and key not in case.breached:
                    case.breached = [*case.breached, key]
                    case.overdue = True
                    events.SLA_BREACHED.emit(tenant_id=case.tenant_id, subject=str(case.id), data=data)
                    service.log_change(case, "sla_breached", clock=clock, due_at=due_at.isoformat())
                elif now < due_at and key not in case.warned and cal.between(now, due_at) <= warning:
                    case.warned = [*case.warned, key]
                    events.SLA_WARNING.emit(tenant_id=case.tenant_id, subject=str(case.id), data=data)
                    service.log_change(case, "sla_warning", clock=clock, due_at=due_at.isoformat())
            clocks.schedule_check(case)
        session.flush()


def case_from_report(payload: dict, job) -> None:
    """A report in a category the organisation configured opens a case (once per report)."""
    data, tenant_id = payload.get("data") or {}, job.tenant_id
    settings = session.get(Settings, tenant_id) if tenant_id else None
    rule = next((r for r in (settings.intake if settings else []) if r["report_category"] == data.get("category")), None)
    if rule is None:
        return
    reference = f"report:{data['report_id']}"
    try:
        with in_world(data.get("sandbox", False)):  # the report's world, as its event says
            _open_case_from_report(tenant_id, rule, data, reference)
    except Problem:
        return  # the configured case type is gone or refuses: nothing to open (the rule is the admin's to fix)


def _open_case_from_report(tenant_id, rule: dict, data: dict, reference: str) -> None:
    if session.scalars(scoped(Case, tenant_id).where(Case.reference == reference)).first() is not None:
        return  # already opened (the job runs at least once)
    service.create_case(tenant_id=tenant_id, case_type=rule["case_type"], title=f"Report: {data.get('category')}",
                        priority=rule.get("priority"), team=rule.get("team"), reference=reference,
                        links=[{"type": "reporting.report", "id": data["report_id"]}], source=reference)


def init_app(app) -> None:
    jobs.register(app, CHECK_SLAS, check_slas)
    jobs.register(app, CASE_FROM_REPORT, case_from_report)
    jobs.register(app, casework_privacy.FORGET_FILES, casework_privacy.forget_files)
    jobs.schedule(app, CHECK_SLAS, int(app.config["CASEWORK_SLA_CHECK_SECONDS"]))
    from civic.core.events import subscribe

    subscribe(app, REPORT_CREATED, CASE_FROM_REPORT)
