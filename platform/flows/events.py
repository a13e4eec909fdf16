"""The events flows emits. Ids and codes only.

`civic.flows.test` (POST /v1/flows/webhooks/{id}/test) and `civic.flows.webhook_called` (the
`flows.call_webhook` action) are sent only to the endpoint they were asked for, never fanned out to the others.
"""
from marshmallow import Schema, fields

from civic.core.events import EventType


class EndpointDisabledData(Schema):
    endpoint_id = fields.UUID(required=True)
    cause = fields.String(required=True, metadata={"description": "A code: `gone` (it answered 410) or `failing` (5 days)."})
    sandbox = fields.Boolean(required=True)


class TestData(Schema):
    endpoint_id = fields.UUID(required=True)
    sandbox = fields.Boolean(required=True)


class SubmissionData(Schema):
    submission_id = fields.UUID(required=True)
    slug = fields.String(required=True, metadata={"description": "The service's slug."})
    service_version = fields.Integer(required=True)
    step = fields.Integer(required=True, metadata={"description": "Where it failed (the number of steps when completed)."})
    needs_attention = fields.Boolean(required=True, metadata={
        "description": "It failed and some of its undoing did not work (a payment already taken): a person must look."})
    sandbox = fields.Boolean(required=True)


SUBMISSION_COMPLETED = EventType("civic.flows.submission_completed",
                                 "A submission to a composed service did every step.", SubmissionData)
SUBMISSION_FAILED = EventType("civic.flows.submission_failed", "A submission to a composed service failed at a step "
                              "(a refusal, an event it fails on, its time running out); the steps before were undone.",
                              SubmissionData)


class CalledData(Schema):
    endpoint_id = fields.UUID(required=True)
    values = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                         metadata={"description": "What the automation's or service's step gave: ids and codes."})
    sandbox = fields.Boolean(required=True)


WEBHOOK_CALLED = EventType("civic.flows.webhook_called", "An automation's or a service's step told this endpoint "
                           "of something (`flows.call_webhook`); sent to that endpoint only.", CalledData)
ENDPOINT_DISABLED = EventType("civic.flows.endpoint_disabled",
                              "A webhook endpoint was disabled: it answered 410 Gone, or failed for 5 days.",
                              EndpointDisabledData)
TEST = EventType("civic.flows.test", "A test event, sent only to the endpoint it was asked for.", TestData)
NOT_FANNED_OUT = frozenset({TEST.type, WEBHOOK_CALLED.type})  # sent only to the endpoint they were asked for
