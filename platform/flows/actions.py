"""What flows lets automations and composed services ask of it by name (civic.core.actions): tell one of the
organisation's own systems that something happened, through one of its webhook endpoints.

`flows.call_webhook` sends a `civic.flows.webhook_called` event to that endpoint only (never fanned out to
the others), signed and retried like every delivery, with the values the step gives: ids and codes, as in
every event (never personal data: a delivery keeps what it sent, for its log and for replays). The endpoint
must be the organisation's, in the same world; a paused one holds the delivery until it is resumed."""
import marshmallow as ma

from civic.core.actions import Action
from civic.core.schemas import StrictSchema
from civic.flows import deliveries, schemas

VALUES_MAX = 20


class CallInput(StrictSchema):
    endpoint_id = ma.fields.UUID(required=True, metadata={"description": "One of your webhook endpoints."})
    values = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.Length(1, 60)),
                            values=ma.fields.String(validate=ma.validate.Length(max=500)), load_default=dict,
                            validate=ma.validate.Length(max=VALUES_MAX), metadata={
                                "description": f"Up to {VALUES_MAX} texts: ids and codes (never personal data)."})


CALL_WEBHOOK = Action("flows.call_webhook", "Tell one of your own systems, through one of your webhook endpoints, "
                      "that something happened (signed and retried like every delivery).",
                      CallInput, schemas.DeliverySchema, deliveries.call)
ACTIONS = (CALL_WEBHOOK,)
