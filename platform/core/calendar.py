"""Calendar data every component shares: UK bank holidays and time zones (no network).

Booking closes on bank holidays; casework's working-time clocks skip them. Both read them here.
"""
import datetime as dt
import functools
import zoneinfo

from govuk_bank_holidays.bank_holidays import BankHolidays

BANK_HOLIDAY_REGIONS = ("england-and-wales", "scotland", "northern-ireland")


@functools.cache
def bank_holidays(region: str) -> frozenset[dt.date]:
    """UK bank holidays for a region, from the data bundled with govuk-bank-holidays (no network)."""
    data = BankHolidays(use_cached_holidays=True)
    return frozenset(h["date"] for h in data.get_holidays(division=region))


@functools.cache
def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


@functools.cache
def zone_names() -> frozenset[str]:
    """Every IANA zone name (check a name against this before opening it: ZoneInfo reads any name as a path)."""
    return frozenset(zoneinfo.available_timezones())
