"""Random sequences of book, hold, confirm, expire, cancel and reschedule never overbook a slot."""
import datetime as dt

import hypothesis.strategies as st
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from civic.booking import service
from civic.booking.models import Booking, Hold
from civic.core.db import session, unit_of_work
from civic.core.errors import Problem
from tests.booking.conftest import ALL_DAY, at, next_weekday
from tests.booking.test_concurrency import overbooked_slots
from civic.core.tenancy import place_wide

CAPACITY = 2
SLOTS = [at(next_weekday(1), hhmm) for hhmm in ("09:00", "10:00", "11:00")]


def run(app, fn):
    """One unit of work, as one request would be: committed, or rolled back on a problem."""
    with app.app_context(), place_wide("tests.inspection"):
        try:
            with unit_of_work():
                return fn()
        except Problem as problem:
            return problem


def test_no_sequence_of_actions_overbooks_a_slot(app, make):
    tenant = make.tenant()

    class Bookings(RuleBasedStateMachine):
        @initialize()
        def open_a_room(self):
            self.resource_id = run(app, lambda: service.create_resource(
                tenant_id=tenant.id, name="Hall", capacity=CAPACITY, slot_minutes=60, max_advance_days=30,
                opening_hours={day: ALL_DAY for day in ("monday", "tuesday", "wednesday", "thursday", "friday",
                                                        "saturday", "sunday")})).id
            self.holds, self.bookings = [], []

        def live_places(self, start) -> int:
            """What the rows say is taken in a slot right now: bookings plus holds still in their time."""
            def count():
                now = dt.datetime.now(dt.timezone.utc)
                booked = session.scalar(sa.select(sa.func.count()).select_from(Booking).where(
                    Booking.resource_id == self.resource_id, Booking.start == start, Booking.status == "confirmed"))
                held = session.scalar(sa.select(sa.func.count()).select_from(Hold).where(
                    Hold.resource_id == self.resource_id, Hold.start == start, Hold.status == "held", Hold.expires_at > now))
                return booked + held
            return run(app, count)

        def expect(self, outcome, free: bool, kind):
            if free:
                assert isinstance(outcome, kind), outcome
            else:
                assert isinstance(outcome, Problem) and outcome.code == "slot_unavailable", outcome
            return outcome if free else None

        @rule(slot=st.sampled_from(SLOTS))
        def book(self, slot):
            free = self.live_places(slot) < CAPACITY
            booking = self.expect(run(app, lambda: service.create_booking(
                tenant_id=tenant.id, resource_id=self.resource_id, start=slot, attendee={"name": "A"})), free, Booking)
            if booking:
                self.bookings.append(booking.id)

        @rule(slot=st.sampled_from(SLOTS))
        def hold(self, slot):
            free = self.live_places(slot) < CAPACITY
            held = self.expect(run(app, lambda: service.create_hold(
                tenant_id=tenant.id, resource_id=self.resource_id, start=slot)), free, Hold)
            if held:
                self.holds.append(held.id)

        @rule(pick=st.integers(0, 50))
        def confirm(self, pick):
            if self.holds:
                outcome = run(app, lambda: service.confirm_hold(tenant_id=tenant.id, hold_id=self.holds[pick % len(self.holds)],
                                                                attendee={"name": "B"}))
                if isinstance(outcome, Booking):
                    self.bookings.append(outcome.id)

        @rule(pick=st.integers(0, 50), run_job=st.booleans())
        def time_runs_out(self, pick, run_job):
            """A hold's minutes pass; the expiry job may or may not have run yet."""
            if not self.holds:
                return
            hold_id = self.holds[pick % len(self.holds)]
            past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
            run(app, lambda: session.execute(sa.update(Hold).where(Hold.id == hold_id, Hold.status == "held")
                                             .values(expires_at=past)))
            if run_job:
                run(app, lambda: service.expire_hold(tenant_id=tenant.id, hold_id=hold_id))

        @rule(pick=st.integers(0, 50))
        def cancel(self, pick):
            if self.bookings:
                run(app, lambda: service.cancel_booking(tenant_id=tenant.id, booking_id=self.bookings[pick % len(self.bookings)]))

        @rule(pick=st.integers(0, 50), slot=st.sampled_from(SLOTS))
        def reschedule(self, pick, slot):
            if not self.bookings:
                return
            booking_id = self.bookings[pick % len(self.bookings)]
            before = run(app, lambda: session.get(Booking, booking_id))
            free = self.live_places(slot) < CAPACITY
            outcome = run(app, lambda: service.reschedule_booking(tenant_id=tenant.id, booking_id=booking_id, start=slot))
            if before.status == "confirmed" and before.start != slot:
                self.expect(outcome, free, Booking)
                after = run(app, lambda: session.get(Booking, booking_id))
                assert after.start == (slot if free else before.start)

        @invariant()
        def never_overbooked(self):
            if hasattr(self, "resource_id"):
                assert overbooked_slots(app) == []
                assert all(self.live_places(slot) <= CAPACITY for slot in SLOTS)

    run_state_machine_as_test(Bookings, settings=settings(
        max_examples=30, stateful_step_count=25, deadline=None, database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
