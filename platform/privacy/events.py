"""The events privacy emits: ids, codes and counts, never an identifier of the person (a consent event
carries the consent id, its purpose and channel).

`subject_erased` goes to the organisation that erased, and once to each organisation its referrals passed
the person's data to (`referrals` then lists that organisation's referrals only), so they erase their copy.
"""
from marshmallow import Schema, fields

from civic.core.events import EventType


class ReferralData(Schema):
    tenant_id = fields.UUID(required=True, metadata={"description": "The organisation that received it."})
    referral_id = fields.UUID(required=True)


class SubjectErasedData(Schema):
    erasure_id = fields.UUID(required=True)
    erasing_tenant_id = fields.UUID(required=True)
    subject_key = fields.String(required=True, metadata={
        "description": "The pseudonymous subject id: a keyed hash of the identifiers, never the identifiers."})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                         metadata={"description": "Rows changed per component (empty in the event a referral "
                                                  "partner receives)."})
    referrals = fields.List(fields.Nested(ReferralData), required=True)
    sandbox = fields.Boolean(required=True)


SUBJECT_ERASED = EventType("civic.privacy.subject_erased",
                           "A person's data was erased; the organisations that received it by referral are told.",
                           SubjectErasedData)


class ConsentData(Schema):
    consent_id = fields.UUID(required=True)
    purpose = fields.String(required=True, metadata={"description": "The organisation's own name for the purpose."})
    channel = fields.String(required=True, metadata={"description": "email, sms, letter or any."})
    sandbox = fields.Boolean(required=True)


CONSENT_GIVEN = EventType("civic.privacy.consent_given",
                          "A person gave (or gave again) their consent to a purpose, recorded in the register.",
                          ConsentData)
CONSENT_WITHDRAWN = EventType("civic.privacy.consent_withdrawn",
                              "A person withdrew their consent to a purpose (messages for it stop).", ConsentData)
