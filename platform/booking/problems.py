"""The booking component's error codes."""
from civic.core.errors import declare

SLOT_UNAVAILABLE = declare("slot_unavailable", 409, "Slot unavailable",
                           means="That slot is full: every place is booked or on hold.",
                           action="Choose another time from GET /v1/booking/resources/{id}/availability.")
RESOURCE_INACTIVE = declare("resource_inactive", 409, "Resource not taking bookings",
                            means="The resource is set inactive, so it takes no new holds or bookings.",
                            action="Book another resource, or set `active` to true on this one.")
CAPACITY_BELOW_BOOKINGS = declare("capacity_below_bookings", 409, "Capacity below bookings taken",
                                  means="A future slot already has more places taken than the new capacity.",
                                  action="Choose a capacity at least as large as the number in `errors`, or move bookings first.")
SLOT_TOO_LONG = declare("slot_too_long", 422, "Slot too long",
                        means="A slot and its buffers must fit in one day (1440 minutes).",
                        action="Shorten `slot_minutes` or the buffers.")
SLOTS_OVERLAP = declare("slots_overlap", 422, "Slots would overlap",
                        means="`step_minutes` is shorter than a slot plus its buffers, so slots would overlap.",
                        action="Make `step_minutes` at least slot_minutes + buffer_before_minutes + buffer_after_minutes.")
END_BEFORE_START = declare("end_before_start", 422, "End before start",
                           means="The end of the period or slot is not after its start.",
                           action="Send an end time later than the start.")
RANGE_TOO_LONG = declare("range_too_long", 422, "Period too long",
                         means="Availability is given for at most 62 days at a time.",
                         action="Ask for a shorter period, then page through later ones.")
SLOT_IN_PAST = declare("slot_in_past", 422, "Slot in the past",
                       means="That time has already passed.",
                       action="Choose a slot from the resource's availability.")
INSIDE_MINIMUM_NOTICE = declare("inside_minimum_notice", 422, "Too late to book",
                                means="The slot starts sooner than the resource's minimum notice allows.",
                                action="Choose a later slot (the resource's `min_notice_minutes` says how far ahead).")
BEYOND_BOOKING_WINDOW = declare("beyond_booking_window", 422, "Too far ahead",
                                means="The slot is further ahead than the resource takes bookings.",
                                action="Choose a slot within the resource's `max_advance_days`.")
BANK_HOLIDAY = declare("bank_holiday", 422, "Closed on the bank holiday",
                       means="The resource is closed on bank holidays and that day is one.",
                       action="Choose another day, or set `open_on_bank_holidays` on the resource.")
CLOSED_DAY = declare("closed_day", 422, "Closed at that time",
                     means="The resource is closed then (a closure, or no opening hours that day).",
                     action="Choose a slot from the resource's availability.")
OUTSIDE_OPENING_HOURS = declare("outside_opening_hours", 422, "Outside opening hours",
                                means="The time is outside the resource's opening hours.",
                                action="Choose a slot from the resource's availability.")
SLOT_NOT_ON_GRID = declare("slot_not_on_grid", 422, "Not the start of a slot",
                           means="Slots start at fixed times (every `step_minutes` from opening); this is not one, "
                                 "or `end` is not the slot's end.",
                           action="Use a `start` exactly as availability lists it, and leave `end` out.")
SAME_SLOT = declare("same_slot", 422, "Already in that slot",
                    means="The booking is already in the slot you asked to move it to.",
                    action="Choose a different slot, or leave the booking as it is.")
HOLD_EXPIRED = declare("hold_expired", 409, "Hold expired",
                       means="The hold ran out and its place was given back.",
                       action="Make a new hold (the slot may have been taken meanwhile).")
HOLD_NOT_ACTIVE = declare("hold_not_active", 409, "Hold already used",
                          means="The hold was already confirmed or released.",
                          action="Read the hold: if confirmed, its `booking_id` is the booking.")
BOOKING_CANCELLED = declare("booking_cancelled", 409, "Booking cancelled",
                            means="The booking is cancelled, so it cannot be cancelled again or moved.",
                            action="Make a new booking.")

# Why a time is not on offer (civic.booking.availability.why_not_offered), as the code answered.
NOT_OFFERED = {kind.code: kind for kind in (BANK_HOLIDAY, CLOSED_DAY, SLOT_NOT_ON_GRID, OUTSIDE_OPENING_HOURS)}
