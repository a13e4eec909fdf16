"""Casework tables: case types (versioned definitions), cases, their timeline, notes, attachments,
per-organisation settings, data-sharing agreements and referrals.

A case type is data: one row per version, grouped by `key`. A case keeps the version it was opened
under until it is migrated explicitly. A referral row belongs to the organisation that sent it; the
receiving organisation reads and answers it through `place_wide("casework.referrals")`, and only ever
sees `shared`, the fields the agreement allows, copied by the service.
"""
import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from civic.core.db import Base, Entity
from civic.core.tenancy import Sandboxed, TenantOwned, tenant_column

NO_DUE = dt.datetime(2200, 1, 1, tzinfo=dt.timezone.utc)  # the queue's sort key of a case with no due date
AGREEMENT_STATUSES = ("proposed", "active", "ended")
REFERRAL_STATUSES = ("sent", "accepted", "declined", "completed")
DEFINITION_KEYS = ("states", "initial_state", "final_states", "transitions", "sla", "priorities",
                   "default_priority", "fields_schema")


def _case_fk() -> Mapped[uuid.UUID]:
    return mapped_column(sa.ForeignKey("casework_case.id", ondelete="CASCADE"), index=True)


class CaseType(TenantOwned, Sandboxed, Entity, Base):
    """One version of a case type: its states, transitions, SLAs, priorities and custom fields."""

    __tablename__ = "casework_case_type"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "sandbox", "key", "version", name="uq_casework_case_type_version"),)

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    key: Mapped[str] = mapped_column(sa.String(63))
    version: Mapped[int] = mapped_column(default=1)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    definition: Mapped[dict] = mapped_column(default=dict)
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)

    def __getattr__(self, name):  # the definition's parts read as attributes (states, transitions, sla ...)
        if name in DEFINITION_KEYS:
            return self.definition.get(name)
        raise AttributeError(name)


class Case(TenantOwned, Sandboxed, Entity, Base):
    """A piece of work about one person, moving through its case type's states."""

    __tablename__ = "casework_case"
    __table_args__ = (sa.Index("ix_casework_case_queue", "tenant_id", "sandbox", "sort_due", "id"),
                      sa.Index("ix_casework_case_state_queue", "tenant_id", "sandbox", "state", "sort_due", "id"),
                      sa.Index("ix_casework_case_assignee_queue", "tenant_id", "sandbox", "assignee_id", "sort_due", "id"),
                      sa.Index("ix_casework_case_team_queue", "tenant_id", "sandbox", "team", "sort_due", "id"),
                      sa.Index("ix_casework_case_sla", "open", "sla_next"))

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    case_type_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("casework_case_type.id"), index=True)
    case_type_key: Mapped[str] = mapped_column(sa.String(63))
    case_type_version: Mapped[int]
    state: Mapped[str] = mapped_column(sa.String(63))
    open: Mapped[bool] = mapped_column(default=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    priority: Mapped[str] = mapped_column(sa.String(30))
    fields: Mapped[dict] = mapped_column(default=dict)
    assignee_id: Mapped[uuid.UUID | None]
    team: Mapped[str | None] = mapped_column(sa.String(100))
    # The subject: personal data.
    subject_name: Mapped[str | None] = mapped_column(sa.String(200))
    subject_email: Mapped[str | None] = mapped_column(sa.String(320), index=True)
    subject_phone: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    subject_postcode: Mapped[str | None] = mapped_column(sa.String(10))
    subject_date_of_birth: Mapped[dt.date | None] = mapped_column(sa.Date)
    subject_nhs_number: Mapped[str | None] = mapped_column(sa.String(10))
    consent_recorded_at: Mapped[dt.datetime | None]
    links: Mapped[list] = mapped_column(default=list)
    # The clocks. The case clock counts working seconds while the state does not pause it.
    state_entered_at: Mapped[dt.datetime]
    state_due_at: Mapped[dt.datetime | None]
    case_due_at: Mapped[dt.datetime | None]
    sort_due: Mapped[dt.datetime] = mapped_column(default=NO_DUE)
    sla_next: Mapped[dt.datetime] = mapped_column(default=NO_DUE)  # the nearest target not yet reported breached
    clock_started_at: Mapped[dt.datetime | None]  # None while paused (or with no case target)
    clock_used_seconds: Mapped[int] = mapped_column(default=0)
    paused_at: Mapped[dt.datetime | None]
    paused_seconds: Mapped[int] = mapped_column(default=0)
    overdue: Mapped[bool] = mapped_column(default=False)
    warned: Mapped[list] = mapped_column(default=list)  # clocks already warned about ("case", "state:<entered>")
    breached: Mapped[list] = mapped_column(default=list)  # clocks already reported breached
    closed_at: Mapped[dt.datetime | None]
    referral_id: Mapped[uuid.UUID | None]  # the referral this case was accepted from
    reference: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)

    @property
    def subject(self) -> dict | None:
        if self.subject_name is None:
            return None
        return {"name": self.subject_name, "email": self.subject_email, "phone": self.subject_phone,
                "postcode": self.subject_postcode, "date_of_birth": self.subject_date_of_birth,
                "nhs_number": self.subject_nhs_number, "consent_recorded_at": self.consent_recorded_at}


class TimelineEntry(TenantOwned, Sandboxed, Base):
    """One change to a case: what, who and when (ids, states and field names; never personal values)."""

    __tablename__ = "casework_timeline"
    __table_args__ = (sa.Index("ix_casework_timeline_case_at", "case_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = tenant_column()
    case_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("casework_case.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime]
    seq: Mapped[int] = mapped_column(default=0)
    actor: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(40))
    detail: Mapped[dict] = mapped_column(default=dict)


class Note(TenantOwned, Sandboxed, Entity, Base):
    """A note on a case: internal, or shareable with a referral partner."""

    __tablename__ = "casework_note"

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    case_id: Mapped[uuid.UUID] = _case_fk()
    body: Mapped[str] = mapped_column(sa.Text)
    shareable: Mapped[bool] = mapped_column(default=False)
    author: Mapped[str] = mapped_column(sa.String(200))


class Attachment(TenantOwned, Sandboxed, Entity, Base):
    """A file on a case: its metadata here, its bytes in the storage (by content hash)."""

    __tablename__ = "casework_attachment"

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    case_id: Mapped[uuid.UUID] = _case_fk()
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    author: Mapped[str] = mapped_column(sa.String(200))


class Settings(TenantOwned, Base):
    """An organisation's working hours (for SLA clocks) and which reports open cases."""

    __tablename__ = "casework_settings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"), primary_key=True)
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="Europe/London")
    bank_holiday_region: Mapped[str] = mapped_column(sa.String(20), default="england-and-wales")
    working_hours: Mapped[dict] = mapped_column(default=dict)
    intake: Mapped[list] = mapped_column(default=list)
    updated_at: Mapped[dt.datetime]


class Agreement(TenantOwned, Sandboxed, Entity, Base):
    """A data-sharing agreement between two organisations (ICO data sharing code), owned by the proposer.

    Live or test like the cases it covers: a sandbox client's agreement covers sandbox cases only."""

    __tablename__ = "casework_agreement"

    tenant_id: Mapped[uuid.UUID] = tenant_column()  # the proposer, who sends referrals under it
    partner_tenant_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    proposer_role: Mapped[str] = mapped_column(sa.String(30))
    partner_role: Mapped[str] = mapped_column(sa.String(30))
    purpose: Mapped[str] = mapped_column(sa.Text)
    lawful_basis: Mapped[str] = mapped_column(sa.String(30))
    special_category_condition: Mapped[str | None] = mapped_column(sa.String(40))
    shared_fields: Mapped[list] = mapped_column(default=list)
    retention_days: Mapped[int]
    starts_on: Mapped[dt.date] = mapped_column(sa.Date)
    ends_on: Mapped[dt.date] = mapped_column(sa.Date)
    review_on: Mapped[dt.date] = mapped_column(sa.Date)
    rights_contact: Mapped[str] = mapped_column(sa.String(320))
    status: Mapped[str] = mapped_column(sa.String(20), default="proposed")
    proposer_approved_by: Mapped[str | None] = mapped_column(sa.String(200))
    proposer_approved_at: Mapped[dt.datetime | None]
    partner_approved_by: Mapped[str | None] = mapped_column(sa.String(200))
    partner_approved_at: Mapped[dt.datetime | None]
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)


class Referral(TenantOwned, Sandboxed, Entity, Base):
    """A case referred to another organisation: the sender's row; the receiver sees `shared` only."""

    __tablename__ = "casework_referral"

    tenant_id: Mapped[uuid.UUID] = tenant_column()  # the sender
    to_tenant_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    agreement_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("casework_agreement.id"), index=True)
    case_id: Mapped[uuid.UUID] = _case_fk()
    shared: Mapped[dict] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(sa.String(20), default="sent")
    decline_reason: Mapped[str | None] = mapped_column(sa.String(1000))
    receiver_case_id: Mapped[uuid.UUID | None]
    outcome: Mapped[str | None] = mapped_column(sa.String(40))
    outcome_message: Mapped[str | None] = mapped_column(sa.String(2000))
    answered_at: Mapped[dt.datetime | None]
    outcome_at: Mapped[dt.datetime | None]
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)
