"""What the flows API accepts and returns. Examples are from Riverside: a voluntary group's booking system told
of the community room's bookings, the council's street-care system told of pothole reports."""
import datetime as dt

import marshmallow as ma

from civic.core.pagination import PageQuerySchema
from civic.core.schemas import ResourceSchema, StrictSchema
from civic.flows import composed
from civic.flows.deliveries import ATTEMPTS
from civic.flows.models import (AUTOMATION_STATUSES, DELIVERY_STATUSES, ENDPOINT_STATUSES, RUN_STATUSES,
                                SERVICE_STATUSES, SUBMISSION_STATUSES)

EXAMPLE_ENDPOINT_ID = "8d0f6c52-1e9b-4c7a-9a53-2f4b7d1e6c30"
EXAMPLE_DELIVERY_ID = "3c7e2a91-5b4d-4f0e-8c6a-9d1b2e3f4a50"
EXAMPLE_EVENT_ID = "f1a2b3c4-d5e6-4f70-8a91-b2c3d4e5f607"
EXAMPLE_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ENDPOINT = {"url": "https://bookings.riverside-community.org.uk/hooks/civic",
            "event_types": ["civic.booking.*", "civic.reporting.report_created"],
            "description": "Tell the community centre's booking system about room bookings",
            "reference": "community-centre", "metadata": {"owner": "facilities"}}


def _example_time(hours: int = 0) -> str:
    return (dt.datetime(2027, 3, 1, 10, 0, tzinfo=dt.timezone.utc) + dt.timedelta(hours=hours)).isoformat()


class EndpointSchema(ResourceSchema):
    """A webhook endpoint: a URL of yours that is sent the events it subscribed to, signed."""

    class Meta(ResourceSchema.Meta):
        example = ENDPOINT

    url = ma.fields.String(required=True, validate=ma.validate.Length(8, 2000),
                           metadata={"description": "Where events are POSTed: https (a public address, checked at "
                                                    "every delivery; redirects are never followed)."})
    event_types = ma.fields.List(ma.fields.String(validate=ma.validate.Length(1, 120)), required=True,
                                 validate=ma.validate.Length(1, 50),
                                 metadata={"description": "Exact types from GET /v1/events/types, `civic.<component>.*`, "
                                                          "or `*` for every event."})
    description = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))
    status = ma.fields.String(dump_only=True, metadata={"description": f"One of {', '.join(ENDPOINT_STATUSES)}."})
    disabled_reason = ma.fields.String(dump_only=True, allow_none=True, metadata={
        "description": "Why the platform disabled it: `gone` (it answered 410) or `failing` (5 days without a success)."})
    failing_since = ma.fields.AwareDateTime(dump_only=True, allow_none=True, format="iso")
    secret = ma.fields.String(dump_only=True, metadata={
        "description": "The signing secret (Standard Webhooks `whsec_...`): answered once, on create and on "
                       "rotate-secret, never again."})
    previous_secret_expires_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True, format="iso", metadata={
        "description": "After a rotation: until when deliveries are signed with the old secret too."})
    sandbox = ma.fields.Boolean(dump_only=True)


class EndpointUpdateSchema(EndpointSchema):
    """Changes to an endpoint: send only the fields to change (use with partial=True)."""

    class Meta(EndpointSchema.Meta):
        example = {"event_types": ["civic.booking.created", "civic.booking.cancelled"],
                   "description": "Only new and cancelled bookings"}


class EndpointQuerySchema(PageQuerySchema, StrictSchema):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(ENDPOINT_STATUSES))


class AttemptSchema(ma.Schema):
    class Meta:
        ordered = True

    number = ma.fields.Integer()
    started_at = ma.fields.AwareDateTime(format="iso")
    status = ma.fields.String(metadata={"description": "`succeeded` or `failed`."})
    response_code = ma.fields.Integer(allow_none=True, metadata={"description": "The HTTP status answered (none: no answer)."})
    latency_ms = ma.fields.Integer(allow_none=True)
    error = ma.fields.String(allow_none=True, metadata={"description": "What went wrong (the answer's start, truncated)."})
    next_attempt_at = ma.fields.AwareDateTime(allow_none=True, format="iso")


class DeliverySchema(ma.Schema):
    """One event sent to one endpoint, retried until it succeeds or fails for good."""

    class Meta:
        ordered = True
        example = {"id": EXAMPLE_DELIVERY_ID, "endpoint_id": EXAMPLE_ENDPOINT_ID, "event_id": EXAMPLE_EVENT_ID,
                   "event_type": "civic.booking.created", "status": "pending", "attempts": 1,
                   "next_attempt_at": _example_time(0), "last_response_code": 503,
                   "last_error": "answered 503: Service Unavailable", "created_at": _example_time(0),
                   "updated_at": _example_time(0), "finished_at": None, "sandbox": False}

    id = ma.fields.UUID()
    endpoint_id = ma.fields.UUID()
    event_id = ma.fields.UUID()
    event_type = ma.fields.String()
    status = ma.fields.String(metadata={"description": f"One of {', '.join(DELIVERY_STATUSES)}."})
    attempts = ma.fields.Integer(metadata={"description": f"Attempts made (the schedule makes up to {ATTEMPTS})."})
    next_attempt_at = ma.fields.AwareDateTime(allow_none=True, format="iso", metadata={
        "description": "When it is tried next (none while pending: held, the endpoint is paused or disabled)."})
    last_response_code = ma.fields.Integer(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime(format="iso")
    updated_at = ma.fields.AwareDateTime(format="iso")
    finished_at = ma.fields.AwareDateTime(allow_none=True, format="iso")
    sandbox = ma.fields.Boolean()


class DeliveryDetailSchema(DeliverySchema):
    """A delivery with what was sent and every attempt."""

    class Meta(DeliverySchema.Meta):
        example = {**DeliverySchema.Meta.example,
                   "payload": {"specversion": "1.0", "id": EXAMPLE_EVENT_ID, "source": "/civic/booking",
                               "type": "civic.booking.created", "time": "2027-03-01T10:00:00Z",
                               "subject": "2b6f0cf4-7a2e-4d4b-9f59-1f1f7a1f0a11", "datacontenttype": "application/json",
                               "data": {"booking_id": "2b6f0cf4-7a2e-4d4b-9f59-1f1f7a1f0a11", "sandbox": False}},
                   "attempt_log": [{"number": 1, "started_at": _example_time(0), "status": "failed",
                                    "response_code": 503, "latency_ms": 84, "error": "answered 503: Service Unavailable",
                                    "next_attempt_at": _example_time(0)}]}

    payload = ma.fields.Dict(attribute="envelope", metadata={"description": "The CloudEvent sent as the body."})
    attempt_log = ma.fields.List(ma.fields.Nested(AttemptSchema))


class DeliveryQuerySchema(PageQuerySchema, StrictSchema):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(DELIVERY_STATUSES))
    event_type = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 120))


class RecoverSchema(StrictSchema):
    """Replay every failed delivery of an endpoint made since a time."""

    class Meta(StrictSchema.Meta):
        example = {"since": _example_time(-24)}

    since = ma.fields.AwareDateTime(required=True, format="iso")
    until = ma.fields.AwareDateTime(load_default=None, allow_none=True, format="iso")

    @ma.validates_schema
    def _order(self, data, **_kwargs):
        if data.get("until") and data.get("since") and data["until"] <= data["since"]:
            raise ma.ValidationError("Must be after `since`.", "until")


class RecoveredSchema(ma.Schema):
    class Meta:
        ordered = True
        example = {"endpoint_id": EXAMPLE_ENDPOINT_ID, "since": _example_time(-24), "until": None, "replayed": 3,
                   "more": False}

    endpoint_id = ma.fields.UUID()
    since = ma.fields.AwareDateTime(format="iso")
    until = ma.fields.AwareDateTime(allow_none=True, format="iso")
    replayed = ma.fields.Integer(metadata={"description": "How many failed deliveries are being sent again now."})
    more = ma.fields.Boolean(metadata={"description": "More failed deliveries are left (500 a call): call again."})


class ActionSchema(ma.Schema):
    """Something a flow can ask a component to do."""

    class Meta(ma.Schema.Meta):
        example = {"name": "booking.release_hold", "component": "booking",
                   "description": "Give a held place back now (the person gave up, or did not pay).",
                   "scope": "booking:write",
                   "input_schema": {"type": "object", "properties": {"hold_id": {"type": "string", "format": "uuid"}},
                                    "required": ["hold_id"], "additionalProperties": False},
                   "output_schema": {"type": "object", "properties": {"status": {"type": "string"}}}}

    name = ma.fields.String(metadata={"description": "`<component>.<action>`: what a step names."})
    component = ma.fields.String()
    description = ma.fields.String()
    scope = ma.fields.String(metadata={"description": "The scope whoever a flow runs for must hold."})
    input_schema = ma.fields.Dict(metadata={"description": "JSON Schema of the step's input."})
    output_schema = ma.fields.Dict(metadata={"description": "JSON Schema of what the step gives back."})


class ActionListSchema(ma.Schema):
    class Meta(ma.Schema.Meta):
        example = {"items": [ActionSchema.Meta.example]}

    items = ma.fields.List(ma.fields.Nested(ActionSchema))


# --- automations ------------------------------------------------------------------------------
EXAMPLE_AUTOMATION_ID = "5e8a1c3d-7b2f-4a6e-9d10-3c4b5a6d7e80"
EXAMPLE_RUN_ID = "9b2c4d6e-8f01-4a23-b456-7c8d9e0f1a20"
AUTOMATION = {"name": "Fly-tipping opens a crew case", "trigger": "civic.reporting.report_created",
              "condition": 'event.data.category == "fly-tipping"',
              "steps": [{"action": "casework.create_case", "input": {
                  "case_type": "crew-job", "title": "Clear fly-tipping (report {{ event.data.report_id }})",
                  "links": [{"type": "reporting.report", "id": "{{ event.data.report_id }}"}]}}],
              "description": "Every fly-tipping report becomes a job for the street crew"}


class AutomationStepSchema(StrictSchema):
    action = ma.fields.String(required=True, validate=ma.validate.Length(1, 100),
                              metadata={"description": "An action's name from GET /v1/flows/actions."})
    input = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.Length(1, 100)), load_default=dict, metadata={
        "description": "The action's input, with `{{ event.data.x }}` or `{{ steps.0.output.id }}` placeholders."})


class AutomationSchema(ResourceSchema):
    """When an event happens and its condition holds, the platform runs the steps."""

    class Meta(ResourceSchema.Meta):
        example = AUTOMATION

    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    description = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))
    trigger = ma.fields.String(required=True, validate=ma.validate.Length(1, 120), metadata={
        "description": "The event type that starts it (GET /v1/events/types), `civic.<component>.*`, or `*`."})
    condition = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(1, 1000), metadata={
        "description": "A Common Expression Language expression over `event` that must be true, for example "
                       "`event.data.category == \"fly-tipping\"` (none: always)."})
    steps = ma.fields.List(ma.fields.Nested(AutomationStepSchema), required=True, validate=ma.validate.Length(1, 10))
    status = ma.fields.String(load_default="active", validate=ma.validate.OneOf(AUTOMATION_STATUSES),
                              metadata={"description": "`paused`: events do not start it."})
    scopes = ma.fields.List(ma.fields.String(), dump_only=True, metadata={
        "description": "What it runs with: the scopes its steps need (held by whoever saved it)."})
    version = ma.fields.Integer(dump_only=True)
    sandbox = ma.fields.Boolean(dump_only=True)


class AutomationUpdateSchema(AutomationSchema):
    """Changes to an automation (a new version): send only the fields to change."""

    class Meta(AutomationSchema.Meta):
        example = {"condition": 'event.data.category in ["fly-tipping", "abandoned-vehicle"]'}


class AutomationRunStepSchema(ma.Schema):
    action = ma.fields.String()
    status = ma.fields.String(metadata={"description": "succeeded or failed."})
    input = ma.fields.Raw(allow_none=True, metadata={"description": "What was sent to the action."})
    output = ma.fields.Raw(allow_none=True, metadata={"description": "Its answer's ids and states (never personal data)."})
    error = ma.fields.Raw(allow_none=True, metadata={"description": "`code`, `detail` (and `errors`) when it failed."})


class AutomationRunSchema(ma.Schema):
    class Meta:
        ordered = True
        example = {"id": EXAMPLE_RUN_ID, "automation_id": EXAMPLE_AUTOMATION_ID, "automation_version": 1,
                   "event_id": EXAMPLE_EVENT_ID, "event_type": "civic.reporting.report_created",
                   "status": "failed", "reason": "Step 0 (casework.create_case) failed: case_type_not_found.",
                   "failed_step": 0, "attempts": 1, "steps": [{"action": "casework.create_case", "status": "failed",
                                                              "input": {"case_type": "crew-job", "title": "Clear fly-tipping"},
                                                              "output": None, "error": {"code": "case_type_not_found",
                                                                                        "detail": "No case type crew-job."}}],
                   "created_at": _example_time(), "updated_at": _example_time()}

    id = ma.fields.UUID()
    automation_id = ma.fields.UUID()
    automation_version = ma.fields.Integer()
    event_id = ma.fields.UUID()
    event_type = ma.fields.String()
    event = ma.fields.Dict(metadata={"description": "The CloudEvent that started it (ids only)."})
    status = ma.fields.String(metadata={"description": f"One of {', '.join(RUN_STATUSES)}."})
    reason = ma.fields.String(allow_none=True)
    failed_step = ma.fields.Integer(allow_none=True)
    attempts = ma.fields.Integer()
    steps = ma.fields.List(ma.fields.Nested(AutomationRunStepSchema))
    created_at = ma.fields.AwareDateTime(format="iso")
    updated_at = ma.fields.AwareDateTime(format="iso")


class AutomationQuerySchema(PageQuerySchema, StrictSchema):
    status = ma.fields.String(validate=ma.validate.OneOf(AUTOMATION_STATUSES))


class AutomationRunQuerySchema(PageQuerySchema, StrictSchema):
    status = ma.fields.String(validate=ma.validate.OneOf(RUN_STATUSES))


class AutomationSampleSchema(StrictSchema):
    class Meta(StrictSchema.Meta):
        example = {"event": {"type": "civic.reporting.report_created", "subject": "3c1d2e4f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
                             "data": {"report_id": "3c1d2e4f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", "category": "fly-tipping",
                                      "status": "open", "sandbox": False}}}

    event = ma.fields.Dict(required=True, metadata={"description": "A CloudEvent as the platform sends it: `type`, "
                                                                   "`subject` and `data` at least."})

    @ma.validates("event")
    def _typed(self, value, **kwargs):
        if not isinstance(value.get("type"), str) or not isinstance(value.get("data", {}), dict):
            raise ma.ValidationError("An event has a `type` (text) and `data` (an object).")


class AutomationDryRunStepSchema(ma.Schema):
    action = ma.fields.String()
    input = ma.fields.Raw(allow_none=True, metadata={"description": "The input it would send (placeholders of "
                                                                   "earlier steps' outputs left as they are)."})
    errors = ma.fields.Raw(allow_none=True, metadata={"description": "What the action would refuse in it."})


class AutomationDryRunSchema(ma.Schema):
    class Meta:
        ordered = True
        example = {"triggers": True, "condition": True, "would_run": True, "error": None,
                   "steps": [{"action": "casework.create_case", "errors": None, "input": {
                       "case_type": "crew-job", "title": "Clear fly-tipping (report 3c1d2e4f-6a7b-4c8d-9e0f-1a2b3c4d5e6f)"}}]}

    triggers = ma.fields.Boolean(metadata={"description": "Whether the event's type is the trigger."})
    condition = ma.fields.Boolean(allow_none=True, metadata={"description": "The condition's answer for it."})
    would_run = ma.fields.Boolean()
    error = ma.fields.String(allow_none=True)
    steps = ma.fields.List(ma.fields.Nested(AutomationDryRunStepSchema))


# --- composed services -----------------------------------------------------------------------
EXAMPLE_SUBMISSION_ID = "6a4c2e8f-1b3d-4f5a-8c7e-9d0b1a2c3e47"
EXAMPLE_PAYMENT_ID = "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f"
DEMO_RESOURCE_ID = "0b7f6a5e-3c1d-4e8a-9f2b-6d4c8e1a2b3c"  # the booking API's example collection round
PAYMENT_ENDED = ["civic.payments.payment_failed", "civic.payments.payment_cancelled", "civic.payments.payment_expired"]
BULKY_WASTE = {
    "slug": "bulky-waste", "title": "Book a bulky-waste collection",
    "description": "Choose a collection slot, pay £25, and the crew collects up to three large items.",
    "form": {"type": "object", "required": ["name", "email", "start", "items"], "additionalProperties": False,
             "properties": {
                 "name": {"type": "string", "title": "Your name", "minLength": 1, "maxLength": 200},
                 "email": {"type": "string", "title": "Email address", "format": "email", "maxLength": 320},
                 "start": {"type": "string", "title": "Collection slot (its start)", "format": "date-time"},
                 "items": {"type": "array", "title": "What to collect", "minItems": 1, "maxItems": 3,
                           "items": {"type": "string", "minLength": 1, "maxLength": 100}}}},
    "steps": [
        {"action": "booking.hold", "input": {"resource_id": DEMO_RESOURCE_ID, "start": "{{ form.start }}", "minutes": 60},
         "undo": {"action": "booking.release_hold", "input": {"hold_id": "{{ steps.0.output.id }}"}}},
        {"action": "payments.create", "input": {
            "amount": 2500, "description": "Bulky waste collection", "reference": "{{ submission.id }}",
            "return_url": "https://council.example.org/bulky-waste/paid", "idempotency_key": "{{ submission.id }}",
            "link": {"type": "flows.submission", "id": "{{ submission.id }}"}},
         "undo": {"action": "payments.reverse", "input": {"payment_id": "{{ steps.1.output.id }}"}}},
        {"wait_for": "civic.payments.payment_succeeded", "match": {"payment_id": "{{ steps.1.output.id }}"},
         "fails_on": PAYMENT_ENDED, "timeout_minutes": 55,
         "next": {"do": "pay", "payment_id": "{{ steps.1.output.id }}",
                  "client_secret": "{{ steps.1.output.client_secret }}",
                  "publishable_key": "{{ steps.1.output.publishable_key }}"}},
        {"action": "booking.confirm_hold", "input": {"hold_id": "{{ steps.0.output.id }}",
                                                     "attendee": {"name": "{{ form.name }}", "email": "{{ form.email }}"}},
         "undo": {"action": "booking.cancel", "input": {"booking_id": "{{ steps.3.output.id }}",
                                                        "reason": "The collection could not be arranged."}}},
        {"action": "casework.create_case", "input": {
            "case_type": "bulky-collection", "title": "Collect bulky waste: {{ form.items }}",
            "links": [{"type": "booking.booking", "id": "{{ steps.3.output.id }}"}]}},
    ]}


def _collection_start() -> str:
    """A morning slot about three weeks ahead, on a working day (the example stays bookable as time passes)."""
    from civic.core.calendar import bank_holidays, zone

    day = dt.date.today() + dt.timedelta(weeks=3)
    while day.weekday() >= 5 or day in bank_holidays("england-and-wales"):
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(8), zone("Europe/London")).astimezone(dt.timezone.utc).isoformat()


class ServiceUndoSchema(StrictSchema):
    action = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    input = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.Length(1, 100)), load_default=dict)


class ServiceStepSchema(StrictSchema):
    """An action (`action`, `input`, optional `undo`) or a wait (`wait_for`, `match`, `timeout_minutes`, ...)."""

    action = ma.fields.String(validate=ma.validate.Length(1, 100), metadata={
        "description": "An action's name from GET /v1/flows/actions."})
    input = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.Length(1, 100)), metadata={
        "description": "The action's input, with `{{ form.x }}`, `{{ submission.id }}` or `{{ steps.0.output.id }}`."})
    undo = ma.fields.Nested(ServiceUndoSchema, metadata={
        "description": "What to do if a later step fails (undo steps run last first)."})
    wait_for = ma.fields.String(validate=ma.validate.Length(1, 120), metadata={
        "description": "Wait for an event of this exact type (GET /v1/events/types)."})
    match = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.Length(1, 100)), metadata={
        "description": "One field of the event's data and the value it must have, such as "
                       "`{\"payment_id\": \"{{ steps.1.output.id }}\"}`."})
    fails_on = ma.fields.List(ma.fields.String(validate=ma.validate.Length(1, 120)), validate=ma.validate.Length(max=10),
                              metadata={"description": "Event types (matched the same way) that fail the submission."})
    timeout_minutes = ma.fields.Integer(strict=True, validate=ma.validate.Range(1, composed.MAX_WAIT_MINUTES), metadata={
        "description": "How long to wait before failing it (up to 7 days)."})
    next = ma.fields.Dict(metadata={"description": "What the citizen must do meanwhile, shown on the submission "
                                                  "while it waits (for example a payment's client secret)."})

    @ma.validates_schema
    def _one_kind(self, data, **kwargs):
        waits = {"wait_for", "match", "fails_on", "timeout_minutes", "next"}
        if ("action" in data) == ("wait_for" in data):
            raise ma.ValidationError("A step has either `action` or `wait_for`.")
        if "action" in data and waits & set(data):
            raise ma.ValidationError(f"An action step does not take {', '.join(sorted(waits & set(data)))}.")
        if "wait_for" in data:
            if {"input", "undo"} & set(data):
                raise ma.ValidationError("A wait step takes no `input` or `undo`.")
            missing = [name for name in ("match", "timeout_minutes") if name not in data]
            if missing:
                raise ma.ValidationError(f"A wait step needs {' and '.join(missing)}.")


class ServiceSchema(ResourceSchema):
    """A service the organisation offers: the citizen's form and the steps that carry it out."""

    class Meta(ResourceSchema.Meta):
        example = BULKY_WASTE

    slug = ma.fields.String(required=True, validate=ma.validate.Regexp(
        r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$", error="Lower-case letters, digits and hyphens (up to 60)."),
        metadata={"description": "Its name in URLs: /v1/flows/services/{slug}/submissions."})
    title = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    description = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=1000))
    form = ma.fields.Dict(required=True, metadata={
        "description": "A JSON Schema (2020-12) of an object: the questions and what each answer must be."})
    steps = ma.fields.List(ma.fields.Nested(ServiceStepSchema), required=True,
                           validate=ma.validate.Length(1, composed.MAX_STEPS))
    version = ma.fields.Integer(dump_only=True, metadata={"description": "Goes up with each PUT."})
    current = ma.fields.Boolean(dump_only=True, metadata={
        "description": "Whether new submissions use this version (older ones: GET .../versions/{version})."})
    status = ma.fields.String(dump_only=True, metadata={"description": "`active`, or `retired` (no new submissions)."})
    scopes = ma.fields.List(ma.fields.String(), dump_only=True, metadata={
        "description": "What its submissions run with: the scopes its steps need (held by whoever published it)."})
    sandbox = ma.fields.Boolean(dump_only=True)


class ServiceVersionSchema(ServiceSchema):
    """A new version of a service: the whole definition again (its slug is in the URL)."""

    class Meta(ServiceSchema.Meta):
        example = {key: value for key, value in BULKY_WASTE.items() if key != "slug"}

    slug = ma.fields.String(dump_only=True)


class ServiceQuerySchema(PageQuerySchema, StrictSchema):
    status = ma.fields.String(validate=ma.validate.OneOf(SERVICE_STATUSES))


class SubmissionStepSchema(ma.Schema):
    action = ma.fields.String()
    wait_for = ma.fields.String()
    status = ma.fields.String(metadata={"description": "succeeded, failed, or waiting."})
    input = ma.fields.Raw(allow_none=True, metadata={"description": "What was sent to the action (or waited for), "
                                                                   "the citizen's answers in it shown as `[answer]`."})
    output = ma.fields.Raw(allow_none=True, metadata={"description": "Its answer's ids and states (never personal data)."})
    error = ma.fields.Raw(allow_none=True, metadata={"description": "`code`, `detail` (and `errors`) when it failed."})


class UndoneStepSchema(ma.Schema):
    step = ma.fields.Integer(metadata={"description": "The step it undid."})
    action = ma.fields.String()
    status = ma.fields.String()
    input = ma.fields.Raw(allow_none=True)
    error = ma.fields.Raw(allow_none=True)


def _submission_example() -> dict:
    return {"id": EXAMPLE_SUBMISSION_ID, "created_at": _example_time(), "updated_at": _example_time(),
            "reference": "web-8812", "metadata": {}, "slug": "bulky-waste", "service_version": 1, "status": "waiting",
            "step": 2, "reason": None, "waiting_until": _example_time(1),
            "next": {"do": "pay", "payment_id": EXAMPLE_PAYMENT_ID, "client_secret": "pi_3Q_secret_F6m2",
                     "publishable_key": "pk_test_51Demo"},
            "steps": [{"action": "booking.hold", "status": "succeeded", "input": {"resource_id": DEMO_RESOURCE_ID},
                       "output": {"id": "7c2d9e41-5a6b-4f8c-b3d1-2e9f0a7b6c54", "status": "held"}, "error": None},
                      {"action": "payments.create", "status": "succeeded", "input": {"amount": 2500},
                       "output": {"id": EXAMPLE_PAYMENT_ID}, "error": None},
                      {"wait_for": "civic.payments.payment_succeeded", "status": "waiting",
                       "input": {"payment_id": EXAMPLE_PAYMENT_ID}, "output": None, "error": None}],
            "undone": [], "needs_attention": False, "sandbox": True}


class SubmissionSchema(ResourceSchema):
    """A citizen's use of a service: where it is, what each step did, and what the citizen must do next."""

    class Meta(ResourceSchema.Meta):
        example = lambda: {"form": {"name": "Margaret Hughes", "email": "margaret.hughes@example.com",  # noqa: E731
                                    "start": _collection_start(), "items": ["sofa", "fridge"]},
                           "reference": "web-8812"}

    form = ma.fields.Dict(required=True, load_only=True, metadata={
        "description": "The citizen's answers, as the service's form asks (kept encrypted while it runs, then cleared)."})
    slug = ma.fields.String(dump_only=True)
    service_version = ma.fields.Integer(dump_only=True, metadata={"description": "The version it runs to its end."})
    status = ma.fields.String(dump_only=True, metadata={"description": f"One of {', '.join(SUBMISSION_STATUSES)}."})
    step = ma.fields.Integer(dump_only=True, metadata={"description": "The step it waits at, or failed at."})
    reason = ma.fields.String(dump_only=True, allow_none=True)
    waiting_until = ma.fields.AwareDateTime(dump_only=True, allow_none=True, format="iso")
    next = ma.fields.Function(lambda submission: composed.next_for(submission), dump_only=True, metadata={
        "description": "While it waits, to the app that submitted it: what the citizen must do (for a payment, "
                       "give `client_secret` to Stripe.js)."})
    needs_attention = ma.fields.Function(lambda submission: composed.needs_attention(submission), dump_only=True,
                                         metadata={"description": "Failed, and some of its undoing did not work (a "
                                                                  "payment already taken): a person must look."})
    steps = ma.fields.List(ma.fields.Nested(SubmissionStepSchema), dump_only=True)
    undone = ma.fields.List(ma.fields.Nested(UndoneStepSchema), dump_only=True, metadata={
        "description": "After a failure: each undo step run (last step first) and how it went."})
    sandbox = ma.fields.Boolean(dump_only=True)


class SubmissionAnswerSchema(SubmissionSchema):
    class Meta(SubmissionSchema.Meta):
        example = _submission_example


class SubmissionQuerySchema(PageQuerySchema, StrictSchema):
    status = ma.fields.String(validate=ma.validate.OneOf(SUBMISSION_STATUSES))
