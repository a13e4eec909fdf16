"""The events notify emits: one per status change of a message, and one when a person unsubscribes by a
message's link. Ids and codes only, never the recipient.

Each is a CloudEvents envelope whose `subject` is the message id; `status` is Notify's own status word
(`delivered`, `permanent-failure`, ...) or the platform's (`queued`, `opted_out`, `failed`, `cancelled`).
"""
from marshmallow import Schema, fields

from civic.core.events import EventType


class MessageData(Schema):
    message_id = fields.UUID(required=True)
    channel = fields.String(required=True)
    template = fields.String(required=True)
    status = fields.String(required=True)
    previous_status = fields.String(required=True, allow_none=True)
    batch_id = fields.UUID(required=True, allow_none=True)
    link_type = fields.String(required=True, allow_none=True)
    link_id = fields.UUID(required=True, allow_none=True)
    reference = fields.String(required=True, allow_none=True)
    sandbox = fields.Boolean(required=True)


ACCEPTED = EventType("civic.notify.message_accepted", "Notify accepted a message for sending.", MessageData)
STATUS_CHANGED = EventType("civic.notify.message_status_changed",
                           "A message moved on at Notify (`sending`, `pending`, `sent`) without finishing yet.",
                           MessageData)
DELIVERED = EventType("civic.notify.message_delivered",
                      "A message was delivered (a letter: `received` by the printer).", MessageData)
FAILED = EventType("civic.notify.message_failed",
                   "A message will not arrive: `failed` (with the reason), a permanent, temporary or technical "
                   "failure, a letter's `validation-failed`, or `cancelled`.", MessageData)
OPTED_OUT = EventType("civic.notify.message_opted_out",
                      "A non-essential message was not sent: the recipient opted out of its purpose.", MessageData)


def message_data(message, previous: str | None) -> dict:
    return {"message_id": str(message.id), "channel": message.channel, "template": message.template_name,
            "status": message.status, "previous_status": previous,
            "batch_id": str(message.batch_id) if message.batch_id else None,
            "link_type": message.link_type, "link_id": str(message.link_id) if message.link_id else None, "reference": message.reference,
            "sandbox": bool(message.sandbox)}


class UnsubscribedData(Schema):
    opt_out_id = fields.UUID(required=True)
    channel = fields.String(required=True)
    purpose = fields.String(required=True)
    sandbox = fields.Boolean(required=True)


UNSUBSCRIBED = EventType("civic.notify.unsubscribed",
                         "A person used a message's unsubscribe link: their opt-out of its purpose on its channel is "
                         "recorded (the privacy register withdraws their consent to it).", UnsubscribedData)
