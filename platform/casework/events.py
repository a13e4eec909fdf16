"""The events casework emits: ids, states, codes and times, never the subject's details or notes.

Case events go to the case's organisation. Referral events go to the organisation that must act:
`referral_sent` to the receiver, `referral_accepted`/`_declined`/`_outcome` back to the sender.
"""
from marshmallow import Schema, fields

from civic.core.events import EventType


class _CaseData(Schema):
    case_id = fields.UUID(required=True)
    case_type = fields.String(required=True, metadata={"description": "The case type's key."})
    case_type_version = fields.Integer(required=True)
    state = fields.String(required=True)
    priority = fields.String(required=True)
    team = fields.String(required=True, allow_none=True)
    assignee_id = fields.UUID(required=True, allow_none=True)
    reference = fields.String(required=True, allow_none=True)
    sandbox = fields.Boolean(required=True)


class CaseCreatedData(_CaseData):
    source = fields.String(required=True, metadata={"description": '"api", "report:<report id>" or "referral:<id>".'})


class StateChangedData(_CaseData):
    from_state = fields.String(required=True)


class AssignedData(_CaseData):
    previous_assignee_id = fields.UUID(required=True, allow_none=True)
    previous_team = fields.String(required=True, allow_none=True)


class SlaData(_CaseData):
    clock = fields.String(required=True, metadata={"description": '"case" (the whole case) or "state".'})
    due_at = fields.AwareDateTime(required=True)


class _ReferralData(Schema):
    referral_id = fields.UUID(required=True)
    agreement_id = fields.UUID(required=True)
    from_tenant_id = fields.UUID(required=True)
    to_tenant_id = fields.UUID(required=True)
    status = fields.String(required=True)
    sandbox = fields.Boolean(required=True)


class ReferralAnsweredData(_ReferralData):
    receiver_case_id = fields.UUID(required=True, allow_none=True)


class ReferralOutcomeData(ReferralAnsweredData):
    outcome = fields.String(required=True)


CASE_CREATED = EventType("civic.casework.case_created", "A case was opened (by a person, an app, a report or a referral).",
                         CaseCreatedData)
STATE_CHANGED = EventType("civic.casework.state_changed", "A case moved to another state.", StateChangedData)
ASSIGNED = EventType("civic.casework.assigned", "A case was assigned, reassigned or moved to another team's queue.",
                     AssignedData)
SLA_WARNING = EventType("civic.casework.sla_warning", "A case's SLA target is due soon (CASEWORK_SLA_WARNING_HOURS).",
                        SlaData)
SLA_BREACHED = EventType("civic.casework.sla_breached", "A case missed an SLA target (once per target); it is now overdue.",
                         SlaData)
REFERRAL_SENT = EventType("civic.casework.referral_sent", "A case was referred to this organisation under an agreement.",
                          _ReferralData)
REFERRAL_ACCEPTED = EventType("civic.casework.referral_accepted", "The receiver accepted a referral and opened its own case.",
                              ReferralAnsweredData)
REFERRAL_DECLINED = EventType("civic.casework.referral_declined", "The receiver declined a referral (the reason is on the referral).",
                              ReferralAnsweredData)
REFERRAL_OUTCOME = EventType("civic.casework.referral_outcome", "The receiver reported the outcome of a referral.",
                             ReferralOutcomeData)


def case_data(case, case_type, **extra) -> dict:
    return {"case_id": str(case.id), "case_type": case_type.key, "case_type_version": case_type.version,
            "state": case.state, "priority": case.priority, "team": case.team,
            "assignee_id": str(case.assignee_id) if case.assignee_id else None, "reference": case.reference,
            "sandbox": bool(case.sandbox), **extra}


def referral_data(referral, **extra) -> dict:
    return {"referral_id": str(referral.id), "agreement_id": str(referral.agreement_id),
            "from_tenant_id": str(referral.tenant_id), "to_tenant_id": str(referral.to_tenant_id),
            "status": referral.status, "sandbox": bool(referral.sandbox), **extra}
