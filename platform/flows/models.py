"""Flows tables: webhook endpoints (subscriptions), one delivery per event and endpoint, and every attempt.

Every table is `Sandboxed`: a sandbox client's endpoints get the sandbox world's events only, a live client's
the live world's. The signing secrets are stored encrypted (`civic.core.crypto`), never in plain text.
"""
import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from civic.core.db import Base, Entity, utcnow
from civic.core.tenancy import Sandboxed, TenantOwned, tenant_column

ENDPOINT_STATUSES = ("active", "paused", "disabled")
DELIVERY_STATUSES = ("pending", "succeeded", "failed")


class Endpoint(TenantOwned, Sandboxed, Entity, Base):
    """A URL of the organisation's that is sent the events it subscribed to, signed with its secret."""

    __tablename__ = "flows_endpoint"

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    url: Mapped[str] = mapped_column(sa.Text)
    event_types: Mapped[list] = mapped_column(default=list)  # exact types, `civic.<component>.*` or `*`
    description: Mapped[str | None] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(10), default="active")
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(200))
    secret_ciphertext: Mapped[str] = mapped_column(sa.Text)
    previous_secret_ciphertext: Mapped[str | None] = mapped_column(sa.Text)
    previous_secret_expires_at: Mapped[dt.datetime | None]
    failing_since: Mapped[dt.datetime | None]  # the first failure since the last success
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)


class Delivery(TenantOwned, Sandboxed, Entity, Base):
    """One event sent to one endpoint: retried on the schedule until it succeeds or fails for good."""

    __tablename__ = "flows_delivery"
    __table_args__ = (sa.UniqueConstraint("endpoint_id", "event_id", name="uq_flows_delivery_event"),
                      sa.Index("ix_flows_delivery_endpoint_status", "endpoint_id", "status"))

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    endpoint_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("flows_endpoint.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[uuid.UUID]
    event_type: Mapped[str] = mapped_column(sa.String(120))
    envelope: Mapped[dict] = mapped_column(default=dict)  # the CloudEvent, as sent
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    manual: Mapped[bool] = mapped_column(default=False)  # a replay: one attempt, no schedule
    next_attempt_at: Mapped[dt.datetime | None]  # None while pending: held (the endpoint is paused or disabled)
    token: Mapped[int] = mapped_column(default=0)  # the queued job's number: an older job finds it changed and stops
    last_response_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    finished_at: Mapped[dt.datetime | None]


class Attempt(TenantOwned, Sandboxed, Base):
    """One HTTP request of a delivery: what came back, how long it took, when the next one is."""

    __tablename__ = "flows_attempt"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = tenant_column()
    delivery_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("flows_delivery.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(10))  # succeeded, failed
    response_code: Mapped[int | None]
    latency_ms: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(sa.String(500))
    next_attempt_at: Mapped[dt.datetime | None]


AUTOMATION_STATUSES = ("active", "paused")
RUN_STATUSES = ("succeeded", "failed", "skipped", "stopped")


class Automation(TenantOwned, Sandboxed, Entity, Base):
    """When an event of a type happens and a condition (CEL) holds, run steps (actions) with inputs made
    from the event. It runs with the scopes its steps need, which whoever saved it held."""

    __tablename__ = "flows_automation"

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str | None] = mapped_column(sa.String(500))
    trigger: Mapped[str] = mapped_column(sa.String(120))  # an event type, `civic.<component>.*` or `*`
    condition: Mapped[str | None] = mapped_column(sa.Text)
    steps: Mapped[list] = mapped_column(default=list)  # [{"action": name, "input": template}]
    scopes: Mapped[list] = mapped_column(default=list)  # what the steps need, held by whoever saved it
    status: Mapped[str] = mapped_column(sa.String(10), default="active")
    version: Mapped[int] = mapped_column(default=1)
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)


class Run(TenantOwned, Sandboxed, Entity, Base):
    """One automation's run for one event: each step's input and output (ids and states only) or error."""

    __tablename__ = "flows_run"
    __table_args__ = (sa.UniqueConstraint("automation_id", "event_id", name="uq_flows_run_event"),
                      sa.Index("ix_flows_run_automation_created", "automation_id", "created_at"))

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    automation_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("flows_automation.id", ondelete="CASCADE"))
    automation_version: Mapped[int]
    event_id: Mapped[uuid.UUID]
    event_type: Mapped[str] = mapped_column(sa.String(120))
    event: Mapped[dict] = mapped_column(default=dict)  # the CloudEvent (ids only, never personal data)
    status: Mapped[str] = mapped_column(sa.String(10))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    steps: Mapped[list] = mapped_column(default=list)  # [{"action", "status", "input", "output", "error"}]
    failed_step: Mapped[int | None]
    attempts: Mapped[int] = mapped_column(default=1)


SERVICE_STATUSES = ("active", "retired")
SUBMISSION_STATUSES = ("waiting", "completed", "failed")


class ComposedService(TenantOwned, Sandboxed, Entity, Base):
    """One version of a published service: a citizen's form (JSON Schema) and the steps that carry it out
    (actions, waits for an event, and what to undo). A new version is a new row; a submission keeps its own."""

    __tablename__ = "flows_service"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "sandbox", "slug", "version", name="uq_flows_service_version"),)

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    slug: Mapped[str] = mapped_column(sa.String(60))
    version: Mapped[int]
    current: Mapped[bool] = mapped_column(default=True)  # the version new submissions use
    status: Mapped[str] = mapped_column(sa.String(10), default="active")
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.String(1000))
    form: Mapped[dict] = mapped_column(default=dict)  # a JSON Schema
    steps: Mapped[list] = mapped_column(default=list)
    scopes: Mapped[list] = mapped_column(default=list)  # what the steps need, held by whoever published it
    waits_for: Mapped[list] = mapped_column(default=list)  # the event types its waits end on
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)


class Submission(TenantOwned, Sandboxed, Entity, Base):
    """One citizen's use of a service version: where it is, each step's input and output (ids and states
    only) or error, and what was undone. The form's answers are kept encrypted only while it runs."""

    __tablename__ = "flows_submission"
    __table_args__ = (sa.Index("ix_flows_submission_waiting", "tenant_id", "waiting_value"),
                      sa.Index("ix_flows_submission_service_created", "service_id", "created_at"))

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    service_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("flows_service.id"))
    slug: Mapped[str] = mapped_column(sa.String(60))
    service_version: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(10))
    step: Mapped[int] = mapped_column(default=0)  # the step it is at (waiting) or stopped at (failed)
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    steps: Mapped[list] = mapped_column(default=list)  # [{"action" | "wait_for", "status", "input", "output", "error"}]
    undone: Mapped[list] = mapped_column(default=list)  # the undo steps run after a failure, last step first
    form_encrypted: Mapped[str | None] = mapped_column(sa.Text)  # cleared when it ends
    next_encrypted: Mapped[str | None] = mapped_column(sa.Text)  # what the citizen must do now (a client secret)
    waiting_field: Mapped[str | None] = mapped_column(sa.String(100))
    waiting_value: Mapped[str | None] = mapped_column(sa.String(255))
    waiting_until: Mapped[dt.datetime | None]
    submitted_by: Mapped[str] = mapped_column(sa.String(200))  # the app (client id) that sent it: it alone sees `next`
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)
