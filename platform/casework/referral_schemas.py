"""What the agreements and referrals API accepts and returns."""
import re

import marshmallow as ma

from civic.casework.models import AGREEMENT_STATUSES, REFERRAL_STATUSES
from civic.casework.referrals import SHAREABLE
from civic.core import contact
from civic.core.pagination import PageQuerySchema
from civic.core.schemas import ResourceSchema, StrictSchema

PARTY_ROLES = ("controller", "joint_controller", "processor")
LAWFUL_BASES = ("consent", "contract", "legal_obligation", "vital_interests", "public_task", "legitimate_interests")
SPECIAL_CONDITIONS = ("explicit_consent", "employment_social_security", "vital_interests", "not_for_profit",
                      "made_public", "legal_claims", "substantial_public_interest", "health_social_care",
                      "public_health", "archiving_research")
OUTCOMES = ("completed", "did_not_engage", "declined_by_person", "referred_on", "other")
CUSTOM_FIELD = re.compile(r"^fields\.[A-Za-z0-9_]{1,63}$")
CASE_ID = "0f9a7c1e-3d2b-4c5a-9e8f-1a2b3c4d5e6f"


def _shareable(name: str) -> None:
    if name not in SHAREABLE and not CUSTOM_FIELD.match(name):
        raise ma.ValidationError(f"Not a shareable field: use {', '.join(SHAREABLE)} or fields.<custom field>.")


class AgreementSchema(ResourceSchema):
    """A data-sharing agreement between two organisations (what the ICO's data sharing code asks it to record)."""

    partner = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(1, 63),
                               metadata={"description": "The other organisation's slug."})
    tenant_id = ma.fields.UUID(dump_only=True, metadata={"description": "The proposing organisation."})
    partner_tenant_id = ma.fields.UUID(dump_only=True)
    title = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    proposer_role = ma.fields.String(required=True, validate=ma.validate.OneOf(PARTY_ROLES))
    partner_role = ma.fields.String(required=True, validate=ma.validate.OneOf(PARTY_ROLES))
    purpose = ma.fields.String(required=True, validate=ma.validate.Length(1, 5000))
    lawful_basis = ma.fields.String(required=True, validate=ma.validate.OneOf(LAWFUL_BASES),
                                    metadata={"description": "UK GDPR Article 6 basis."})
    special_category_condition = ma.fields.String(load_default=None, allow_none=True,
                                                  validate=ma.validate.OneOf(SPECIAL_CONDITIONS),
                                                  metadata={"description": "Article 9 condition, when special-category data is shared."})
    shared_fields = ma.fields.List(ma.fields.String(validate=_shareable), required=True,
                                   validate=ma.validate.Length(1, 50),
                                   metadata={"description": "Exactly what may cross: " + ", ".join(SHAREABLE)
                                             + ", or fields.<custom field>."})
    retention_days = ma.fields.Integer(required=True, validate=ma.validate.Range(1, 36500),
                                       metadata={"description": "How long the receiver keeps what it receives."})
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)
    review_on = ma.fields.Date(required=True)
    rights_contact = contact.Email(required=True, metadata={"description": "Where people send rights requests."})
    status = ma.fields.String(dump_only=True, metadata={"enum": list(AGREEMENT_STATUSES)})
    proposer_approved_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True, format="iso")
    proposer_approved_by = ma.fields.String(dump_only=True, allow_none=True)
    partner_approved_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True, format="iso")
    partner_approved_by = ma.fields.String(dump_only=True, allow_none=True)

    @ma.validates_schema
    def _dates(self, data, **_kwargs):
        if "starts_on" in data and "ends_on" in data and data["ends_on"] < data["starts_on"]:
            raise ma.ValidationError("Must be on or after starts_on.", "ends_on")

    class Meta(ResourceSchema.Meta):
        example = {"partner": "food-bank", "title": "Social prescribing referrals to befriending",
                   "proposer_role": "controller", "partner_role": "controller",
                   "purpose": "To refer isolated residents to the befriending service and hear how it went.",
                   "lawful_basis": "consent", "shared_fields": ["subject.name", "subject.phone", "title", "notes"],
                   "retention_days": 365, "starts_on": "2027-01-01", "ends_on": "2027-12-31",
                   "review_on": "2027-06-30", "rights_contact": "dpo@riverside.example"}


class AgreementQuerySchema(PageQuerySchema, StrictSchema):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(AGREEMENT_STATUSES))

    class Meta(StrictSchema.Meta):
        example = {"status": "active"}


class ReferralRequestSchema(ResourceSchema):
    """Refer this case under an agreement."""

    agreement_id = ma.fields.UUID(required=True)
    fields = ma.fields.List(ma.fields.String(), load_default=None,
                            metadata={"description": "Which of the agreement's fields to share (default: all of them)."})
    reason = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=2000),
                              metadata={"description": "Why you refer (only if the agreement lists `reason`)."})

    class Meta(ResourceSchema.Meta):
        example = {"agreement_id": "7c6b5a49-3827-4615-a0b9-c8d7e6f5a4b3", "fields": ["subject.name", "subject.phone"]}


class ReferralSchema(ma.Schema):
    """A referral, as the sender or the receiver sees it (the receiver: only what was shared)."""

    id = ma.fields.UUID()
    created_at = ma.fields.AwareDateTime(format="iso")
    updated_at = ma.fields.AwareDateTime(format="iso")
    direction = ma.fields.String(metadata={"enum": ["sent", "received"]})
    from_tenant_id = ma.fields.UUID()
    to_tenant_id = ma.fields.UUID()
    agreement_id = ma.fields.UUID()
    case_id = ma.fields.UUID(allow_none=True, metadata={"description": "The sender's case (shown to the sender only)."})
    shared = ma.fields.Dict(metadata={"description": "Exactly what crossed, under the agreement."})
    status = ma.fields.String(metadata={"enum": list(REFERRAL_STATUSES)})
    decline_reason = ma.fields.String(allow_none=True)
    receiver_case_id = ma.fields.UUID(allow_none=True)
    outcome = ma.fields.String(allow_none=True, metadata={"enum": [*OUTCOMES, None]})
    outcome_message = ma.fields.String(allow_none=True)
    answered_at = ma.fields.AwareDateTime(allow_none=True, format="iso")
    outcome_at = ma.fields.AwareDateTime(allow_none=True, format="iso")
    reference = ma.fields.String(allow_none=True)
    metadata_ = ma.fields.Dict(data_key="metadata")

    class Meta:
        example = {"id": "3a2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d", "created_at": "2027-03-01T10:00:00+00:00",
                   "updated_at": "2027-03-01T10:00:00+00:00", "direction": "received",
                   "from_tenant_id": "11111111-2222-4333-8444-555555555555",
                   "to_tenant_id": "66666666-7777-4888-9999-000000000000",
                   "agreement_id": "7c6b5a49-3827-4615-a0b9-c8d7e6f5a4b3", "case_id": None,
                   "shared": {"subject": {"name": "Alex Rivers", "phone": "+442079460018"}}, "status": "sent",
                   "decline_reason": None, "receiver_case_id": None, "outcome": None, "outcome_message": None,
                   "answered_at": None, "outcome_at": None, "reference": None, "metadata": {}}


class ReferralQuerySchema(PageQuerySchema, StrictSchema):
    direction = ma.fields.String(load_default="received", validate=ma.validate.OneOf(("sent", "received")))
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(REFERRAL_STATUSES))

    class Meta(StrictSchema.Meta):
        example = {"direction": "received", "status": "sent"}


class AcceptSchema(StrictSchema):
    case_type = ma.fields.String(required=True, metadata={"description": "Your case type's key for the new case."})
    team = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=100))
    assignee_id = ma.fields.UUID(load_default=None, allow_none=True)
    priority = ma.fields.String(load_default=None, allow_none=True)

    class Meta(StrictSchema.Meta):
        example = {"case_type": "befriending", "team": "volunteers"}


class DeclineSchema(StrictSchema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(1, 1000))

    class Meta(StrictSchema.Meta):
        example = {"reason": "Our waiting list is closed until May."}


class OutcomeSchema(StrictSchema):
    outcome = ma.fields.String(required=True, validate=ma.validate.OneOf(OUTCOMES))
    message = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=2000))

    class Meta(StrictSchema.Meta):
        example = {"outcome": "completed", "message": "Alex now walks with the Thursday group."}
