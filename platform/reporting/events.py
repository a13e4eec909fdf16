"""Events the reporting component emits. None carries personal data: ids, codes, areas and counts.

Every `data` carries `sandbox` (true for a sandbox client's test reports), so a subscriber can tell
test from live. Emit them as `events.REPORT_CREATED.emit(tenant_id=..., subject=str(report.id), data=...)`.
"""
from marshmallow import Schema, fields

from civic.core.events import EventType

CLOSING_REASONS = ("fixed", "duplicate", "not_responsible", "referred")


class ReportCreatedData(Schema):
    report_id = fields.UUID(required=True)
    category = fields.String(required=True, metadata={"description": "The category's code."})
    category_id = fields.UUID(required=True)
    status = fields.String(required=True)
    area = fields.String(required=True, allow_none=True,
                         metadata={"description": "H3 cell at resolution 7, or null without a location."})
    source = fields.String(required=True, metadata={"description": '"api", "open311:<client>", ...'})
    sandbox = fields.Boolean(required=True)


class StatusChangedData(Schema):
    report_id = fields.UUID(required=True)
    category = fields.String(required=True)
    from_status = fields.String(required=True)
    status = fields.String(required=True)
    closing_reason = fields.String(required=True, allow_none=True)
    sandbox = fields.Boolean(required=True)


class TransferredData(Schema):
    report_id = fields.UUID(required=True)
    from_tenant_id = fields.UUID(required=True)
    to_tenant_id = fields.UUID(required=True)
    from_category = fields.String(required=True)
    to_category = fields.String(required=True)
    sandbox = fields.Boolean(required=True)


class DemandSpikeData(Schema):
    alert_id = fields.UUID(required=True)
    category = fields.String(required=True)
    category_id = fields.UUID(required=True)
    area = fields.String(required=True, metadata={"description": 'H3 cell at resolution 7, or "all".'})
    window_start = fields.AwareDateTime(required=True)
    window_end = fields.AwareDateTime(required=True)
    current = fields.Integer(required=True)
    baseline_mean = fields.Float(required=True)
    baseline_sd = fields.Float(required=True)
    threshold = fields.Float(required=True)
    sandbox = fields.Boolean(required=True, metadata={
        "description": "Always false: spikes are counted from live reports only."})


REPORT_CREATED = EventType("civic.reporting.report_created", "A report was made.", ReportCreatedData)
STATUS_CHANGED = EventType("civic.reporting.status_changed", "A report's status (or closing reason) changed.",
                           StatusChangedData)
TRANSFERRED = EventType("civic.reporting.transferred", "A report was passed to the organisation responsible "
                        "(emitted for the receiving organisation).", TransferredData)
DEMAND_SPIKE = EventType("civic.reporting.demand_spike", "A category (in an area) had far more reports in the last "
                         "7 days than in the 8 weeks before.", DemandSpikeData)
