"""Append-only audit log: who did or saw what, to whose data, when.

Components call `personal_data_read()` / `personal_data_changed()` (in the service, with the ids of the
records whose personal data was shown or written) for every caller, person or app; the gateway
calls it for every steward and tenant-admin action. Nothing updates or deletes
these rows (on PostgreSQL a trigger enforces it).
"""
import datetime as dt
import uuid

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.orm import Mapped, mapped_column

from civic.core.auth import current_principal
from civic.core import db
from civic.core.db import Base, utcnow


class AuditEntry(Base):
    __tablename__ = "core_audit"
    __table_args__ = (sa.Index("ix_core_audit_tenant_time", "tenant_id", "time"),
                      sa.Index("ix_core_audit_subject", "subject_type", "subject_id"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    time: Mapped[dt.datetime] = mapped_column(default=utcnow)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("tenant.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(100))
    subject_type: Mapped[str] = mapped_column(sa.String(100))
    subject_id: Mapped[str | None] = mapped_column(sa.String(100))
    detail: Mapped[dict] = mapped_column(default=dict)
    request_id: Mapped[str | None] = mapped_column(sa.String(64))


def current_actor() -> str:
    if has_request_context():
        principal = current_principal(optional=True)
        if principal is not None:
            return principal.actor
    return g.get("civic_actor", "system") if g else "system"


def record(action: str, *, tenant_id: uuid.UUID | None, subject_type: str, subject_id=None,
           detail: dict | None = None, actor: str | None = None) -> AuditEntry:
    """Append one entry with the current unit of work (`db.add`: for a read on SQLite, just after it).

    `detail` must not hold secrets."""
    entry = AuditEntry(id=uuid.uuid4(), time=utcnow(), tenant_id=tenant_id, actor=actor or current_actor(),
                       action=action, subject_type=subject_type, subject_id=str(subject_id) if subject_id else None,
                       detail=detail or {}, request_id=g.get("request_id") if g else None)
    db.add(entry)
    return entry


def personal_data_read(*, component: str, subject_type: str, ids, tenant_id: uuid.UUID | None) -> None:
    """Whoever was shown these records' personal data (a person, else the client): one entry per id, ids only."""
    _personal_data("read", component=component, subject_type=subject_type, ids=ids, tenant_id=tenant_id)


def personal_data_changed(*, component: str, subject_type: str, ids, tenant_id: uuid.UUID | None) -> None:
    """Whoever wrote these records' personal data: one entry per id, ids only (never the values)."""
    _personal_data("changed", component=component, subject_type=subject_type, ids=ids, tenant_id=tenant_id)


def _personal_data(verb: str, *, component: str, subject_type: str, ids, tenant_id) -> None:
    for subject_id in ids:
        record(f"{component}.personal_data_{verb}", tenant_id=tenant_id, subject_type=subject_type,
               subject_id=subject_id)


def entries(*, tenant_id: uuid.UUID | None = None) -> sa.Select:
    query = sa.select(AuditEntry)
    return query.where(AuditEntry.tenant_id == tenant_id) if tenant_id else query
