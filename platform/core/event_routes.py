"""GET /v1/events/types: the catalogue of declared event types, for whoever will subscribe to them."""
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from civic.core import events
from civic.core.auth import require

blp = Blueprint("events", __name__, url_prefix="/v1/events",
                description="The events the platform records when something changes (a booking made, a report "
                            "closed), so your own systems can follow along.")


class EventTypeSchema(Schema):
    class Meta(Schema.Meta):
        example = {"type": "civic.booking.confirmed", "component": "booking",
                   "description": "A hold was turned into a booking.",
                   "payload_schema": {"type": "object", "properties": {"booking_id": {"type": "string"},
                                                                       "resource_id": {"type": "string"}}}}

    type = fields.String(metadata={"description": "The CloudEvents `type`, e.g. `civic.booking.created`."})
    component = fields.String(metadata={"description": "The part of the platform that emits it."})
    description = fields.String()
    payload_schema = fields.Dict(metadata={"description": "JSON schema of the event's `data`: ids and codes, "
                                                          "never personal data."})


class EventTypeListSchema(Schema):
    class Meta(Schema.Meta):
        example = {"items": [EventTypeSchema.Meta.example]}

    items = fields.List(fields.Nested(EventTypeSchema))


@blp.route("/types")
class EventTypes(MethodView):
    @require()
    @blp.response(200, EventTypeListSchema)
    def get(self):
        """List the kinds of event the platform sends, what each means and what it carries.

        Every event is a CloudEvents 1.0 envelope; its `data` follows the payload schema shown
        here and never holds anyone's name, email, phone or address. Any valid token may read this list.
        """
        return {"items": [{"type": e.type, "component": e.component, "description": e.description,
                           "payload_schema": e.json_schema()} for e in events.declared(current_app)]}
