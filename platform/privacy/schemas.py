"""Bodies and answers of the privacy API."""
import datetime as dt

import marshmallow as ma
from civic.core import contact
from civic.core.calendar import BANK_HOLIDAY_REGIONS
from civic.core.pagination import PageQuerySchema
from civic.core.schemas import ResourceSchema, StrictSchema
from civic.privacy.models import CONSENT_CHANNELS, CONSENT_STATES, REQUEST_KINDS, STATES

SUBJECT = {"email": "sam@example.org", "phone": "020 7946 0018", "nhs_number": "943 476 5919",
           "name": "Sam Citizen", "date_of_birth": "1984-03-14", "postcode": "SW1A 1AA"}


class IdentifiersSchema(StrictSchema):
    """Who the person is: any of these, each normalised as every component stores it."""

    email = contact.Email(load_default=None, allow_none=True, metadata={"example": "sam@example.org"})
    phone = contact.Phone(load_default=None, allow_none=True,
                          metadata={"description": "UK unless it starts with +; answered in E.164."})
    nhs_number = contact.NhsNumber(load_default=None, allow_none=True,
                                   metadata={"description": "Ten digits with a valid check digit (spaces allowed)."})
    name = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(min=1, max=200),
                            metadata={"description": "Matched only with `date_of_birth`, case and spaces ignored."})
    date_of_birth = ma.fields.Date(load_default=None, allow_none=True)
    postcode = contact.Postcode(load_default=None, allow_none=True, metadata={
        "description": "An address, not a person: its matches are listed, never exported."})

    class Meta(StrictSchema.Meta):
        example = SUBJECT

    @ma.validates_schema
    def _name_with_birth(self, data, **kwargs):
        if bool(data.get("name")) != bool(data.get("date_of_birth")):
            missing = "date_of_birth" if data.get("name") else "name"
            raise ma.ValidationError("A name and a date of birth are matched together: send both.", missing)


class ReasonSchema(ma.Schema):
    identifier = ma.fields.String(metadata={"description": "email, phone, nhs_number, name_and_date_of_birth or postcode."})
    field = ma.fields.String(metadata={"description": "The record's field that holds it."})


class MatchSchema(ma.Schema):
    component = ma.fields.String()
    type = ma.fields.String()
    id = ma.fields.String()
    personal = ma.fields.Boolean(metadata={"description": "False when only a postcode matched: an address, "
                                                          "perhaps someone else at it. Such records are not exported."})
    reasons = ma.fields.List(ma.fields.Nested(ReasonSchema))


class SearchResultSchema(ma.Schema):
    identifiers = ma.fields.List(ma.fields.String(), metadata={"description": "The identifiers searched by."})
    components = ma.fields.List(ma.fields.String(), metadata={"description": "The components searched: those "
                                                                             "enabled for your organisation."})
    matches = ma.fields.List(ma.fields.Nested(MatchSchema))

    class Meta(ma.Schema.Meta):
        example = {"identifiers": ["email", "phone"], "components": ["booking", "casework", "reporting"],
                   "matches": [{"component": "booking", "type": "booking", "id": "0b6f1a2e-5c3d-4e8f-9a1b-7c2d3e4f5a60",
                                "personal": True, "reasons": [{"identifier": "email", "field": "attendee_email"},
                                                              {"identifier": "phone", "field": "attendee_phone"}]},
                               {"component": "reporting", "type": "report", "id": "3c1d2e4f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
                                "personal": True, "reasons": [{"identifier": "email", "field": "reporter_email"}]}]}


class HistorySchema(ma.Schema):
    at = ma.fields.String()
    on = ma.fields.String(metadata={"description": "The day it happened, as recorded."})
    state = ma.fields.String()
    user_id = ma.fields.String(allow_none=True)
    client_id = ma.fields.String(allow_none=True)


def _received_example() -> dict:
    return {"subject": {"email": "sam@example.org", "name": "Sam Citizen", "date_of_birth": "1984-03-14"},
            "received_on": dt.date.today().isoformat(), "reference": "SAR-2027-0007",
            "metadata": {"channel": "email"}}


class AccessRequestSchema(ResourceSchema):
    """A subject access request."""

    subject = ma.fields.Nested(IdentifiersSchema, required=True)
    kind = ma.fields.String(load_default="access", validate=ma.validate.OneOf(REQUEST_KINDS), metadata={
        "description": "What the person asked for: a copy of their data (`access`), its `erasure`, or its "
                       "correction (`rectification`). Each has the same statutory month."})
    details = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=2000), metadata={
        "description": "What the person said they want corrected or erased, in their words (kept encrypted)."})
    received_on = ma.fields.Date(load_default=None, metadata={"description": "Day one of the clock (default today, "
                                                                             "London time); not in the future."})
    region = ma.fields.String(load_default="england-and-wales", validate=ma.validate.OneOf(BANK_HOLIDAY_REGIONS),
                              metadata={"description": "Whose bank holidays move the deadline."})
    state = ma.fields.String(dump_only=True, validate=ma.validate.OneOf(STATES))
    due_on = ma.fields.Date(dump_only=True, metadata={"description": "The statutory deadline."})
    extension_months = ma.fields.Integer(dump_only=True)
    extension_reason = ma.fields.String(dump_only=True, allow_none=True)
    paused_days = ma.fields.Integer(dump_only=True, metadata={"description": "Days the clock stood still for identification."})
    paused_on = ma.fields.Date(dump_only=True, allow_none=True)
    refusal_reason = ma.fields.String(dump_only=True, allow_none=True)
    closed_on = ma.fields.Date(dump_only=True, allow_none=True)
    handled_by = ma.fields.UUID(dump_only=True, allow_none=True, metadata={"description": "The staff user who last moved it."})
    transitions = ma.fields.List(ma.fields.String(), dump_only=True)
    history = ma.fields.List(ma.fields.Nested(HistorySchema), dump_only=True)

    class Meta(ResourceSchema.Meta):
        example = _received_example


class AccessRequestQuerySchema(PageQuerySchema, StrictSchema):
    state = ma.fields.String(validate=ma.validate.OneOf(STATES))
    kind = ma.fields.String(validate=ma.validate.OneOf(REQUEST_KINDS))


class RequestTransitionSchema(StrictSchema):
    to = ma.fields.String(required=True, validate=ma.validate.OneOf(STATES[1:]))
    on = ma.fields.Date(load_default=None, metadata={"description": "For awaiting_id and in_progress: the day "
                                                                    "identification was asked for or arrived (default today)."})
    extension_months = ma.fields.Integer(load_default=None, validate=ma.validate.Range(1, 2),
                                         metadata={"description": "For extended: one or two further months."})
    reason = ma.fields.String(load_default=None, validate=ma.validate.Length(min=1, max=1000),
                              metadata={"description": "Needed for extended and refused: what the person is told."})

    class Meta(StrictSchema.Meta):
        example = {"to": "awaiting_id"}

    @ma.validates_schema
    def _needs(self, data, **kwargs):
        if data["to"] in ("extended", "refused") and not data.get("reason"):
            raise ma.ValidationError("Say why (the person is told).", "reason")
        if data["to"] == "extended" and not data.get("extension_months"):
            raise ma.ValidationError("One or two further months.", "extension_months")


class ExportSchema(ma.Schema):
    """Everything held about the subject, by component, and who accessed it."""

    request = ma.fields.Dict()
    organisation = ma.fields.String(allow_none=True)
    generated_at = ma.fields.String()
    subject = ma.fields.Dict(metadata={"description": "The identifiers the records were found by."})
    components = ma.fields.List(ma.fields.Dict(), metadata={
        "description": "Each enabled component holding personal data: its purpose, fields, retention and records."})
    access_log = ma.fields.List(ma.fields.Dict(), metadata={
        "description": "Every audit entry about those records: when, who (actor), what (action)."})

    class Meta(ma.Schema.Meta):
        example = {"request": {"id": "7d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6", "reference": "SAR-2027-0007",
                               "state": "in_progress", "received_on": "2027-01-31", "due_on": "2027-03-01"},
                   "organisation": "Riverside Borough Council", "generated_at": "2027-02-10T10:00:00+00:00",
                   "subject": {"email": "sam@example.org", "phone": None, "nhs_number": None, "name": None,
                               "date_of_birth": None, "postcode": None},
                   "components": [{"component": "booking", "purpose": "To contact the person about their booking "
                                   "and to know who to expect.", "fields": ["attendee_name", "attendee_email",
                                                                            "attendee_phone"],
                                   "retention_days": 730, "records": [{
                                       "type": "booking", "id": "0b6f1a2e-5c3d-4e8f-9a1b-7c2d3e4f5a60",
                                       "status": "confirmed", "attendee": {"name": "Sam Citizen",
                                                                           "email": "sam@example.org"}}]}],
                   "access_log": [{"time": "2027-01-12T09:30:00+00:00", "actor": "user:5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
                                   "action": "booking.personal_data_read", "record_type": "booking",
                                   "record_id": "0b6f1a2e-5c3d-4e8f-9a1b-7c2d3e4f5a60"}]}


# --- erasure and rectification ---------------------------------------------------------------
class ErasureSchema(ResourceSchema):
    """An erasure: what was erased (counts per component), never who (the identifiers are kept encrypted)."""

    subject = ma.fields.Nested(IdentifiersSchema, required=True, load_only=True, metadata={
        "description": "Who: email, phone, NHS number, or name with date of birth (a postcode alone names nobody). "
                       "Never answered back."})
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1000), metadata={
        "description": "Why, in words that name nobody (e.g. 'Article 17 request, consent withdrawn')."})
    subject_key = ma.fields.String(dump_only=True, metadata={
        "description": "The pseudonymous subject id the audit log and the event name the person by."})
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), dump_only=True,
                            metadata={"description": "Records changed per component."})
    referred_to = ma.fields.List(ma.fields.String(), dump_only=True, metadata={
        "description": "The organisations that received the person's data by referral, told by the event."})
    requested_by = ma.fields.UUID(dump_only=True, allow_none=True)
    applied_count = ma.fields.Integer(dump_only=True, metadata={"description": "How often it has been applied "
                                                                               "(again after a restore)."})
    reapplied_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True, format="iso")

    class Meta(ResourceSchema.Meta):
        example = {"subject": {"email": "sam@example.org", "phone": "020 7946 0018"},
                   "reason": "Erasure request received 2 March, consent withdrawn", "reference": "ERA-2027-0003"}


class ErasureQuerySchema(PageQuerySchema, StrictSchema):
    pass


class CorrectedSchema(IdentifiersSchema):
    """The corrected identifiers: any of them; a name alone is fine here (it is written, not matched)."""

    class Meta(IdentifiersSchema.Meta):
        example = {"email": "sam.citizen@example.org", "name": "Sam Citizen-Jones"}

    @ma.validates_schema
    def _name_with_birth(self, data, **kwargs):
        pass


class RectificationSchema(StrictSchema):
    subject = ma.fields.Nested(IdentifiersSchema, required=True, load_only=True,
                               metadata={"description": "Who, as held now."})
    to = ma.fields.Nested(CorrectedSchema, required=True, load_only=True,
                          metadata={"description": "The corrected values; identifiers not sent stay as they are."})
    subject_key = ma.fields.String(dump_only=True)
    changed = ma.fields.List(ma.fields.String(), dump_only=True, metadata={"description": "The identifiers corrected."})
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), dump_only=True,
                            metadata={"description": "Records changed per component."})

    class Meta(StrictSchema.Meta):
        example = {"subject": {"email": "sam@example.org"},
                   "to": {"email": "sam.citizen@example.org", "name": "Sam Citizen-Jones"}}


# --- retention -------------------------------------------------------------------------------
class RetentionClassSchema(ma.Schema):
    """One data class: what it holds, when its clock starts, and how long it is kept."""

    data_class = ma.fields.String()
    component = ma.fields.String()
    purpose = ma.fields.String()
    clock = ma.fields.String(metadata={"description": "The moment the period starts."})
    fields = ma.fields.List(ma.fields.String())
    default_days = ma.fields.Integer(metadata={"description": "The component's default period."})
    own_days = ma.fields.Integer(allow_none=True, metadata={"description": "Your organisation's period, if set."})
    days = ma.fields.Integer(metadata={"description": "The period applied, in days."})
    component_enabled = ma.fields.Boolean(metadata={
        "description": "Whether your organisation uses the component now (its data is cleared on time either way)."})


RETENTION_EXAMPLE = {"data_class": "booking", "component": "booking",
                     "purpose": "To contact the person about their booking and to know who to expect.",
                     "clock": "the booking's end", "fields": ["attendee_name", "attendee_email", "attendee_phone"],
                     "default_days": 730, "own_days": 180, "days": 180, "component_enabled": True}


class RetentionScheduleSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(RetentionClassSchema), required=True)

    class Meta(ma.Schema.Meta):
        example = {"items": [RETENTION_EXAMPLE]}


class RetentionPeriodSchema(StrictSchema):
    data_class = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=60))
    days = ma.fields.Integer(required=True, allow_none=True, strict=True,
                             validate=ma.validate.Range(min=1, max=36500),
                             metadata={"description": "Days kept after the clock starts; null: the default."})


class RetentionSetSchema(StrictSchema):
    """The periods to set (classes not named keep theirs)."""

    periods = ma.fields.List(ma.fields.Nested(RetentionPeriodSchema), required=True,
                             validate=ma.validate.Length(min=1, max=50))

    class Meta(StrictSchema.Meta):
        example = {"periods": [{"data_class": "booking", "days": 180}, {"data_class": "notify", "days": None}]}


class DryRunClassSchema(ma.Schema):
    data_class = ma.fields.String()
    days = ma.fields.Integer()
    cutoff = ma.fields.AwareDateTime(format="iso", metadata={"description": "Records whose clock started before this go."})
    count = ma.fields.Integer()
    ids = ma.fields.List(ma.fields.String(), metadata={"description": "Up to 100 of them (`count` is the whole number)."})


class DryRunSchema(ma.Schema):
    at = ma.fields.AwareDateTime(format="iso")
    classes = ma.fields.List(ma.fields.Nested(DryRunClassSchema))

    class Meta(ma.Schema.Meta):
        example = {"at": "2027-03-01T02:00:00+00:00", "classes": [
            {"data_class": "booking", "days": 180, "cutoff": "2026-09-02T02:00:00+00:00", "count": 1,
             "ids": ["0b6f1a2e-5c3d-4e8f-9a1b-7c2d3e4f5a60"]}]}


class RetentionRunSchema(ma.Schema):
    id = ma.fields.UUID()
    data_class = ma.fields.String()
    cutoff = ma.fields.AwareDateTime(format="iso")
    ids_count = ma.fields.Integer(metadata={"description": "Records cleared."})
    created_at = ma.fields.AwareDateTime(format="iso", metadata={"description": "When it ran."})

    class Meta(ma.Schema.Meta):
        example = {"id": "5d0c7f3e-2a1b-4c9d-8e7f-6a5b4c3d2e1f", "data_class": "booking",
                   "cutoff": "2026-09-02T02:00:00+00:00", "ids_count": 1, "created_at": "2027-03-01T02:00:00+00:00"}


class RetentionRunQuerySchema(PageQuerySchema):
    data_class = ma.fields.String(load_default=None)


# --- transparency ----------------------------------------------------------------------------
class SharedWithSchema(ma.Schema):
    title = ma.fields.String()
    with_ = ma.fields.String(data_key="with", attribute="with", metadata={"description": "The other organisation."})
    purpose = ma.fields.String()
    lawful_basis = ma.fields.String()
    fields = ma.fields.List(ma.fields.String())
    retention_days = ma.fields.Integer()
    starts_on = ma.fields.String()
    ends_on = ma.fields.String()
    rights_contact = ma.fields.String()


class RetainedSchema(ma.Schema):
    days = ma.fields.Integer(allow_none=True)
    from_ = ma.fields.String(data_key="from", attribute="from", allow_none=True,
                             metadata={"description": "The moment the period starts."})
    applied = ma.fields.Boolean(metadata={"description": "Whether the platform clears it on that schedule."})


class HeldSchema(ma.Schema):
    component = ma.fields.String()
    purpose = ma.fields.String()
    lawful_basis = ma.fields.String()
    lawful_basis_text = ma.fields.String()
    categories_of_people = ma.fields.List(ma.fields.String())
    categories_of_data = ma.fields.List(ma.fields.String())
    fields = ma.fields.List(ma.fields.String())
    retention = ma.fields.Nested(RetainedSchema)
    shared_with = ma.fields.List(ma.fields.Nested(SharedWithSchema))


class OrganisationSchema(ma.Schema):
    name = ma.fields.String()
    slug = ma.fields.String()
    contact = ma.fields.String(allow_none=True, metadata={"description": "Its privacy contact, if it gave one."})


HELD_EXAMPLE = {"component": "booking", "purpose": "To contact the person about their booking and to know who to expect.",
                "lawful_basis": "contract", "lawful_basis_text": "A contract with the person (Article 6(1)(b))",
                "categories_of_people": ["people who book a place, room or appointment"],
                "categories_of_data": ["name", "email address", "phone number"],
                "fields": ["attendee_name", "attendee_email", "attendee_phone"],
                "retention": {"days": 180, "from": "the booking's end", "applied": True}, "shared_with": []}


class TransparencySchema(ma.Schema):
    organisation = ma.fields.Nested(OrganisationSchema)
    generated_at = ma.fields.AwareDateTime(format="iso")
    components = ma.fields.List(ma.fields.Nested(HeldSchema))

    class Meta(ma.Schema.Meta):
        example = {"organisation": {"name": "Riverside Community Trust", "slug": "riverside", "contact": None},
                   "generated_at": "2027-03-01T09:00:00+00:00", "components": [HELD_EXAMPLE]}


class ActivitySchema(ma.Schema):
    component = ma.fields.String()
    purposes = ma.fields.List(ma.fields.String())
    lawful_basis = ma.fields.String()
    categories_of_people = ma.fields.List(ma.fields.String())
    categories_of_data = ma.fields.List(ma.fields.String())
    fields = ma.fields.List(ma.fields.String())
    recipients = ma.fields.String()
    transfers = ma.fields.List(ma.fields.String(), metadata={"description": "Transfers outside the UK (none)."})
    retention = ma.fields.Dict()
    security_measures = ma.fields.List(ma.fields.String())


class ControllerSchema(ma.Schema):
    name = ma.fields.String()
    slug = ma.fields.String()
    status = ma.fields.String()
    contact = ma.fields.String(allow_none=True)
    components = ma.fields.List(ma.fields.String())
    retention = ma.fields.Dict(metadata={"description": "Days kept, by component."})
    recipients = ma.fields.List(ma.fields.Nested(SharedWithSchema))


class ProcessingRecordSchema(ma.Schema):
    generated_at = ma.fields.AwareDateTime(format="iso")
    activities = ma.fields.List(ma.fields.Nested(ActivitySchema))
    controllers = ma.fields.List(ma.fields.Nested(ControllerSchema))

    class Meta(ma.Schema.Meta):
        example = {"generated_at": "2027-03-01T09:00:00+00:00", "activities": [{
            "component": "booking", "purposes": [HELD_EXAMPLE["purpose"]], "lawful_basis": "contract",
            "categories_of_people": HELD_EXAMPLE["categories_of_people"],
            "categories_of_data": HELD_EXAMPLE["categories_of_data"], "fields": HELD_EXAMPLE["fields"],
            "recipients": "None: used only by the organisation that holds it", "transfers": [],
            "retention": {"default_days": 730, "from": "the booking's end"},
            "security_measures": ["Every read and change of personal data is in an audit log."]}],
            "controllers": [{"name": "Riverside Community Trust", "slug": "riverside", "status": "active",
                             "contact": None, "components": ["booking"], "retention": {"booking": 180},
                             "recipients": []}]}


# --- the consent register ----------------------------------------------------------------------
PURPOSE = ma.validate.Regexp(r"^[a-z0-9][a-z0-9_\-]{0,49}$", error="Lower-case letters, digits, _ and -, up to 50.")
CONSENT_EXAMPLE = {"subject": {"email": "sam@example.org", "name": "Sam Citizen"}, "purpose": "newsletter",
                   "channel": "email", "description": "The monthly newsletter about events at the community centre",
                   "data_categories": ["name", "email address"], "collection_method": "sign-up form on our website",
                   "notice_url": "https://example.org/privacy", "reference": "SIGNUP-0042"}


class ConsentSubjectSchema(StrictSchema):
    """Who consented: at least one of email, phone or NHS number (a name alone reaches nobody)."""

    email = contact.Email(load_default=None, allow_none=True)
    phone = contact.Phone(load_default=None, allow_none=True,
                          metadata={"description": "UK unless it starts with +; answered in E.164."})
    nhs_number = contact.NhsNumber(load_default=None, allow_none=True)
    name = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(min=1, max=200))


class ConsentHistorySchema(ma.Schema):
    at = ma.fields.String()
    state = ma.fields.String(metadata={"description": "given or withdrawn."})
    method = ma.fields.String(metadata={"description": "How it was given or withdrawn."})
    user_id = ma.fields.String(allow_none=True)
    client_id = ma.fields.String(allow_none=True)
    terms = ma.fields.Dict(metadata={"description": "On a giving: what was agreed then (description, notice_url, "
                                                    "data_categories, shared_with, expires_at)."})


class ConsentSchema(ResourceSchema):
    """One person's consent to one purpose on one channel, and its history."""

    subject = ma.fields.Nested(ConsentSubjectSchema, required=True)
    purpose = ma.fields.String(required=True, validate=PURPOSE, metadata={
        "description": "Your own name for the purpose (`newsletter`; `referral` for sharing a case by referral). "
                       "The same name as a Notify message's `purpose`, so a withdrawal stops those messages."})
    channel = ma.fields.String(load_default="any", validate=ma.validate.OneOf(CONSENT_CHANNELS),
                               metadata={"description": "email, sms, letter, or any (the default)."})
    description = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1000), metadata={
        "description": "What the person agreed to, in the words they were shown."})
    data_categories = ma.fields.List(ma.fields.String(validate=ma.validate.Length(min=1, max=100)),
                                     load_default=list, validate=ma.validate.Length(max=30),
                                     metadata={"description": "Which of their data it covers."})
    shared_with = ma.fields.List(ma.fields.String(validate=ma.validate.Length(min=1, max=200)), load_default=list,
                                 validate=ma.validate.Length(max=30),
                                 metadata={"description": "Who else receives it under this consent, by name."})
    collection_method = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200), metadata={
        "description": "How it was given (a web form, a phone call, a paper form)."})
    notice_url = ma.fields.Url(load_default=None, allow_none=True, schemes={"https", "http"},
                               validate=ma.validate.Length(max=500),
                               metadata={"description": "The privacy notice the person was shown."})
    given_at = ma.fields.AwareDateTime(load_default=None, format="iso",
                                       metadata={"description": "When (default now); not in the future."})
    expires_at = ma.fields.AwareDateTime(load_default=None, allow_none=True, format="iso",
                                         metadata={"description": "When it lapses, if it does."})
    state = ma.fields.String(dump_only=True, validate=ma.validate.OneOf(CONSENT_STATES))
    live = ma.fields.Boolean(dump_only=True, metadata={"description": "Given, and not expired."})
    withdrawn_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True, format="iso")
    withdrawal_method = ma.fields.String(dump_only=True, allow_none=True)
    history = ma.fields.List(ma.fields.Nested(ConsentHistorySchema), dump_only=True)

    class Meta(ResourceSchema.Meta):
        example = CONSENT_EXAMPLE


class ConsentSearchSchema(StrictSchema):
    subject = ma.fields.Nested(ConsentSubjectSchema, required=True)
    purpose = ma.fields.String(load_default=None, validate=PURPOSE)

    class Meta(StrictSchema.Meta):
        example = {"subject": {"email": "sam@example.org"}}


CONSENT_SHOWN = {"id": "5d7c3b2a-1e4f-4a6b-8c9d-0e1f2a3b4c5d", "created_at": "2027-03-01T09:00:00+00:00",
                 "updated_at": "2027-03-01T09:00:00+00:00", "reference": "SIGNUP-0042", "metadata": {},
                 "subject": {"email": "sam@example.org", "phone": None, "nhs_number": None, "name": "Sam Citizen"},
                 "purpose": "newsletter", "channel": "email", "description": CONSENT_EXAMPLE["description"],
                 "data_categories": ["name", "email address"], "shared_with": [],
                 "collection_method": "sign-up form on our website", "notice_url": "https://example.org/privacy",
                 "given_at": "2027-03-01T09:00:00+00:00", "expires_at": None, "state": "given", "live": True,
                 "withdrawn_at": None, "withdrawal_method": None,
                 "history": [{"at": "2027-03-01T09:00:00+00:00", "state": "given",
                              "method": "sign-up form on our website", "user_id": None, "client_id": "cl_website",
                              "terms": {"description": CONSENT_EXAMPLE["description"],
                                        "notice_url": "https://example.org/privacy",
                                        "data_categories": ["name", "email address"], "shared_with": [],
                                        "expires_at": None}}]}


class ConsentListSchema(ma.Schema):
    class Meta(ma.Schema.Meta):
        example = {"items": [CONSENT_SHOWN]}

    items = ma.fields.List(ma.fields.Nested(ConsentSchema))


class WithdrawalSchema(StrictSchema):
    method = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200),
                              metadata={"description": "How the person withdrew (an email, a phone call)."})
    withdrawn_at = ma.fields.AwareDateTime(load_default=None, format="iso",
                                           metadata={"description": "When (default now); not before it was given."})

    class Meta(StrictSchema.Meta):
        example = {"method": "phone call to the centre"}


class WithdrawForSchema(StrictSchema):
    subject = ma.fields.Nested(ConsentSubjectSchema, required=True)
    purpose = ma.fields.String(required=True, validate=PURPOSE)
    method = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))


class WithdrawnSchema(ma.Schema):
    withdrawn = ma.fields.List(ma.fields.UUID(), metadata={"description": "The consents withdrawn now."})


class ConsentStateInSchema(StrictSchema):
    subject = ma.fields.Nested(ConsentSubjectSchema, required=True)
    purpose = ma.fields.String(required=True, validate=PURPOSE)


class ConsentStateSchema(ma.Schema):
    state = ma.fields.String(metadata={"description": "given, withdrawn, expired or none (nothing recorded)."})
    consent_id = ma.fields.UUID(allow_none=True)


class ReceiptPurposeSchema(ma.Schema):
    purpose = ma.fields.String()
    purposeCategory = ma.fields.List(ma.fields.String())
    consentType = ma.fields.String()
    piiCategory = ma.fields.List(ma.fields.String())
    primaryPurpose = ma.fields.Boolean()
    termination = ma.fields.String()
    thirdPartyDisclosure = ma.fields.Boolean()
    thirdPartyName = ma.fields.String(allow_none=True)


class ReceiptServiceSchema(ma.Schema):
    service = ma.fields.String()
    purposes = ma.fields.List(ma.fields.Nested(ReceiptPurposeSchema))


class ReceiptControllerSchema(ma.Schema):
    piiController = ma.fields.String()
    onBehalf = ma.fields.Boolean()
    contact = ma.fields.String()
    piiControllerUrl = ma.fields.String(allow_none=True)


class ReceiptSchema(ma.Schema):
    """A consent receipt in the Kantara Initiative's shape (v1.1 field names)."""

    class Meta(ma.Schema.Meta):
        ordered = True
        example = {"version": "KI-CR-v1.1.0", "jurisdiction": "GB", "language": "en", "consentTimestamp": 1803978000,
                   "collectionMethod": "sign-up form on our website",
                   "consentReceiptID": "5d7c3b2a-1e4f-4a6b-8c9d-0e1f2a3b4c5d", "publicKey": None,
                   "piiPrincipalId": "sam@example.org",
                   "piiControllers": [{"piiController": "Riverside Community Centre", "onBehalf": False,
                                       "contact": "privacy@riverside.example",
                                       "piiControllerUrl": "https://example.org/privacy"}],
                   "policyUrl": "https://example.org/privacy",
                   "services": [{"service": "newsletter", "purposes": [{
                       "purpose": CONSENT_EXAMPLE["description"], "purposeCategory": ["newsletter"],
                       "consentType": "EXPLICIT", "piiCategory": ["name", "email address"], "primaryPurpose": True,
                       "termination": "withdraw at any time by telling the organisation",
                       "thirdPartyDisclosure": False, "thirdPartyName": None}]}],
                   "sensitive": False, "spiCat": [], "state": "given", "withdrawnAt": None, "channel": "email"}

    version = ma.fields.String()
    jurisdiction = ma.fields.String()
    language = ma.fields.String()
    consentTimestamp = ma.fields.Integer(metadata={"description": "When it was given, in seconds since 1970."})
    collectionMethod = ma.fields.String()
    consentReceiptID = ma.fields.String()
    publicKey = ma.fields.String(allow_none=True)
    piiPrincipalId = ma.fields.String(metadata={"description": "The person, by email, phone or NHS number."})
    piiControllers = ma.fields.List(ma.fields.Nested(ReceiptControllerSchema))
    policyUrl = ma.fields.String(allow_none=True)
    services = ma.fields.List(ma.fields.Nested(ReceiptServiceSchema))
    sensitive = ma.fields.Boolean()
    spiCat = ma.fields.List(ma.fields.String())
    state = ma.fields.String(metadata={"description": "given or withdrawn (beyond the receipt's fields)."})
    withdrawnAt = ma.fields.Integer(allow_none=True)
    channel = ma.fields.String()
