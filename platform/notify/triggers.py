"""Messages sent when something happens in another component, configured per organisation, with no import.

An organisation's configuration lists rules such as `{"event_type": "civic.booking.confirmed", "template":
"booking_confirmation"}`. Notify subscribes to each event type below by name; the event carries ids only,
so the job asks the owning component for the recipient through a named action (civic.core.actions), in
the event's world. A rule whose template is missing or cannot be filled is skipped and audited (the event
is not retried for it). Each (event, template) sends once, however often the job runs.
"""
import io
import uuid

from notifications_python_client import prepare_upload

from civic.core import actions, audit, events
from civic.core.db import session
from civic.core.errors import Problem
from civic.core.tenancy import in_world, scoped
from civic.notify import service
from civic.notify.models import Message

JOB = "notify.on_event"
# event type -> the action that says who to write to about its subject
SOURCES = {"civic.booking.confirmed": "booking.message_details"}
LINK_TYPES = {"civic.booking.confirmed": "booking.booking"}  # the record each event's subject is
CALENDAR_FIELD = "calendar_file"


def subscribe(app) -> None:
    for event_type in SOURCES:
        if event_type in events.DECLARED:  # its component is loaded
            events.subscribe(app, event_type, JOB)


def on_event(payload: dict, job) -> None:
    with in_world((payload.get("data") or {}).get("sandbox", False)):
        _on_event(payload, job.tenant_id)


def _on_event(payload: dict, tenant_id) -> None:
    config = service.current_config(tenant_id=tenant_id, required=False)
    rules = [r for r in (config.triggers if config else []) if r.get("event_type") == payload["type"]]
    action = actions.get(SOURCES.get(payload["type"], ""), tenant_id=tenant_id)
    if not rules or action is None:
        return
    details = actions.run(action.name, tenant_id=tenant_id, data={"id": payload["subject"]})
    for rule in rules:
        reference = f"event:{payload['id']}"
        sent = session.scalar(scoped(Message, tenant_id).with_only_columns(Message.id).where(
            Message.reference == reference, Message.template_name == rule["template"]))
        if sent is not None:
            continue
        try:
            template = service.find_template(tenant_id=tenant_id, template=rule["template"])
            values = dict(details.get("personalisation") or {})
            if CALENDAR_FIELD in template.fields and details.get("ics"):
                values[CALENDAR_FIELD] = prepare_upload(io.BytesIO(details["ics"].encode()), filename="booking.ics")
            values = {k: v for k, v in values.items() if k in template.fields}
            item = {"email_address": details.get("email_address")} if template.channel == "email" else \
                {"phone_number": details.get("phone_number")} if template.channel == "sms" else {}
            service.send_message(tenant_id=tenant_id, template=template.name, purpose=rule.get("purpose", "service"),
                                 essential=True, reference=reference, personalisation=values,
                                 link={"type": LINK_TYPES[payload["type"]], "id": uuid.UUID(str(payload["subject"]))}, **item)
        except Problem as problem:
            audit.record("notify.trigger_skipped", tenant_id=tenant_id, subject_type="event", subject_id=payload["id"],
                         detail={"template": rule["template"], "code": problem.code,
                                 "fields": sorted(problem.errors or {})})
