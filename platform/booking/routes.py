"""The booking API under /v1/booking: HTTP only, one service call per method."""
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from civic.booking import calendars, schemas, service
from civic.core import etag, formats
from civic.core.auth import current_tenant_id, require
from civic.core.pagination import page_schema

GUIDE = """Bookable resources, opening hours, free slots, holds and bookings. A slot never takes more
bookings (plus places on hold) than its capacity, however many people book at once.

**Set up a bulky-waste collection round in four steps.**

1. `POST /v1/booking/resources` with `{"name": "Bulky waste collection", "kind": "collection_round",
   "capacity": 8, "slot_minutes": 240, "opening_hours": {"monday": [{"start": "08:00", "end": "16:00"}], ...}}`.
   Times are local (Europe/London unless you set `time_zone`); bank holidays are closed
   unless you set `open_on_bank_holidays`. Add closures or extra days with `.../exceptions`.
2. Show free slots: `GET /v1/booking/resources/{id}/availability?from=...&to=...` (times with an offset).
3. Hold one while the person pays: `POST /v1/booking/holds` with `resource_id` and `start`; it lasts 10
   minutes (or `minutes`, up to 60), then the place is given back by itself.
4. Confirm it: `POST /v1/booking/holds/{id}/confirm` with the `attendee`. Later, move it with
   `.../reschedule` (same booking id) or `.../cancel` it.

Errors carry a stable `code`: `slot_unavailable` (full), `slot_not_on_grid`, `outside_opening_hours`,
`closed_day`, `bank_holiday`, `slot_in_past`, `inside_minimum_notice`, `beyond_booking_window`,
`end_before_start`, `hold_expired`, `capacity_below_bookings`. Send an `Idempotency-Key` header on
every POST that creates something, so a retry never books twice."""

blp = Blueprint("booking", __name__, url_prefix="/v1/booking", description=GUIDE)
READ, WRITE = "booking:read", "booking:write"
ICS_DOC = {"responses": {"200": {"description": "An iCalendar (.ics) file.",
                                 "content": {"text/calendar": {"schema": {"type": "string"}}}}}}


def _ics(body: bytes, filename: str) -> Response:
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": formats.attachment_disposition(filename)})


# --- resources -------------------------------------------------------------------
@blp.route("/resources")
class Resources(MethodView):
    @require(READ)
    @blp.arguments(schemas.BookableQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.BookableSchema))
    def get(self, query):
        """List the things people can book: rooms, appointments, collection rounds, sessions.

        Filter by `active` or `kind`; a page of 20 by default (`limit`, then `after` with the `next` cursor).
        A sandbox client sees only sandbox resources. Errors: `invalid_cursor`."""
        return service.list_resources(tenant_id=current_tenant_id(), **query)

    @require(WRITE)
    @blp.arguments(schemas.BookableSchema)
    @blp.response(201, schemas.BookableSchema)
    def post(self, data):
        """Add something people can book, with its capacity, slot length and weekly opening hours.

        The resource is bookable at once, in its time zone's local hours; bank holidays are closed unless
        `open_on_bank_holidays`. The answer carries an `ETag` for later changes. Nothing is sent to anyone.
        Errors: `slot_too_long`, `slots_overlap`."""
        return etag.tagged(service.create_resource(tenant_id=current_tenant_id(), **data), 201)


@blp.route("/resources/<resource_id>")
class ResourceById(MethodView):
    @require(READ)
    @blp.response(200, schemas.BookableSchema)
    def get(self, resource_id):
        """One bookable resource.

        With its `ETag` header, to send as `If-Match` when you change it."""
        return etag.tagged(service.get_resource(tenant_id=current_tenant_id(), resource_id=resource_id))

    @require(WRITE)
    @blp.doc(**etag.IF_MATCH_DOC)
    @blp.arguments(schemas.BookableUpdateSchema(partial=True))
    @blp.response(200, schemas.BookableSchema)
    def patch(self, data, resource_id):
        """Change a resource: send only the fields to change. Set `active` to false to stop new bookings.

        Send `If-Match` with the ETag you read to change it only if no one else has since. Existing bookings
        stay as they are; capacity cannot drop below the places already taken in a future slot.
        Errors: `precondition_failed`, `capacity_below_bookings`, `slot_too_long`, `slots_overlap`."""
        return etag.tagged(service.update_resource(tenant_id=current_tenant_id(), resource_id=resource_id,
                                                   if_match=etag.if_match(), **data))


@blp.route("/resources/<resource_id>/exceptions")
class Exceptions(MethodView):
    @require(READ)
    @blp.arguments(schemas.PageQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.ExceptionSchema))
    def get(self, query, resource_id):
        """List a resource's closures and extra openings.

        Oldest first, a page at a time. Errors: `invalid_cursor`."""
        return service.list_exceptions(tenant_id=current_tenant_id(), resource_id=resource_id, **query)

    @require(WRITE)
    @blp.arguments(schemas.ExceptionSchema)
    @blp.response(201, schemas.ExceptionSchema)
    def post(self, data, resource_id):
        """Close on a date (all day, or between two times), or open for extra hours on a date.

        Availability changes at once; bookings already made on that date are kept (cancel them if needed)."""
        return service.add_exception(tenant_id=current_tenant_id(), resource_id=resource_id, **data)


@blp.route("/resources/<resource_id>/exceptions/<exception_id>")
class ExceptionById(MethodView):
    @require(WRITE)
    @blp.response(204)
    def delete(self, resource_id, exception_id):
        """Remove a closure or extra opening.

        The resource's weekly hours apply to that date again."""
        service.delete_exception(tenant_id=current_tenant_id(), resource_id=resource_id, exception_id=exception_id)


@blp.route("/resources/<resource_id>/availability")
class Availability(MethodView):
    @require(READ)
    @blp.arguments(schemas.AvailabilityQuerySchema, location="query")
    @blp.response(200, schemas.AvailabilitySchema)
    def get(self, query, resource_id):
        """Free slots between two times (up to 62 days), with places left, in UTC and local time.

        `from` and `to` need a time zone offset (e.g. `2027-03-01T00:00:00Z`). Full slots are listed with
        `remaining` 0; slots inside the minimum notice or beyond the booking window are left out.
        Errors: `end_before_start`, `range_too_long`."""
        return service.availability(tenant_id=current_tenant_id(), resource_id=resource_id,
                                    start=query["from_"], end=query["to"])


@blp.route("/resources/<resource_id>/calendar.ics")
class ResourceCalendar(MethodView):
    @require(READ)
    @blp.doc(**ICS_DOC)
    def get(self, resource_id):
        """The resource's bookings as a calendar file, to add to a staff calendar (no personal details).

        An iCalendar (.ics) file with one event per slot that has bookings, and how many."""
        return _ics(calendars.resource_calendar(tenant_id=current_tenant_id(), resource_id=resource_id), "calendar.ics")


# --- holds -----------------------------------------------------------------------
@blp.route("/holds")
class Holds(MethodView):
    @require(WRITE)
    @blp.arguments(schemas.HoldSchema)
    @blp.response(201, schemas.HoldSchema)
    def post(self, data):
        """Keep a place for a few minutes (default 10) while the person pays or fills in details.

        The place counts as taken until the hold is confirmed, released or runs out; when it runs out
        the place is given back by itself and `civic.booking.hold_expired` is sent.
        Errors: `slot_unavailable`, `resource_inactive`, `slot_in_past`, `inside_minimum_notice`,
        `beyond_booking_window`, `bank_holiday`, `closed_day`, `outside_opening_hours`, `slot_not_on_grid`,
        `end_before_start`."""
        return service.create_hold(tenant_id=current_tenant_id(), **data)


@blp.route("/holds/<hold_id>")
class HoldById(MethodView):
    @require(READ)
    @blp.response(200, schemas.HoldSchema)
    def get(self, hold_id):
        """One hold: is it still held, confirmed, released or expired?

        A confirmed hold names its `booking_id`."""
        return service.get_hold(tenant_id=current_tenant_id(), hold_id=hold_id)


@blp.route("/holds/<hold_id>/confirm")
class HoldConfirm(MethodView):
    @require(WRITE)
    @blp.arguments(schemas.ConfirmHoldSchema)
    @blp.response(201, schemas.BookingSchema)
    def post(self, data, hold_id):
        """Turn a hold into a booking before it runs out.

        Sends `civic.booking.created` then `civic.booking.confirmed` (which the platform's message and
        payment components can act on). Errors: `hold_expired`, `hold_not_active`."""
        return service.confirm_hold(tenant_id=current_tenant_id(), hold_id=hold_id, **data)


@blp.route("/holds/<hold_id>/release")
class HoldRelease(MethodView):
    @require(WRITE)
    @blp.response(200, schemas.HoldSchema)
    def post(self, hold_id):
        """Give a held place back now (for example when the person gives up paying).

        The place is free for others at once. Errors: `hold_expired`, `hold_not_active`."""
        return service.release_hold(tenant_id=current_tenant_id(), hold_id=hold_id)


# --- bookings --------------------------------------------------------------------
@blp.route("/bookings")
class Bookings(MethodView):
    @require(READ)
    @blp.arguments(schemas.BookingQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.BookingSchema))
    def get(self, query):
        """List bookings, by resource, start time, status or your own reference.

        The answer has attendees' personal details: each read is recorded in the audit log.
        Errors: `invalid_cursor`."""
        return service.list_bookings(tenant_id=current_tenant_id(), **query)

    @require(WRITE)
    @blp.arguments(schemas.BookingSchema)
    @blp.response(201, schemas.BookingSchema)
    def post(self, data):
        """Book a place straight away (no hold first).

        Sends `civic.booking.created`. Errors: `slot_unavailable`, `resource_inactive`, `slot_in_past`,
        `inside_minimum_notice`, `beyond_booking_window`, `bank_holiday`, `closed_day`,
        `outside_opening_hours`, `slot_not_on_grid`, `end_before_start`."""
        return service.create_booking(tenant_id=current_tenant_id(), **data)


@blp.route("/bookings/<booking_id>")
class BookingById(MethodView):
    @require(READ)
    @blp.response(200, schemas.BookingSchema)
    def get(self, booking_id):
        """One booking, with the attendee's details.

        Your reading it is recorded in the audit log (ids only, never the details)."""
        return service.get_booking(tenant_id=current_tenant_id(), booking_id=booking_id)


@blp.route("/bookings/<booking_id>.ics")
class BookingCalendar(MethodView):
    @require(READ)
    @blp.doc(**ICS_DOC)
    def get(self, booking_id):
        """One booking as a calendar file, to attach to a confirmation message.

        An iCalendar (.ics) file with the slot's start and end; a cancelled booking's event says so."""
        return _ics(calendars.booking_calendar(tenant_id=current_tenant_id(), booking_id=booking_id), "booking.ics")


@blp.route("/bookings/<booking_id>/cancel")
class BookingCancel(MethodView):
    @require(WRITE)
    @blp.arguments(schemas.CancelSchema)
    @blp.response(200, schemas.BookingSchema)
    def post(self, data, booking_id):
        """Cancel a booking, with an optional reason; the place becomes free again.

        Sends `civic.booking.cancelled`. Errors: `booking_cancelled`."""
        return service.cancel_booking(tenant_id=current_tenant_id(), booking_id=booking_id,
                                      **data)


@blp.route("/bookings/<booking_id>/reschedule")
class BookingReschedule(MethodView):
    @require(WRITE)
    @blp.arguments(schemas.RescheduleSchema)
    @blp.response(200, schemas.BookingSchema)
    def post(self, data, booking_id):
        """Move a booking to another slot; it keeps its id. If the new slot is full, nothing changes.

        Sends `civic.booking.rescheduled`. Errors: `slot_unavailable`, `same_slot`, `booking_cancelled`,
        `slot_in_past`, `inside_minimum_notice`, `beyond_booking_window`, `bank_holiday`, `closed_day`,
        `outside_opening_hours`, `slot_not_on_grid`."""
        return service.reschedule_booking(tenant_id=current_tenant_id(), booking_id=booking_id,
                                          **data)


@blp.route("/day")
class DayList(MethodView):
    @require(READ)
    @blp.arguments(schemas.DayQuerySchema, location="query")
    @blp.response(200, schemas.DayListSchema)
    def get(self, query):
        """Everyone booked on one day across all your resources, in time order: the list to print at reception.

        Cancelled bookings are left out. The answer has attendees' personal details: the read is audited."""
        return service.day_list(tenant_id=current_tenant_id(), **query)
