"""Working-time arithmetic over weekends, bank holidays and the clock changes, and clocks that pause."""
import datetime as dt
import zoneinfo

import sqlalchemy as sa

from civic.casework import clocks, sla
from civic.casework.models import Case
from civic.casework.schemas import SOCIAL_PRESCRIBING

LONDON = zoneinfo.ZoneInfo("Europe/London")
UTC = dt.timezone.utc
HOUR = 3600
WEEK = sla.Calendar()  # 09:00-17:00 Monday to Friday, England and Wales


def london(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def test_a_target_skips_the_weekend():
    friday = london(2027, 3, 5, 15, 0)
    assert WEEK.add(friday, 2 * HOUR) == london(2027, 3, 5, 17, 0)  # due at closing time
    assert WEEK.add(friday, 3 * HOUR) == london(2027, 3, 8, 10, 0)  # 2 h on Friday, the third on Monday
    assert WEEK.add(friday, 2 * 8 * HOUR) == london(2027, 3, 9, 15, 0)  # 2 working days: Tuesday 15:00
    assert sla.target_seconds({"working_days": 2}, WEEK) == 16 * HOUR


def test_a_target_starting_outside_hours_starts_at_the_next_opening():
    saturday = london(2027, 3, 6, 11, 0)
    assert WEEK.add(saturday, HOUR) == london(2027, 3, 8, 10, 0)
    assert WEEK.add(london(2027, 3, 8, 20, 0), HOUR) == london(2027, 3, 9, 10, 0)


def test_easter_and_the_clocks_going_forward_on_the_same_weekend():
    # 2027: Good Friday 26 March, clocks forward Sunday 28 March, Easter Monday 29 March.
    thursday = london(2027, 3, 25, 16, 0)  # GMT: 16:00 UTC
    due = WEEK.add(thursday, 3 * HOUR)
    assert due == london(2027, 3, 30, 11, 0)  # 1 h on Thursday, then Tuesday 09:00-11:00 BST
    assert due.astimezone(UTC) == dt.datetime(2027, 3, 30, 10, 0, tzinfo=UTC)
    assert WEEK.between(thursday, due) == 3 * HOUR


def test_the_clocks_going_back_keep_working_hours_local():
    friday = london(2027, 10, 29, 16, 0)  # BST: 15:00 UTC
    due = WEEK.add(friday, 3 * HOUR)
    assert due == london(2027, 11, 1, 11, 0) and due.astimezone(UTC).hour == 11  # GMT again
    assert WEEK.between(london(2027, 10, 29, 9), london(2027, 11, 1, 17)) == 16 * HOUR


def test_christmas_bank_holidays_are_off():
    # 2027: 25 and 26 December fall at the weekend; 27 and 28 are the bank holidays.
    assert WEEK.add(london(2027, 12, 24, 16, 0), 3 * HOUR) == london(2027, 12, 29, 11, 0)
    scotland = sla.Calendar(bank_holiday_region="scotland")
    assert scotland.add(london(2027, 12, 31, 16, 0), 3 * HOUR) == london(2028, 1, 5, 11, 0)  # 3 and 4 January off


def test_own_working_hours_and_a_working_day_of_their_length():
    short = sla.Calendar(working_hours={day: [{"start": "10:00", "end": "12:00"}, {"start": "13:00", "end": "15:00"}]
                                        for day in ("monday", "tuesday", "wednesday")})
    assert short.working_day_seconds() == 4 * HOUR
    assert short.add(london(2027, 3, 3, 11, 0), 4 * HOUR) == london(2027, 3, 8, 11, 0)  # 3 h on Wednesday, then Monday
    assert sla.target_seconds({"working_days": 1}, short) == 4 * HOUR


def test_add_and_between_agree():
    start = london(2027, 3, 24, 11, 17)
    for hours in (0.5, 3, 9, 40, 200):
        assert WEEK.between(start, WEEK.add(start, hours * HOUR)) == hours * HOUR


def _case(now) -> Case:
    case = Case(state="new", open=True, clock_used_seconds=0, paused_seconds=0, warned=[], breached=[],
                state_entered_at=now, clock_started_at=None, paused_at=None)
    clocks.enter(case, SOCIAL_PRESCRIBING, "new", now, WEEK)
    return case


def test_the_case_clock_pauses_while_waiting_for_the_client_and_resumes_after():
    monday = london(2027, 3, 1, 9, 0)
    case = _case(monday)
    assert case.case_due_at == WEEK.add(monday, 20 * 8 * HOUR)
    assert case.state_due_at == london(2027, 3, 2, 17, 0)  # out of "new" within 2 working days
    clocks.enter(case, SOCIAL_PRESCRIBING, "triage", london(2027, 3, 1, 13, 0), WEEK)
    clocks.enter(case, SOCIAL_PRESCRIBING, "waiting_for_client", london(2027, 3, 2, 9, 0), WEEK)
    assert case.case_due_at is None and case.paused_at is not None and case.clock_used_seconds == 8 * HOUR
    clocks.enter(case, SOCIAL_PRESCRIBING, "triage", london(2027, 3, 9, 9, 0), WEEK)  # a week later
    assert case.paused_seconds == 7 * 24 * HOUR and case.paused_at is None
    assert case.case_due_at == WEEK.add(london(2027, 3, 9, 9, 0), 19 * 8 * HOUR)  # one day used
    assert case.sort_due == min(case.case_due_at, case.state_due_at)


def test_the_used_time_is_kept_when_the_case_type_changes():
    case = _case(london(2027, 3, 1, 9, 0))
    clocks.enter(case, SOCIAL_PRESCRIBING, "triage", london(2027, 3, 1, 9, 0), WEEK)
    clocks.enter(case, SOCIAL_PRESCRIBING, "waiting_for_client", london(2027, 3, 3, 9, 0), WEEK)  # 2 days used
    faster = {**SOCIAL_PRESCRIBING, "sla": {"working_days": 5},
              "states": [*SOCIAL_PRESCRIBING["states"][:2], {"name": "on_hold", "pauses_sla": True},
                         *SOCIAL_PRESCRIBING["states"][3:]]}
    clocks.enter(case, faster, "on_hold", london(2027, 3, 4, 9, 0), WEEK)
    clocks.enter(case, faster, "triage", london(2027, 3, 8, 9, 0), WEEK)
    assert case.clock_used_seconds == 16 * HOUR
    assert case.case_due_at == london(2027, 3, 10, 17, 0)  # 3 days left from Monday 09:00
    clocks.enter(case, faster, "closed", london(2027, 3, 8, 10, 0), WEEK)
    assert case.open is False and case.case_due_at is None and case.state_due_at is None


def _overdue(app, case_id, due):
    from civic.core.db import session, unit_of_work
    from civic.core.tenancy import place_wide

    with app.app_context(), place_wide("tests.inspection"), unit_of_work():
        session.execute(sa.update(Case).where(Case.id == case_id).values(case_due_at=due, sla_next=due, sort_due=due))


def _events(app, kind):
    from civic.core.db import session
    from civic.core.events import Event

    with app.app_context():
        return list(session.scalars(sa.select(Event).where(Event.type == f"civic.casework.{kind}")))


def test_the_job_warns_then_reports_a_breach_once_and_marks_the_case_overdue(app, client, org, worker):
    import uuid

    org.define(client)
    case = org.case(client)
    soon = dt.datetime.now(UTC) + dt.timedelta(minutes=1)
    _overdue(app, uuid.UUID(case["id"]), soon)
    worker.drain()
    assert [e.subject for e in _events(app, "sla_warning")] == [case["id"]]
    _overdue(app, uuid.UUID(case["id"]), dt.datetime.now(UTC) - dt.timedelta(minutes=1))
    for _ in range(3):
        from civic.casework import tasks
        with app.app_context():
            from civic.core.db import unit_of_work
            with unit_of_work():
                tasks.check_slas({}, None)
    breached = _events(app, "sla_breached")
    assert [(e.subject, e.data["clock"]) for e in breached] == [(case["id"], "case")]
    assert len(_events(app, "sla_warning")) == 1
    now = client.get(f"/v1/casework/cases/{case['id']}", headers=org.worker).get_json()
    assert now["overdue"] is True
    overdue = client.get("/v1/casework/cases?overdue=true", headers=org.worker).get_json()["items"]
    assert [c["id"] for c in overdue] == [case["id"]]
    kinds = [e["kind"] for e in client.get(f"/v1/casework/cases/{case['id']}/timeline", headers=org.worker).get_json()["items"]]
    assert kinds.count("sla_breached") == 1 and kinds.count("sla_warning") == 1
