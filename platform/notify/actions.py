"""What notify lets flows ask of it by name (civic.core.actions): send one message.

`notify.send` is `POST /v1/notify/messages` (its schema and service function): checked at once (a
missing personalisation field is refused before anything is queued), then sent by the outbox job
through the organisation's own Notify service, with the same retries, limits and opt-outs."""
from civic.core.actions import Action
from civic.notify import schemas, service

SEND = Action("notify.send", "Send an email, a text message or a letter through your Notify service, by your "
              "template's name (opted-out people are skipped for non-essential messages).",
              schemas.SendSchema, schemas.MessageSchema, service.send_message)
ACTIONS = (SEND,)
