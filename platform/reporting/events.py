"""Events the reporting component emits. None carries personal data."""

REPORT_CREATED = "civic.reporting.report_created"
"""A report was made. data: report_id, category (code), category_id, status ("open"),
area (H3 cell at resolution 7, or null without a location), source ("api", "open311:<client>")."""

STATUS_CHANGED = "civic.reporting.status_changed"
"""A report's status (or closing reason) changed. data: report_id, category, from_status, status,
closing_reason (fixed, duplicate, not_responsible, referred, or null)."""

TRANSFERRED = "civic.reporting.transferred"
"""A report was passed to the organisation responsible; emitted for the receiving tenant.
data: report_id, from_tenant_id, to_tenant_id, from_category, to_category."""

DEMAND_SPIKE = "civic.reporting.demand_spike"
"""A category (in an area) had far more reports in the last 7 days than in the 8 weeks before.
data: alert_id, category, category_id, area (H3 cell at resolution 7, or "all"), window_start,
window_end, current, baseline_mean, baseline_sd, threshold."""
