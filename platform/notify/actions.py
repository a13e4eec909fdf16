"""What notify lets flows ask of it by name (civic.core.actions): send one message, record an opt-out.

`notify.send` is `POST /v1/notify/messages` (its schema and service function): checked at once (a
missing personalisation field is refused before anything is queued), then sent by the outbox job
through the organisation's own Notify service, with the same retries, limits and opt-outs.
`notify.opt_out` is `POST /v1/notify/opt-outs`: the privacy register records one when a consent is
withdrawn (`source: consent`), lifts those with `notify.lift_opt_outs` when the person consents again,
and asks `notify.opt_out_covers` which of its consents' people an unsubscribe by a message's link stands
for (after the event `civic.notify.unsubscribed`)."""
from civic.core.actions import Action
from civic.notify import schemas, service

SEND = Action("notify.send", "Send an email, a text message or a letter through your Notify service, by your "
              "template's name (opted-out people are skipped for non-essential messages).",
              schemas.SendSchema, schemas.MessageSchema, service.send_message)
OPT_OUT = Action("notify.opt_out", "Stop non-essential messages for a purpose to one email address, phone number "
                 "or address (recorded once; again changes nothing).",
                 schemas.OptOutActionSchema, schemas.OptOutSchema, service.add_opt_out)
LIFT_OPT_OUTS = Action("notify.lift_opt_outs", "A person consented again: their opt-outs of a purpose on a channel "
                       "go, so its messages reach them again.", schemas.OptOutInSchema, schemas.LiftedSchema,
                       service.lift_opt_outs, scope="privacy:write")  # the consent register's, as a consent is
OPT_OUT_COVERS = Action("notify.opt_out_covers", "Which of these email addresses (or phone numbers) one opt-out "
                        "stands for.", schemas.OptOutCoversSchema, schemas.CoveredSchema, service.opt_out_covers,
                        scope="privacy:read")  # asked by the consent register; a flow needs what it needs
ACTIONS = (SEND, OPT_OUT, LIFT_OPT_OUTS, OPT_OUT_COVERS)
