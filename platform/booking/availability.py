"""The slot grid: which slot starts a resource offers on a day, in its own local time.

Opening hours are local wall-clock times ("09:00-12:00" in Europe/London), so a
09:00 slot is 09:00 UTC in winter and 08:00 UTC in summer. On the night the
clocks go forward, a wall-clock time that does not exist is not offered; on
the night they go back, a repeated wall-clock time is offered once (its first
occurrence).
"""
import dataclasses
import datetime as dt
import zoneinfo

from civic.core.calendar import bank_holidays, zone  # noqa: F401  (booking's callers use them from here)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
UTC = dt.timezone.utc


def minutes(hhmm: str) -> int:
    """"09:30" -> 570; "24:00" is the end of the day."""
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


@dataclasses.dataclass
class Day:
    """One local day of a resource: its slot starts (UTC), its open ranges (minutes) and why it is closed."""

    date: dt.date
    starts: list[dt.datetime]
    open_ranges: list[tuple[int, int]]
    closed_ranges: list[tuple[int, int]]
    closed_reason: str | None = None  # "bank_holiday" or "closed_day" when nothing is open
    offset: dt.timedelta | None = None  # the day's UTC offset, None when the clocks change that day


def local_instant(day: dt.date, minute: int, tz: zoneinfo.ZoneInfo) -> dt.datetime | None:
    """The UTC instant of a local wall-clock minute of a day, or None if the clocks skip it."""
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)
    aware = naive.replace(tzinfo=tz)
    utc = aware.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != naive:
        return None  # in the gap when the clocks go forward
    return utc


def _instants(day: dt.date, wall_minutes: list[int], tz: zoneinfo.ZoneInfo) -> tuple[list[dt.datetime], dt.timedelta | None]:
    """UTC instants of local minutes of a day, and the day's UTC offset (None on a day the clocks change)."""
    midnight = dt.datetime.combine(day, dt.time())
    first, last = (midnight.replace(tzinfo=tz).utcoffset(),
                   (midnight + dt.timedelta(hours=23, minutes=59)).replace(tzinfo=tz).utcoffset())
    if first == last:
        base = (midnight - first).replace(tzinfo=UTC)
        return [base + dt.timedelta(minutes=m) for m in wall_minutes], first
    return [t for t in (local_instant(day, m, tz) for m in wall_minutes) if t is not None], None


def plan_day(resource, day: dt.date, exceptions: list) -> Day:
    """Work out the slots of one local day from the weekly hours, bank holidays and dated exceptions."""
    ranges = [(minutes(r["start"]), minutes(r["end"])) for r in (resource.opening_hours or {}).get(WEEKDAYS[day.weekday()], [])]
    reason = None if ranges else "closed_day"
    if ranges and not resource.open_on_bank_holidays and day in bank_holidays(resource.bank_holiday_region):
        ranges, reason = [], "bank_holiday"
    closed: list[tuple[int, int]] = []
    for exc in exceptions:
        if exc.kind == "open":
            ranges.append((minutes(exc.start_time), minutes(exc.end_time)))
        elif exc.start_time is None:
            closed.append((0, 24 * 60))
        else:
            closed.append((minutes(exc.start_time), minutes(exc.end_time)))
    if any(c == (0, 24 * 60) for c in closed) and ranges:
        reason = "closed_day"
    tz = zone(resource.time_zone)
    length, before, after = resource.slot_minutes, resource.buffer_before_minutes, resource.buffer_after_minutes
    wall_starts: set[int] = set()
    for open_from, open_to in ranges:
        start = open_from + before
        while start + length + after <= open_to:
            if not any(start < c_end and c_start < start + length for c_start, c_end in closed):
                wall_starts.add(start)
            start += resource.step_minutes
    starts, offset = _instants(day, sorted(wall_starts), tz)
    if starts:
        reason = None
    elif reason is None:
        reason = "closed_day" if closed else None
    return Day(day, starts, ranges, closed, reason, offset)


def local_dates(resource, start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    """Every local date that the UTC interval [start, end] touches."""
    tz = zone(resource.time_zone)
    first, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _offset_text(offset: dt.timedelta) -> str:
    minutes_east = int(offset.total_seconds() // 60)
    sign = "+" if minutes_east >= 0 else "-"
    return f"{sign}{abs(minutes_east) // 60:02d}:{abs(minutes_east) % 60:02d}"


def describe(resource, start: dt.datetime, end: dt.datetime, exceptions_by_date: dict, used: dict) -> list[dict]:
    """Every slot from `start` (inclusive) to `end` (exclusive) with places left, as JSON-ready dicts.

    Built by hand rather than by a schema: a month of 15-minute slots is thousands of them.
    """
    tz, length, capacity = zone(resource.time_zone), dt.timedelta(minutes=resource.slot_minutes), resource.capacity
    found = []
    for day in local_dates(resource, start, end):
        plan = plan_day(resource, day, exceptions_by_date.get(day, []))
        offset = plan.offset
        suffix = _offset_text(offset) if offset is not None else ""
        for t in plan.starts:
            if not start <= t < end:
                continue
            naive, finish = t.replace(tzinfo=None), t + length
            if offset is None:
                local, local_end = t.astimezone(tz).isoformat(), finish.astimezone(tz).isoformat()
            else:
                local, local_end = (naive + offset).isoformat() + suffix, (naive + length + offset).isoformat() + suffix
            found.append({"start": naive.isoformat() + "+00:00", "end": (naive + length).isoformat() + "+00:00",
                          "start_local": local, "end_local": local_end, "capacity": capacity,
                          "remaining": max(capacity - used.get(t, 0), 0)})
    return found


def why_not_offered(resource, day: Day, start: dt.datetime) -> str:
    """The stable code for a start time that is not one of the day's slots."""
    if day.closed_reason:
        return day.closed_reason
    local = start.astimezone(zone(resource.time_zone))
    minute = local.hour * 60 + local.minute + (1 if local.second or local.microsecond else 0)
    if any(c_from <= minute < c_to for c_from, c_to in day.closed_ranges):
        return "closed_day"
    if any(o_from <= minute < o_to for o_from, o_to in day.open_ranges):
        return "slot_not_on_grid"
    return "outside_opening_hours"
