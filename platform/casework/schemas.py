"""What the casework API accepts and returns: case types, cases and their work, queues and settings."""
import re

import marshmallow as ma

from civic.core import contact
from civic.core.calendar import BANK_HOLIDAY_REGIONS, zone_names
from civic.core.pagination import PageQuerySchema
from civic.core.schemas import LinkSchema, ResourceSchema, StrictSchema, check_metadata

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
ROLES = ("viewer", "caseworker", "tenant_admin")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _name(description: str, **kwargs) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.Regexp(NAME, error="Lower-case letters, digits, - and _ (up to 63)."),
                            metadata={"description": description}, **kwargs)


SOCIAL_PRESCRIBING = {
    "key": "social-prescribing", "name": "Social prescribing referral",
    "description": "A person referred to a link worker for non-medical support.",
    "states": [{"name": "new", "sla": {"working_days": 2}}, {"name": "triage", "sla": {"working_days": 5}},
               {"name": "waiting_for_client", "pauses_sla": True}, {"name": "referred"}, {"name": "closed"}],
    "initial_state": "new", "final_states": ["closed"],
    "transitions": [{"from": "new", "to": "triage"}, {"from": "triage", "to": "waiting_for_client"},
                    {"from": "waiting_for_client", "to": "triage"}, {"from": "triage", "to": "referred"},
                    {"from": "referred", "to": "closed"}, {"from": "triage", "to": "closed", "role": "tenant_admin"}],
    "sla": {"working_days": 20}, "priorities": ["routine", "urgent"], "default_priority": "routine",
    "fields_schema": {"type": "object", "properties": {"needs": {"type": "array", "items": {"type": "string"}},
                                                       "ward": {"type": "string"}}, "additionalProperties": False},
}


class TargetSchema(StrictSchema):
    """An SLA target in working time: give one of the two."""

    working_days = ma.fields.Float(validate=ma.validate.Range(0, 365, min_inclusive=False))
    working_hours = ma.fields.Float(validate=ma.validate.Range(0, 24 * 365, min_inclusive=False))

    @ma.validates_schema
    def _one(self, data, **_kwargs):
        if len(data) != 1:
            raise ma.ValidationError("Give either working_days or working_hours.")

    class Meta(StrictSchema.Meta):
        example = {"working_days": 2}


class StateSchema(StrictSchema):
    name = _name("The state's name, e.g. `triage`.", required=True)
    label = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=100))
    sla = ma.fields.Nested(TargetSchema, load_default=None, allow_none=True,
                           metadata={"description": "How long a case may stay in this state (working time)."})
    pauses_sla = ma.fields.Boolean(load_default=False,
                                   metadata={"description": "The whole-case clock stops while a case is here."})

    class Meta(StrictSchema.Meta):
        example = {"name": "waiting_for_client", "pauses_sla": True}


class TransitionSchema(StrictSchema):
    from_ = _name("From this state.", data_key="from", attribute="from", required=True)
    to = _name("To this state.", required=True)
    role = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.OneOf(ROLES),
                            metadata={"description": "The least staff role that may make the move (an app counts as caseworker)."})
    scope = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=100),
                             metadata={"description": "A scope the caller's token must hold for this move."})

    class Meta(StrictSchema.Meta):
        example = {"from": "triage", "to": "closed", "role": "tenant_admin"}


class CaseTypeSchema(ResourceSchema):
    """A case type (one version): its workflow, SLAs, priorities and custom fields."""

    key = _name("Stays the same across versions.", required=True)
    version = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    description = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=5000))
    states = ma.fields.List(ma.fields.Nested(StateSchema), required=True, validate=ma.validate.Length(1, 50))
    initial_state = _name("Where a new case starts.", required=True)
    final_states = ma.fields.List(ma.fields.String(), required=True, validate=ma.validate.Length(1, 50),
                                  metadata={"description": "A case in one of these is closed."})
    transitions = ma.fields.List(ma.fields.Nested(TransitionSchema), required=True, validate=ma.validate.Length(max=500))
    sla = ma.fields.Nested(TargetSchema, load_default=None, allow_none=True,
                           metadata={"description": "The whole case's target, paused in pausing states."})
    priorities = ma.fields.List(ma.fields.String(validate=ma.validate.Length(1, 30)), load_default=lambda: ["normal"],
                                validate=ma.validate.Length(1, 20))
    default_priority = ma.fields.String(load_default="normal")
    fields_schema = ma.fields.Dict(load_default=lambda: {"type": "object"},
                                   metadata={"description": "A JSON Schema (Draft 2020-12) for the cases' `fields`."})

    class Meta(ResourceSchema.Meta):
        example = SOCIAL_PRESCRIBING


class CaseTypeVersionSchema(CaseTypeSchema):
    """A new version of a case type: the whole definition again (the key stays)."""

    key = ma.fields.String(dump_only=True)

    class Meta(ResourceSchema.Meta):
        example = {k: v for k, v in SOCIAL_PRESCRIBING.items() if k != "key"}


class CaseTypeQuerySchema(PageQuerySchema, StrictSchema):
    key = ma.fields.String(load_default=None, metadata={"description": "Only the versions of this case type."})

    class Meta(StrictSchema.Meta):
        example = {"key": "social-prescribing"}


class SubjectSchema(StrictSchema):
    """The person the case is about (personal data)."""

    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    email = contact.Email(load_default=None, allow_none=True, validate=ma.validate.Length(max=320))
    phone = contact.Phone(load_default=None, allow_none=True)
    postcode = contact.Postcode(load_default=None, allow_none=True)
    date_of_birth = ma.fields.Date(load_default=None, allow_none=True)
    nhs_number = ma.fields.String(load_default=None, allow_none=True,
                                  metadata={"description": "10 digits (spaces allowed), checked by its check digit."})
    consent_to_share = ma.fields.Boolean(load_default=None, allow_none=True, load_only=True,
                                         metadata={"description": "True records the person's consent to share under "
                                                                  "a consent-based agreement; false withdraws it."})
    consent_recorded_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True, format="iso")

    class Meta(StrictSchema.Meta):
        example = {"name": "Alex Rivers", "phone": "020 7946 0018", "date_of_birth": "1950-04-02",
                   "nhs_number": "943 476 5919", "consent_to_share": True}


class CaseSchema(ResourceSchema):
    """A case."""

    case_type = _name("The case type's key (its newest version is used).", required=True, load_only=True)
    case_type_id = ma.fields.UUID(dump_only=True)
    case_type_key = ma.fields.String(dump_only=True)
    case_type_version = ma.fields.Integer(dump_only=True)
    state = ma.fields.String(dump_only=True)
    open = ma.fields.Boolean(dump_only=True)
    title = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    priority = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 30),
                                metadata={"description": "One of the case type's priorities (default: its default)."})
    fields = ma.fields.Dict(load_default=dict, metadata={"description": "Custom fields, checked by the case type's schema."})
    assignee_id = ma.fields.UUID(load_default=None, allow_none=True,
                                 metadata={"description": "A staff user of your organisation (their user_id)."})
    team = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=100),
                            metadata={"description": "The team queue the case is in."})
    subject = ma.fields.Nested(SubjectSchema, load_default=None, allow_none=True)
    links = ma.fields.List(ma.fields.Nested(LinkSchema), load_default=list, validate=ma.validate.Length(max=50))
    state_due_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True, format="iso")
    case_due_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True, format="iso")
    paused = ma.fields.Function(lambda c: c.paused_at is not None, dump_only=True)
    paused_seconds = ma.fields.Integer(dump_only=True, metadata={"description": "Time paused so far (wall clock, seconds)."})
    overdue = ma.fields.Boolean(dump_only=True)
    closed_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True, format="iso")
    referral_id = ma.fields.UUID(dump_only=True, allow_none=True)

    class Meta(ResourceSchema.Meta):
        example = {"case_type": "social-prescribing", "title": "Support to join a walking group", "priority": "routine",
                   "fields": {"ward": "Riverside North", "needs": ["isolation"]}, "team": "link-workers",
                   "subject": SubjectSchema.Meta.example, "links": [{"type": "reporting.report", "id": "0f9a7c1e-3d2b-4c5a-9e8f-1a2b3c4d5e6f"}],
                   "reference": "SP-2027-0042"}


class CaseUpdateSchema(StrictSchema):
    """Changes to a case: send only the fields to change."""

    title = ma.fields.String(validate=ma.validate.Length(1, 200))
    priority = ma.fields.String(validate=ma.validate.Length(1, 30))
    fields = ma.fields.Dict(metadata={"description": "Replaces the custom fields whole."})
    subject = ma.fields.Nested(SubjectSchema, allow_none=True)
    links = ma.fields.List(ma.fields.Nested(LinkSchema), validate=ma.validate.Length(max=50))
    reference = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=255))
    metadata_ = ma.fields.Dict(data_key="metadata", keys=ma.fields.String(), values=ma.fields.String(),
                              validate=check_metadata)

    class Meta(StrictSchema.Meta):
        example = {"priority": "urgent", "fields": {"ward": "Riverside North", "needs": ["isolation", "debt"]}}


class TransitionRequestSchema(StrictSchema):
    to = _name("The state to move to.", required=True)

    class Meta(StrictSchema.Meta):
        example = {"to": "triage"}


class AssignSchema(StrictSchema):
    assignee_id = ma.fields.UUID(required=True, allow_none=True,
                                 metadata={"description": "A staff user of your organisation, or null to unassign."})
    team = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=100))

    class Meta(StrictSchema.Meta):
        example = {"assignee_id": None, "team": "link-workers"}  # into the team's queue, for whoever is free


class MigrateSchema(StrictSchema):
    version = ma.fields.Integer(required=True, validate=ma.validate.Range(1, 1_000_000))
    state_map = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), load_default=dict,
                               metadata={"description": "Old state -> new state, for states the new version lacks."})

    class Meta(StrictSchema.Meta):
        example = {"version": 2, "state_map": {"waiting_for_client": "on_hold"}}


class NoteSchema(ResourceSchema):
    """A note on a case."""

    case_id = ma.fields.UUID(dump_only=True)
    body = ma.fields.String(required=True, validate=ma.validate.Length(min=1))
    shareable = ma.fields.Boolean(load_default=False,
                                  metadata={"description": "May be shared with a referral partner (if the agreement lists notes)."})
    author = ma.fields.String(dump_only=True)
    reference = ma.fields.String(dump_only=True)
    metadata_ = ma.fields.Dict(dump_only=True, data_key="metadata")

    class Meta(ResourceSchema.Meta):
        example = {"body": "Called Alex: keen on the Thursday walking group.", "shareable": True}


class AttachmentUploadSchema(StrictSchema):
    """A file to attach, as base64 in JSON (within the request size limit)."""

    filename = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    content_base64 = ma.fields.String(required=True, validate=ma.validate.Length(min=1),
                                      metadata={"description": "The file's bytes, base64: PDF, PNG, JPEG or plain text "
                                                               "(recognised by the content, not the name)."})

    class Meta(StrictSchema.Meta):
        example = {"filename": "notes.txt", "content_base64": "Q2FsbGVkIEFsZXg6IGtlZW4gb24gd2Fsa2luZy4="}


class AttachmentSchema(ma.Schema):
    """A file on a case (download its bytes from `.../content`)."""

    id = ma.fields.UUID()
    case_id = ma.fields.UUID()
    filename = ma.fields.String()
    content_type = ma.fields.String()
    size = ma.fields.Integer()
    sha256 = ma.fields.String()
    author = ma.fields.String()
    created_at = ma.fields.AwareDateTime(format="iso")

    class Meta:
        example = {"id": "2d3c4b5a-6f7e-4d8c-9b0a-1c2d3e4f5a6b", "case_id": "0f9a7c1e-3d2b-4c5a-9e8f-1a2b3c4d5e6f",
                   "filename": "consent-form.pdf", "content_type": "application/pdf", "size": 48213,
                   "sha256": "9f2c" + "0" * 60, "author": "user:5b0c1e2f-8a7d-4f6e-9c3b-2a1d0e9f8c7b",
                   "created_at": "2027-03-01T10:15:00+00:00"}


class TimelineEntrySchema(ma.Schema):
    at = ma.fields.AwareDateTime(format="iso")
    actor = ma.fields.String()
    kind = ma.fields.String()
    detail = ma.fields.Dict()

    class Meta:
        example = {"at": "2027-03-01T10:00:00+00:00", "actor": "user:5b0c1e2f-8a7d-4f6e-9c3b-2a1d0e9f8c7b",
                   "kind": "state_changed", "detail": {"from": "new", "to": "triage"}}


class TimelineSchema(ma.Schema):
    case_id = ma.fields.UUID()
    items = ma.fields.List(ma.fields.Nested(TimelineEntrySchema))

    class Meta:
        example = {"case_id": "0f9a7c1e-3d2b-4c5a-9e8f-1a2b3c4d5e6f", "items": [TimelineEntrySchema.Meta.example]}


class CaseQuerySchema(PageQuerySchema, StrictSchema):
    """Queue filters; the queue is sorted by the nearest due date, then id."""

    state = ma.fields.String(load_default=None)
    assignee_id = ma.fields.UUID(load_default=None)
    team = ma.fields.String(load_default=None)
    priority = ma.fields.String(load_default=None)
    case_type = ma.fields.String(load_default=None)
    open = ma.fields.Boolean(load_default=None)
    overdue = ma.fields.Boolean(load_default=None, metadata={"description": "Only cases past (or not past) a due date."})
    due_before = ma.fields.AwareDateTime(load_default=None)
    field = ma.fields.List(ma.fields.String(validate=ma.validate.Regexp(r"^[A-Za-z0-9_]{1,63}:.{0,200}$")),
                           load_default=list,
                           metadata={"description": "A custom field's value, `name:value` (repeat for several)."})
    reference = ma.fields.String(load_default=None)

    class Meta(StrictSchema.Meta):
        example = {"state": "triage", "team": "link-workers", "overdue": True, "field": ["ward:Riverside North"]}


class CaseCountsQuerySchema(StrictSchema):
    team = ma.fields.String(load_default=None)
    assignee_id = ma.fields.UUID(load_default=None)

    class Meta(StrictSchema.Meta):
        example = {"team": "link-workers"}


class CaseCountsSchema(ma.Schema):
    by_state = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    by_overdue = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                                metadata={"description": "Open cases: overdue, due_within_a_day, due_later, no_due_date, paused."})

    class Meta:
        example = {"by_state": {"new": 4, "triage": 11, "waiting_for_client": 3},
                   "by_overdue": {"overdue": 2, "due_within_a_day": 3, "due_later": 10, "no_due_date": 0, "paused": 3}}


class HoursSchema(StrictSchema):
    start = ma.fields.String(required=True, validate=ma.validate.Regexp(HHMM, error="Use HH:MM."))
    end = ma.fields.String(required=True, validate=ma.validate.Regexp(HHMM, error="Use HH:MM (24:00 for midnight)."))

    @ma.validates_schema
    def _ordered(self, data, **_kwargs):
        if data["end"] <= data["start"]:
            raise ma.ValidationError("The end must be after the start.", "end")

    class Meta(StrictSchema.Meta):
        example = {"start": "09:00", "end": "17:00"}


class IntakeRuleSchema(StrictSchema):
    report_category = ma.fields.String(required=True, validate=ma.validate.Length(1, 63),
                                       metadata={"description": "A reporting category's code."})
    case_type = _name("The case type to open (its newest version).", required=True)
    team = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=100))
    priority = ma.fields.String(load_default=None, allow_none=True)

    class Meta(StrictSchema.Meta):
        example = {"report_category": "fly-tipping", "case_type": "enforcement", "team": "street-scene"}


def _time_zone(name: str) -> None:
    if name not in zone_names():
        raise ma.ValidationError("Not a known time zone (for example Europe/London).")


class SettingsSchema(StrictSchema):
    """When your organisation works (for SLA clocks) and which reports open cases."""

    time_zone = ma.fields.String(load_default="Europe/London", validate=_time_zone)
    bank_holiday_region = ma.fields.String(load_default="england-and-wales", validate=ma.validate.OneOf(BANK_HOLIDAY_REGIONS))
    working_hours = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.OneOf(WEEKDAYS)),
                                   values=ma.fields.List(ma.fields.Nested(HoursSchema), validate=ma.validate.Length(max=6)),
                                   load_default=None,
                                   metadata={"description": "Local hours per weekday (default 09:00-17:00 Monday to Friday)."})
    intake = ma.fields.List(ma.fields.Nested(IntakeRuleSchema), load_default=list, validate=ma.validate.Length(max=100),
                            metadata={"description": "A report in one of these categories opens a case."})
    updated_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True, format="iso",
                                         metadata={"description": "Null until the settings are first saved."})

    class Meta(StrictSchema.Meta):
        example = {"time_zone": "Europe/London", "bank_holiday_region": "england-and-wales",
                   "working_hours": {d: [{"start": "09:00", "end": "17:00"}] for d in WEEKDAYS[:5]},
                   "intake": [IntakeRuleSchema.Meta.example]}
