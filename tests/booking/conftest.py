"""Booking test helpers: an organisation with a booking client, and a resource open every day."""
import datetime as dt
import zoneinfo

import pytest

from civic.booking.availability import bank_holidays
from tests.builders import create_resource, post_booking

LONDON = zoneinfo.ZoneInfo("Europe/London")
ALL_DAY = [{"start": "00:00", "end": "24:00"}]


def next_weekday(weekday: int, *, after_days: int = 2) -> dt.date:
    """The first date with `weekday` (0 = Monday) at least `after_days` from today, not a bank holiday."""
    day = dt.date.today() + dt.timedelta(days=after_days)
    while day.weekday() != weekday or day in bank_holidays("england-and-wales"):
        day += dt.timedelta(days=1)
    return day


def at(day: dt.date, hhmm: str) -> dt.datetime:
    """A London wall-clock time on a day, as an aware datetime."""
    hours, minutes = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hours, minutes), tzinfo=LONDON)


def iso(when: dt.datetime) -> str:
    return when.isoformat()


class Org:
    """An organisation and its API headers (`read`, `write`, `both`)."""

    def __init__(self, make, slug=None):
        self.tenant = make.tenant(slug)
        self.both = make.headers(self.tenant, "booking:read", "booking:write")
        self.make = make

    def resource(self, client, **overrides) -> dict:
        """A room for one, open 09:00-17:00 every day (the shared builder's defaults)."""
        return create_resource(client, self.both, **overrides)

    def book(self, client, resource, start: dt.datetime, **overrides):
        return post_booking(client, self.both, resource["id"], iso(start), **overrides)


@pytest.fixture
def org(make) -> Org:
    return Org(make)


@pytest.fixture
def other_org(make) -> Org:
    return Org(make)

