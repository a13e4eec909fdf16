"""What the booking API accepts and returns, with the examples the API documentation shows."""
import datetime as dt
import functools
import re
import zoneinfo

import marshmallow as ma

from civic.booking.availability import WEEKDAYS, bank_holidays, zone
from civic.booking.models import BANK_HOLIDAY_REGIONS, BOOKING_STATUSES, EXCEPTION_KINDS, HOLD_STATUSES
from civic.core import contact
from civic.core.pagination import PageQuerySchema
from civic.core.schemas import ResourceSchema, StrictSchema

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
MAX_HOLD_MINUTES = 60
When = ma.fields.AwareDateTime  # a time without an offset is rejected: we never guess the zone


# --- examples: the demo council's bulky-waste collection round -----------------------------------
WHEN = "2026-11-02T09:15:00+00:00"
RESOURCE_ID, HOLD_ID, BOOKING_ID = ("0b7f6a5e-3c1d-4e8a-9f2b-6d4c8e1a2b3c", "7c2d9e41-5a6b-4f8c-b3d1-2e9f0a7b6c54",
                                    "a41e6b0d-8c3f-4d2a-9e7b-5f1c3d8a0e96")
LONDON = zone("Europe/London")
RESOURCE = {"id": RESOURCE_ID, "created_at": WHEN, "updated_at": WHEN, "reference": "BW-NORTH",
            "metadata": {"ward": "Northgate"}, "name": "Bulky waste collection", "kind": "collection_round",
            "description": "Collection of up to three large household items from the kerbside.", "capacity": 8,
            "time_zone": "Europe/London", "slot_minutes": 240, "step_minutes": 240, "buffer_before_minutes": 0,
            "buffer_after_minutes": 0, "min_notice_minutes": 2880, "max_advance_days": 42,
            "bank_holiday_region": "england-and-wales", "open_on_bank_holidays": False,
            "opening_hours": {day: [{"start": "08:00", "end": "16:00"}] for day in WEEKDAYS[:5]}, "active": True}
ATTENDEE = {"name": "Margaret Hughes", "email": "margaret.hughes@example.com", "phone": "+447911123456"}


def collection_day(weeks: int = 2) -> dt.date:
    """A working day about `weeks` ahead (never a bank holiday): examples stay bookable as time passes."""
    day = dt.date.today() + dt.timedelta(weeks=weeks)
    while day.weekday() >= 5 or day in bank_holidays("england-and-wales"):
        day += dt.timedelta(days=1)
    return day


def _slot(hour: int, weeks: int = 2) -> tuple[str, str, str, str]:
    """A collection slot's start and end, in UTC and London time."""
    start = dt.datetime.combine(collection_day(weeks), dt.time(hour), LONDON)
    end = start + dt.timedelta(minutes=240)
    utc = dt.timezone.utc
    return start.astimezone(utc).isoformat(), end.astimezone(utc).isoformat(), start.isoformat(), end.isoformat()


def _slot_times(hour: int = 8) -> dict:
    start, end, start_local, end_local = _slot(hour)
    return {"resource_id": RESOURCE_ID, "start": start, "end": end, "time_zone": "Europe/London",
            "start_local": start_local, "end_local": end_local}


def _hold_example() -> dict:
    expires = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(minutes=10)
    return {"id": HOLD_ID, "created_at": WHEN, "updated_at": WHEN, "reference": "web-7731", "metadata": {},
            **_slot_times(), "minutes": 10, "expires_at": expires.isoformat(), "status": "held", "booking_id": None}


def _booking_example() -> dict:
    return {"id": BOOKING_ID, "created_at": WHEN, "updated_at": WHEN, "reference": "web-7731",
            "metadata": {"items": "sofa, fridge"}, **_slot_times(), "attendee": ATTENDEE, "status": "confirmed",
            "hold_id": None, "cancel_reason": None, "cancelled_at": None}


def _minutes(low: int, high: int, default: int | None, description: str) -> ma.fields.Integer:
    return ma.fields.Integer(load_default=default, validate=ma.validate.Range(low, high), metadata={"description": description})


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _time_zone(name: str) -> None:
    # Checked against the IANA list, not by trying to open it: ZoneInfo reads any name as a file path.
    if name not in _zone_names():
        raise ma.ValidationError("Not a known time zone (for example Europe/London).")


class TimeRangeSchema(StrictSchema):
    class Meta(StrictSchema.Meta):
        example = {"start": "08:00", "end": "16:00"}

    start = ma.fields.String(required=True, validate=ma.validate.Regexp(HHMM, error="Use HH:MM, e.g. 09:00."),
                             metadata={"example": "09:00"})
    end = ma.fields.String(required=True, validate=ma.validate.Regexp(HHMM, error="Use HH:MM, e.g. 17:00 (24:00 for midnight)."),
                           metadata={"example": "12:00"})

    @ma.validates_schema
    def _ordered(self, data, **_kwargs):
        if data["end"] <= data["start"]:
            raise ma.ValidationError("The end must be after the start.", "end")


def _check_week(week: dict) -> None:
    for day, ranges in week.items():
        spans = sorted((r["start"], r["end"]) for r in ranges)
        if any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:])):
            raise ma.ValidationError(f"The opening times on {day} overlap.")


class BookableSchema(ResourceSchema):
    """A bookable resource."""

    class Meta(ResourceSchema.Meta):
        example = RESOURCE

    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200), metadata={"example": "Bulky waste collection"})
    kind = ma.fields.String(load_default="appointment", validate=ma.validate.Length(1, 50),
                            metadata={"description": "Any label: room, appointment, collection_round, session, equipment...",
                                      "example": "collection_round"})
    description = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=5000))
    capacity = ma.fields.Integer(load_default=1, validate=ma.validate.Range(1, 10000),
                                 metadata={"description": "How many bookings one slot can hold."})
    time_zone = ma.fields.String(load_default="Europe/London", validate=_time_zone,
                                 metadata={"description": "Opening hours are in this time zone."})
    slot_minutes = _minutes(5, 24 * 60, 30, "How long one slot lasts.")
    step_minutes = _minutes(5, 24 * 60, None, "Minutes from one slot's start to the next. "
                            "Default: slot length plus buffers. Slots never overlap.")
    buffer_before_minutes = _minutes(0, 24 * 60, 0, "Time kept free before each slot.")
    buffer_after_minutes = _minutes(0, 24 * 60, 0, "Time kept free after each slot.")
    min_notice_minutes = _minutes(0, 365 * 24 * 60, 0, "How long before a slot starts it stops being bookable.")
    max_advance_days = _minutes(1, 730, 90, "How far ahead people can book, in days.")
    bank_holiday_region = ma.fields.String(load_default="england-and-wales", validate=ma.validate.OneOf(BANK_HOLIDAY_REGIONS),
                                           metadata={"description": "Whose UK bank holidays apply."})
    open_on_bank_holidays = ma.fields.Boolean(load_default=False,
                                              metadata={"description": "Closed on bank holidays unless this is true."})
    opening_hours = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.OneOf(WEEKDAYS)),
        values=ma.fields.List(ma.fields.Nested(TimeRangeSchema), validate=ma.validate.Length(max=24)),
        load_default=dict, validate=_check_week,
        metadata={"description": "Weekly hours in local time, several ranges a day allowed.",
                  "example": {"monday": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]}})
    active = ma.fields.Boolean(load_default=True, metadata={"description": "Inactive resources take no new bookings."})


class BookableUpdateSchema(BookableSchema):
    """Changes to a resource: send only the fields to change (use with partial=True)."""

    class Meta(BookableSchema.Meta):
        example = {**RESOURCE, "capacity": 10, "description": "Up to three large items; a fridge counts as one."}


class BookableQuerySchema(PageQuerySchema, StrictSchema):
    active = ma.fields.Boolean(load_default=None)
    kind = ma.fields.String(load_default=None)


class ExceptionSchema(ResourceSchema):
    """A dated closure or extra opening."""

    class Meta(ResourceSchema.Meta):
        example = lambda: {"id": "3e8b1c6f-2d4a-4b9e-8f7c-0a5d2e9b1c68", "created_at": WHEN, "updated_at": WHEN,  # noqa: E731
                           "reference": None, "metadata": {}, "resource_id": RESOURCE_ID,
                           "date": collection_day(4).isoformat(), "kind": "closed", "start_time": None,
                           "end_time": None, "reason": "Crew training day"}

    resource_id = ma.fields.UUID(dump_only=True)
    date = ma.fields.Date(required=True)
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(EXCEPTION_KINDS),
                            metadata={"description": "`closed` (all day, or from start to end) or `open` (extra hours)."})
    start_time = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Regexp(HHMM))
    end_time = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Regexp(HHMM))
    reason = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))

    @ma.validates_schema
    def _times(self, data, partial=None, **_kwargs):
        start, end = data.get("start_time"), data.get("end_time")
        if (start is None) != (end is None):
            raise ma.ValidationError("Give both start_time and end_time, or neither.", "end_time")
        if start is None and data.get("kind") == "open":
            raise ma.ValidationError("An extra opening needs start_time and end_time.", "start_time")
        if start is not None and end <= start:
            raise ma.ValidationError("The end must be after the start.", "end_time")


class AvailabilityQuerySchema(StrictSchema):
    from_ = When(data_key="from", required=True, metadata={"description": "Start of the period (with offset)."})
    to = When(required=True, metadata={"description": "End of the period (with offset); at most 62 days after `from`."})


class AvailableSlotSchema(ma.Schema):
    class Meta(ma.Schema.Meta):
        example = lambda: {key: value for key, value in _slot_times().items()  # noqa: E731
                           if key not in ("resource_id", "time_zone")} | {"capacity": 8, "remaining": 5}

    start = ma.fields.String(metadata={"description": "UTC."})
    end = ma.fields.String()
    start_local = ma.fields.String(metadata={"description": "The same instant in the resource's time zone."})
    end_local = ma.fields.String()
    capacity = ma.fields.Integer()
    remaining = ma.fields.Integer(metadata={"description": "Places still free (0 when full)."})


class Prebuilt(ma.fields.List):
    """A list the service already built as JSON-ready dicts: documented item by item, passed through as is.

    Availability can be a thousand slots; serialising each through marshmallow would cost more than finding them.
    """

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class AvailabilitySchema(ma.Schema):
    class Meta(ma.Schema.Meta):
        example = lambda: {"resource_id": RESOURCE_ID, "time_zone": "Europe/London",  # noqa: E731
                           "slots": [AvailableSlotSchema.Meta.example()]}

    resource_id = ma.fields.UUID()
    time_zone = ma.fields.String()
    slots = Prebuilt(ma.fields.Nested(AvailableSlotSchema))


class _SlotTimes(ma.Schema):
    """Start and end of a slot, in UTC and in the resource's local time."""

    resource_id = ma.fields.UUID(required=True)
    start = When(required=True, format="iso", metadata={"example": "2027-03-01T09:00:00+00:00"})
    end = When(load_default=None, format="iso",
               metadata={"description": "Optional; when given it must be the slot's end."})
    time_zone = ma.fields.String(dump_only=True, metadata={"description": "The resource's time zone."})
    start_local = ma.fields.Function(lambda obj: _local(obj, obj.start), dump_only=True,
                                     metadata={"description": "The start in the resource's local time."})
    end_local = ma.fields.Function(lambda obj: _local(obj, obj.end), dump_only=True)


def _local(obj, when) -> str:
    return when.astimezone(zone(obj.time_zone)).isoformat()


class HoldSchema(_SlotTimes, ResourceSchema):
    """A place kept for you for a few minutes."""

    class Meta(ResourceSchema.Meta):
        example = _hold_example

    minutes = ma.fields.Integer(load_only=True, load_default=10, validate=ma.validate.Range(1, MAX_HOLD_MINUTES),
                                metadata={"description": f"How long to hold the place (1-{MAX_HOLD_MINUTES} minutes, default 10)."})
    expires_at = When(dump_only=True, format="iso")
    status = ma.fields.String(dump_only=True, metadata={"enum": list(HOLD_STATUSES)})
    booking_id = ma.fields.UUID(dump_only=True, allow_none=True)


class AttendeeSchema(StrictSchema):
    """The person the booking is for (personal data: kept only as long as needed)."""

    class Meta(StrictSchema.Meta):
        example = ATTENDEE

    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    email = contact.Email(load_default=None, allow_none=True, validate=ma.validate.Length(max=320))
    phone = contact.Phone(load_default=None, allow_none=True,
                       metadata={"description": "UK numbers may omit +44; stored as +44..."})


class BookingSchema(_SlotTimes, ResourceSchema):
    """A booking."""

    class Meta(ResourceSchema.Meta):
        example = _booking_example

    attendee = ma.fields.Nested(AttendeeSchema, required=True)
    status = ma.fields.String(dump_only=True, metadata={"enum": list(BOOKING_STATUSES)})
    hold_id = ma.fields.UUID(dump_only=True, allow_none=True)
    cancel_reason = ma.fields.String(dump_only=True, allow_none=True)
    cancelled_at = When(dump_only=True, format="iso", allow_none=True)


class ConfirmHoldSchema(ResourceSchema):
    """Who the booking is for; `reference` and `metadata` default to the hold's."""

    class Meta(ResourceSchema.Meta):
        example = {"attendee": ATTENDEE, "metadata": {"items": "sofa, fridge"}}

    attendee = ma.fields.Nested(AttendeeSchema, required=True)


class BookingQuerySchema(PageQuerySchema, StrictSchema):
    resource_id = ma.fields.UUID(load_default=None)
    from_ = When(data_key="from", load_default=None, metadata={"description": "Bookings starting at or after this time."})
    to = When(load_default=None, metadata={"description": "Bookings starting before this time."})
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(BOOKING_STATUSES))
    reference = ma.fields.String(load_default=None)


class CancelSchema(StrictSchema):
    class Meta(StrictSchema.Meta):
        example = {"reason": "Resident took the items to the tip themselves."}

    reason = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=500),
                              metadata={"description": "Why it was cancelled (shown to staff)."})


class RescheduleSchema(StrictSchema):
    class Meta(StrictSchema.Meta):
        example = lambda: {"start": _slot(12)[2]}  # noqa: E731  (the afternoon slot of the same day)

    start = When(required=True, metadata={"description": "Start of the new slot."})
    end = When(load_default=None)


class DayQuerySchema(StrictSchema):
    date = ma.fields.Date(required=True, metadata={"example": "2027-03-01"})
    time_zone = ma.fields.String(load_default="Europe/London", validate=_time_zone)


class DayListSchema(ma.Schema):
    class Meta(ma.Schema.Meta):
        example = lambda: {"date": collection_day().isoformat(), "time_zone": "Europe/London",  # noqa: E731
                           "items": [_booking_example()]}

    date = ma.fields.Date()
    time_zone = ma.fields.String()
    items = ma.fields.List(ma.fields.Nested(BookingSchema))
