"""The statutory clock of a subject access request (UK GDPR Article 12(3), as the ICO counts it).

- Day one is the day the request is received (whether a working day or not); the answer is due on the
  same date of the next month, or that month's last day when it has no such date (31 January: 28 or 29
  February).
- An extension by up to two further months counts the same way from the day received.
- Days the clock stood still waiting for identification push the date on by as many days.
- A date that falls on a weekend or a bank holiday of the request's region moves to the next working day.
"""
import calendar
import datetime as dt

from civic.core.calendar import bank_holidays


def add_months(day: dt.date, months: int) -> dt.date:
    """The same date `months` later, or that month's last day when it has no such date."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def working_day(day: dt.date, region: str) -> dt.date:
    """`day`, or the next day that is neither a weekend nor a bank holiday of `region`."""
    holidays = bank_holidays(region)
    while day.weekday() >= 5 or day in holidays:
        day += dt.timedelta(days=1)
    return day


def deadline(received_on: dt.date, *, region: str, extension_months: int = 0, paused_days: int = 0) -> dt.date:
    """When the answer is due."""
    return working_day(add_months(received_on, 1 + extension_months) + dt.timedelta(days=paused_days), region)
