"""Working-time arithmetic for SLA clocks: an organisation's working hours, weekends and UK bank holidays off.

Working hours are local wall-clock times per weekday (Europe/London by default), so across the clock
changes a working day stays 09:00-17:00 local and its UTC instants move. A target in working days
counts each as the organisation's average working day (8 hours for 09:00-17:00 on weekdays).
"""
import dataclasses
import datetime as dt

from civic.core.calendar import bank_holidays, zone

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_HOURS = {day: [{"start": "09:00", "end": "17:00"}] for day in WEEKDAYS[:5]}
UTC = dt.timezone.utc
MAX_DAYS = 3 * 366  # no target reaches further; a calendar with no working time at all stops here


def _minutes(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


@dataclasses.dataclass(frozen=True)
class Calendar:
    """When an organisation works."""

    time_zone: str = "Europe/London"
    bank_holiday_region: str = "england-and-wales"
    working_hours: dict = dataclasses.field(default_factory=lambda: DEFAULT_HOURS)

    def intervals(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The working intervals of one local day, in UTC (none on a bank holiday)."""
        if day in bank_holidays(self.bank_holiday_region):
            return []
        tz = zone(self.time_zone)
        found = []
        for span in (self.working_hours or {}).get(WEEKDAYS[day.weekday()], []):
            start, end = (dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=_minutes(span[k]))
                          for k in ("start", "end"))
            found.append((start.replace(tzinfo=tz).astimezone(UTC), end.replace(tzinfo=tz).astimezone(UTC)))
        return sorted(found)

    def working_day_seconds(self) -> float:
        """The average working day of the week, in seconds."""
        days = [sum(_minutes(s["end"]) - _minutes(s["start"]) for s in spans)
                for spans in (self.working_hours or {}).values() if spans]
        return (sum(days) / len(days) * 60) if days else 8 * 3600

    def _days_from(self, when: dt.datetime):
        day = when.astimezone(zone(self.time_zone)).date() - dt.timedelta(days=1)  # an interval may start the day before in UTC
        for offset in range(MAX_DAYS):
            yield day + dt.timedelta(days=offset)

    def add(self, start: dt.datetime, seconds: float) -> dt.datetime | None:
        """The instant `seconds` of working time after `start` (None if none is found within three years)."""
        remaining = dt.timedelta(seconds=max(seconds, 0))
        if not remaining:
            return start
        for day in self._days_from(start):
            for low, high in self.intervals(day):
                if high <= start:
                    continue
                low = max(low, start)
                if remaining <= high - low:
                    return low + remaining
                remaining -= high - low
        return None

    def between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working seconds from `start` to `end`."""
        total = dt.timedelta()
        if end <= start:
            return 0.0
        for day in self._days_from(start):
            for low, high in self.intervals(day):
                if low >= end:
                    return total.total_seconds()
                overlap = min(high, end) - max(low, start)
                if overlap > dt.timedelta():
                    total += overlap
        return total.total_seconds()


def target_seconds(target: dict | None, calendar: Calendar) -> float | None:
    """A target ({"working_days": 2} or {"working_hours": 4}) in working seconds; None when there is none."""
    if not target:
        return None
    return target.get("working_hours", 0) * 3600 + target.get("working_days", 0) * calendar.working_day_seconds()
