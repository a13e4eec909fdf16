"""Domain events: declared types, CloudEvents 1.0 envelopes written in the caller's transaction.

Each event type is declared once, in its component's `events.py`, as an `EventType` (type name,
one-line description, marshmallow payload schema) and emitted only through it; emitting an
undeclared type, or a payload its schema refuses, raises. A rolled-back change leaves no event. Subscribers are job names: emitting
an event queues one outbox job per subscriber in the same transaction, so each runs after commit,
at least once, retried with backoff and dead-lettered, and its failure never undoes the change.

An event emitted while an automation runs (`with caused_by(chain)`) carries, in its subscribers'
envelope, the CloudEvents extension attribute `civicchain`: the automations that led to it, so that an
automation that would trigger itself again is stopped. A job queued meanwhile carries it in its payload
too, and the worker runs it under the same chain (a message sent by a step, then its delivery events).
"""
import contextlib
import contextvars
import datetime as dt
import importlib
import importlib.util
import uuid

import sqlalchemy as sa
from flask import current_app
from marshmallow import Schema
from sqlalchemy.orm import Mapped, mapped_column

from civic.core import jobs
from civic.core.db import Base, session, utcnow

DECLARED: dict[str, "EventType"] = {}
_chain: contextvars.ContextVar[tuple] = contextvars.ContextVar("civic_event_chain", default=())


def current_chain() -> tuple:
    """The automations the work under way was caused by (oldest first); empty outside them."""
    return _chain.get()


@contextlib.contextmanager
def caused_by(chain):
    """Events emitted in the block name `chain` (automation ids, oldest first) as `civicchain`."""
    token = _chain.set(tuple(chain))
    try:
        yield
    finally:
        _chain.reset(token)


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


class EventType:
    """A declared event: `BOOKING_CREATED = EventType("civic.booking.created", "A place was booked.", Schema)`."""

    def __init__(self, type: str, description: str, schema: type[Schema]):
        if type.count(".") < 2 or not type.startswith("civic."):
            raise ValueError(f"an event type is civic.<component>.<thing>, not {type!r}")
        if type in DECLARED:
            raise ValueError(f"event type {type!r} is declared twice")
        self.type, self.description, self.schema = type, description, schema
        self.component = type.split(".")[1]
        self._checker = schema()  # one instance: marshmallow schemas are reusable and this is per emit
        DECLARED[type] = self

    def __repr__(self) -> str:
        return f"EventType({self.type!r})"

    def emit(self, *, tenant_id: uuid.UUID | None, subject: str | None, data: dict) -> "Event":
        """Record this event in the current transaction and queue its subscribers' jobs."""
        return emit(self.type, tenant_id=tenant_id, subject=subject, data=data)

    def subscribe(self, app, job_name: str) -> None:
        """Run job `job_name` (with the event envelope as payload) after each of these events commits."""
        subscribe(app, self.type, job_name)

    def check(self, data: dict) -> None:
        """Refuse a payload its schema does not accept (a field missing, of the wrong kind, or undeclared).

        Done on every emit, in production too: the payload is built by the platform's own code, never by
        a caller, so a refusal is a bug, and a 500 that rolls the change back beats publishing an event its
        subscribers (and, soon, webhooks) cannot read or that carries a field nobody declared (personal
        data slips in that way). It costs a marshmallow `validate` of a dozen fields, about 0.05 ms.
        """
        errors = self._checker.validate(data)
        if errors:
            raise InvalidPayload(f"{self.type} payload does not match {self.schema.__name__}: {errors}")

    def fields(self) -> list[str]:
        return list(self.schema().fields)

    def json_schema(self) -> dict:
        """The payload's JSON schema (as in the OpenAPI spec), for whoever consumes the event."""
        from apispec.ext.marshmallow import OpenAPIConverter

        converter = OpenAPIConverter(openapi_version="3.0.3", schema_name_resolver=lambda schema: None, spec=None)
        return converter.schema2jsonschema(self.schema)


class InvalidPayload(ValueError):
    """An event's data does not match its declared payload schema."""


def subscribe(app, event_type: str, job_name: str, *, when=None) -> None:
    """Run job `job_name` (with the event envelope as payload) after each `event_type` ("*": every event).

    `when(event_type, tenant_id, data) -> bool`, if given, is asked at emit time whether anyone listens
    (flows asks whether the tenant has a webhook endpoint for it, from a per-process cache): no job is
    queued for an event nobody will act on. It must be cheap and must not write.

    Another component's event is named by its type: its `events.py` is read here if that component is
    enabled (whichever component started first); if it is switched off there is nothing to subscribe to.
    """
    if event_type != "*" and event_type not in DECLARED:
        component = event_type.split(".")[1] if event_type.count(".") >= 2 else ""
        if component and component not in app.config["COMPONENTS"]:
            return  # that component is off: no such event will ever be emitted
        if component and importlib.util.find_spec(f"civic.{component}.events") is not None:
            importlib.import_module(f"civic.{component}.events")
    if event_type != "*" and event_type not in DECLARED:
        raise LookupError(f"cannot subscribe to undeclared event type {event_type!r}")
    app.extensions.setdefault("civic.subscriptions", {}).setdefault(event_type, []).append((job_name, when))


def emit(event_type: str, *, tenant_id: uuid.UUID | None, subject: str | None, data: dict) -> Event:
    """Record an event in the current transaction and queue its subscribers' jobs (declared types only)."""
    declared = DECLARED.get(event_type)
    if declared is None:
        raise LookupError(f"event type {event_type!r} is not declared in any component's events.py")
    declared.check(data)
    event = Event(id=uuid.uuid4(), type=event_type, tenant_id=tenant_id, subject=subject, data=data,
                  source=f"/civic/{declared.component}", time=utcnow())
    session.add(event)
    subscriptions = current_app.extensions.get("civic.subscriptions", {})
    # A job subscribed both to this type and to "*" still runs once per event.
    chosen: dict = {}
    for job_name, when in [*subscriptions.get(event_type, ()), *subscriptions.get("*", ())]:
        chosen.setdefault(job_name, when)
    envelope, chain = None, _chain.get()
    for job_name, when in chosen.items():
        if when is None or when(event_type, tenant_id, data):
            envelope = envelope or ({**event.envelope(), "civicchain": list(chain)} if chain else event.envelope())
            jobs.enqueue(job_name, envelope, tenant_id=tenant_id)
    return event  # flushed with the change it records (the ORM flushes before any query that needs it)


def declared(app) -> list[EventType]:
    """The event types of the app's enabled components, in type order."""
    components = app.extensions.get("civic.components", [])
    for name in components:
        if importlib.util.find_spec(f"civic.{name}.events") is not None:
            importlib.import_module(f"civic.{name}.events")
    return sorted((e for e in DECLARED.values() if e.component in components), key=lambda e: e.type)


def catalogue_markdown(app) -> str:
    """docs/events.md: every declared event type, generated (a test keeps the committed file equal)."""
    lines = ["# Events", "",
             "Generated by `civic.core.events.catalogue_markdown(app)`; do not edit by hand.",
             "Each event is a CloudEvents 1.0 envelope whose `data` carries ids and codes, never personal data.",
             "Its payload's JSON schema is at `GET /v1/events/types`.", "",
             "| type | component | description | payload fields |", "|---|---|---|---|"]
    for event in declared(app):
        fields = ", ".join(f"`{name}`" for name in event.fields())
        lines.append(f"| `{event.type}` | {event.component} | {event.description} | {fields} |")
    return "\n".join(lines) + "\n"
