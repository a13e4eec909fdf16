"""Reporting tables: categories (Open311 services), reports, their updates, transfers and alerts."""
import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.core.db import Base, Entity
from civic.core.tenancy import Sandboxed, TenantOwned, tenant_column

STATUSES = ("open", "acknowledged", "in_progress", "closed")
CLOSING_REASONS = ("fixed", "duplicate", "not_responsible", "referred")
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")


class Category(TenantOwned, Entity, Base):
    """A kind of report an organisation handles (an Open311 "service")."""

    __tablename__ = "reporting_category"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "code", name="uq_reporting_category_tenant_code"),)

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    code: Mapped[str] = mapped_column(sa.String(50))
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    group: Mapped[str | None] = mapped_column(sa.String(100))
    keywords: Mapped[list] = mapped_column(default=list)
    public: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    lgsl_code: Mapped[str | None] = mapped_column(sa.String(20))
    # Open311 attribute definitions: code, datatype, required, order, description, values...
    attributes: Mapped[list] = mapped_column(default=list)
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)


class Report(TenantOwned, Sandboxed, Entity, Base):
    """A citizen's report of a problem or need (an Open311 "service request"); live or sandbox (test)."""

    __tablename__ = "reporting_report"
    __table_args__ = (
        sa.Index("ix_reporting_report_tenant_created", "tenant_id", "created_at"),
        sa.Index("ix_reporting_report_week_category", "week", "category_id"),
    )

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    category_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("reporting_category.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="open")
    closing_reason: Mapped[str | None] = mapped_column(sa.String(20))
    description: Mapped[str | None] = mapped_column(sa.Text)
    lat: Mapped[float | None]
    long: Mapped[float | None]
    address: Mapped[str | None] = mapped_column(sa.String(500))
    uprn: Mapped[str | None] = mapped_column(sa.String(12))
    usrn: Mapped[str | None] = mapped_column(sa.String(8))
    # H3 cell (resolution 9) of the location, its area (the resolution-7 parent), and the Monday
    # of the week it was made: for insight.
    cell: Mapped[str | None] = mapped_column(sa.String(16))
    area: Mapped[str | None] = mapped_column(sa.String(16))
    week: Mapped[dt.date] = mapped_column(sa.Date)
    answers: Mapped[dict] = mapped_column(default=dict)
    media_url: Mapped[str | None] = mapped_column(sa.String(1000))
    # Personal data (registered with the privacy registry; never in public output).
    reporter_name: Mapped[str | None] = mapped_column(sa.String(200))
    reporter_email: Mapped[str | None] = mapped_column(sa.String(320), index=True)
    reporter_phone: Mapped[str | None] = mapped_column(sa.String(20))
    token: Mapped[str] = mapped_column(sa.String(40), unique=True)
    source: Mapped[str] = mapped_column(sa.String(120), default="api")
    transferred_from_tenant_id: Mapped[uuid.UUID | None]
    category: Mapped[Category] = relationship(lazy="joined", innerjoin=True)
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)

    @property
    def category_code(self) -> str:
        return self.category.code

    @property
    def reporter(self) -> dict | None:
        if not (self.reporter_name or self.reporter_email or self.reporter_phone):
            return None
        return {"name": self.reporter_name, "email": self.reporter_email, "phone": self.reporter_phone}

    @property
    def has_personal_data(self) -> bool:
        return self.reporter is not None


class ReportUpdate(TenantOwned, Sandboxed, Entity, Base):
    """One entry in a report's history: a status change, a note (staff-only unless public), or both."""

    __tablename__ = "reporting_update"
    # One update per caller's id: a repeated (or simultaneous) post is answered with the first.
    __table_args__ = (sa.UniqueConstraint("report_id", "external_id", name="uq_reporting_update_report_external"),)

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    report_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("reporting_report.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20))
    closing_reason: Mapped[str | None] = mapped_column(sa.String(20))
    note: Mapped[str | None] = mapped_column(sa.Text)
    # Whether the note may be published (Open311); the status change itself is always public.
    public: Mapped[bool] = mapped_column(default=False)
    media_url: Mapped[str | None] = mapped_column(sa.String(1000))
    actor: Mapped[str] = mapped_column(sa.String(200), default="system")
    # The caller's own id for this update (FixMyStreet's update_id), to ignore repeats.
    external_id: Mapped[str | None] = mapped_column(sa.String(100))


class Transfer(TenantOwned, Sandboxed, Entity, Base):
    """The sender's read-only record of a report passed to the organisation that owns it."""

    __tablename__ = "reporting_transfer"

    tenant_id: Mapped[uuid.UUID] = tenant_column()  # the sender
    to_tenant_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    report_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("reporting_report.id", ondelete="CASCADE"), index=True)
    from_category_code: Mapped[str] = mapped_column(sa.String(50))
    to_category_code: Mapped[str] = mapped_column(sa.String(50))
    note: Mapped[str | None] = mapped_column(sa.Text)
    # What the report looked like when it left (no personal data).
    snapshot: Mapped[dict] = mapped_column(default=dict)


class Alert(TenantOwned, Entity, Base):
    """An early warning: a category (in an area) had far more reports this week than usual."""

    __tablename__ = "reporting_alert"
    __table_args__ = (sa.UniqueConstraint("category_id", "area", "detected_on", name="uq_reporting_alert_category_id"),)

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    category_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("reporting_category.id", ondelete="CASCADE"))
    area: Mapped[str] = mapped_column(sa.String(16))  # an H3 cell, or "all" for the whole area
    detected_on: Mapped[dt.date] = mapped_column(sa.Date)
    window_start: Mapped[dt.datetime]
    window_end: Mapped[dt.datetime]
    current: Mapped[int]
    baseline_mean: Mapped[float]
    baseline_sd: Mapped[float]
    threshold: Mapped[float]


class _WeeklyKey:
    week: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("reporting_category.id", ondelete="CASCADE"),
                                                   primary_key=True)
    count: Mapped[int]


class WeeklyCount(_WeeklyKey, Base):
    """Pre-aggregated counts for the place-wide views (open data, a steward's insight).

    Rebuilt from the reports by a periodic job for every week in which a report was made
    or changed since the last run, so these views cost about the same at a million reports
    as at a thousand. An organisation's own insight reads its reports directly (always current).
    """

    __tablename__ = "reporting_weekly_count"
    __table_args__ = (sa.PrimaryKeyConstraint("week", "tenant_id", "category_id", "status"),)

    status: Mapped[str] = mapped_column(sa.String(20), primary_key=True)


class AreaWeeklyCount(_WeeklyKey, Base):
    """The same, by area (H3 resolution 7; "" without a location) instead of by status."""

    __tablename__ = "reporting_area_weekly_count"
    __table_args__ = (sa.PrimaryKeyConstraint("week", "tenant_id", "category_id", "area"),)

    area: Mapped[str] = mapped_column(sa.String(16), primary_key=True)


class RollupState(Base):
    """How far the weekly counts are up to date."""

    __tablename__ = "reporting_rollup_state"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    refreshed_at: Mapped[dt.datetime]
