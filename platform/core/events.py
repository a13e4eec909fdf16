"""Domain events: CloudEvents 1.0 envelopes written in the caller's transaction.

A rolled-back change leaves no event. Subscribers are job names: emitting an
event queues one outbox job per subscriber, in the same transaction.
"""
import datetime as dt
import uuid

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from civic.core import jobs
from civic.core.db import Base, session, utcnow


class Event(Base):
    __tablename__ = "core_event"
    __table_args__ = (sa.Index("ix_core_event_tenant_time", "tenant_id", "time"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(sa.String(120), index=True)
    source: Mapped[str] = mapped_column(sa.String(200))
    subject: Mapped[str | None] = mapped_column(sa.String(200))
    time: Mapped[dt.datetime] = mapped_column(default=utcnow)
    data: Mapped[dict] = mapped_column(default=dict)

    def envelope(self) -> dict:
        return {
            "specversion": "1.0",
            "id": str(self.id),
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": self.time.isoformat().replace("+00:00", "Z"),
            "datacontenttype": "application/json",
            "tenantid": str(self.tenant_id) if self.tenant_id else None,
            "data": self.data,
        }


def subscribe(app, event_type: str, job_name: str) -> None:
    """Run job `job_name` (with the event envelope as payload) after each `event_type`."""
    app.extensions.setdefault("civic.subscriptions", {}).setdefault(event_type, []).append(job_name)


def emit(event_type: str, *, tenant_id: uuid.UUID | None, subject: str | None, data: dict) -> Event:
    """Record an event in the current transaction and queue its subscribers' jobs."""
    component = event_type.split(".")[1] if event_type.count(".") >= 2 else "platform"
    event = Event(id=uuid.uuid4(), type=event_type, tenant_id=tenant_id, subject=subject, data=data,
                  source=f"/civic/{component}", time=utcnow())
    session.add(event)
    subscriptions = current_app.extensions.get("civic.subscriptions", {})
    # A job subscribed both to this type and to "*" still runs once per event.
    for job_name in dict.fromkeys([*subscriptions.get(event_type, ()), *subscriptions.get("*", ())]):
        jobs.enqueue(job_name, event.envelope(), tenant_id=tenant_id)
    session.flush()
    return event
