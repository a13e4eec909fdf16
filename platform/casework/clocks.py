"""A case's SLA clocks: the state's (from entering it) and the whole case's (paused in pausing states).

The whole-case clock keeps `clock_used_seconds` of working time used so far; while it runs,
`clock_started_at` is when it last (re)started and the due date is the rest of the target from then.
A pause keeps what was used, so a change of case type (a new target) keeps the time already spent.
"""
import datetime as dt

from civic.casework import case_types, sla
from civic.casework.models import NO_DUE, Case, Settings
from civic.core.db import session


def calendar(tenant_id) -> sla.Calendar:
    row = session.get(Settings, tenant_id)
    if row is None:
        return sla.Calendar()
    return sla.Calendar(time_zone=row.time_zone, bank_holiday_region=row.bank_holiday_region,
                        working_hours=row.working_hours or sla.DEFAULT_HOURS)


def enter(case: Case, definition: dict, state: str, now: dt.datetime, cal: sla.Calendar) -> None:
    """Put the case in `state` now, pausing, resuming or stopping the whole-case clock as the state says."""
    pauses = bool(case_types.state(definition, state).get("pauses_sla"))
    final = case_types.is_final(definition, state)
    if case.clock_started_at is not None and (pauses or final):
        case.clock_used_seconds += int(cal.between(case.clock_started_at, now))
        case.clock_started_at = None
    if case.paused_at is not None and not pauses:
        case.paused_seconds += int((now - case.paused_at).total_seconds())
        case.paused_at = None
    if pauses and case.paused_at is None:
        case.paused_at = now
    if not pauses and not final and case.clock_started_at is None:
        case.clock_started_at = now
    case.state, case.state_entered_at = state, now
    case.open, case.closed_at = not final, now if final else None
    refresh(case, definition, now, cal)


def refresh(case: Case, definition: dict, now: dt.datetime, cal: sla.Calendar) -> None:
    """Work out the due dates again (after a move, or with a new case type version)."""
    state_target = sla.target_seconds(case_types.state(definition, case.state).get("sla"), cal)
    case_target = sla.target_seconds(definition.get("sla"), cal)
    case.state_due_at = cal.add(case.state_entered_at, state_target) if case.open and state_target else None
    case.case_due_at = None
    if case.open and case_target and case.clock_started_at is not None:
        case.case_due_at = cal.add(case.clock_started_at, case_target - case.clock_used_seconds)
    dues = [d for d in (case.state_due_at, case.case_due_at) if d is not None]
    case.sort_due = min(dues) if dues else NO_DUE
    case.overdue = bool(dues) and min(dues) <= now
    schedule_check(case)


def running(case: Case) -> list[tuple[str, str, dt.datetime]]:
    """(key, clock, due) of the case's running targets; a state's key names when it was entered."""
    found = []
    if case.case_due_at is not None:
        found.append(("case", "case", case.case_due_at))
    if case.state_due_at is not None:
        found.append((f"state:{case.state}:{case.state_entered_at.isoformat()}", "state", case.state_due_at))
    return found


def schedule_check(case: Case) -> None:
    """When the SLA job must next look at the case: its nearest target not yet reported breached."""
    pending = [due for key, _clock, due in running(case) if key not in (case.breached or [])]
    case.sla_next = min(pending) if pending else NO_DUE
