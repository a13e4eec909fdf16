"""What the notify API accepts and returns. Examples are from Riverside: a room booking, a bulky-waste
collection, a repaired pothole."""
import marshmallow as ma
from flask import url_for

from civic.core import edge
from civic.core.pagination import PageQuerySchema
from civic.core.schemas import LinkSchema, ResourceSchema, StrictSchema, check_metadata
from civic.notify.models import CHANNELS, KEY_TYPES, POSTAGE

NOTIFY_STATUSES = ("created", "sending", "pending", "sent", "delivered", "permanent-failure", "temporary-failure",
                   "technical-failure", "accepted", "received", "cancelled", "validation-failed")
PLATFORM_STATUSES = ("queued", "opted_out", "failed")
NAME = ma.validate.Regexp(r"^[a-z0-9][a-z0-9_\-]{0,99}$", error="Lower-case letters, digits, _ and -, up to 100.")
PURPOSE = ma.validate.Regexp(r"^[a-z0-9][a-z0-9_\-]{0,49}$", error="Lower-case letters, digits, _ and -, up to 50.")
# An opt-out of every purpose (a citizen's "no non-essential contact"): `*`, only in an opt-out.
EVERY_PURPOSE = "*"
OPT_OUT_PURPOSE = ma.validate.Regexp(r"^(\*|[a-z0-9][a-z0-9_\-]{0,49})$",
                                     error="Lower-case letters, digits, _ and -, up to 50; or * for every purpose.")
EXAMPLE_TEMPLATE_ID = "6f9bd7a3-5d2c-4b8e-9a41-0c5a7e3b1d01"


def _metadata():
    return ma.fields.Dict(data_key="metadata", keys=ma.fields.String(), values=ma.fields.String(), load_default=dict,
                          validate=check_metadata, metadata={"description": "Up to 15 string key-value pairs of your own."})


class TriggerSchema(StrictSchema):
    event_type = ma.fields.String(required=True, validate=ma.validate.OneOf(("civic.booking.confirmed",)),
                                  metadata={"description": "The event that sends the message."})
    template = ma.fields.String(required=True, validate=NAME, metadata={"description": "Your template's name."})
    purpose = ma.fields.String(load_default="service", validate=PURPOSE)


class ConfigSchema(ResourceSchema):
    """Your organisation's GOV.UK Notify settings. The key and callback token are never shown again."""

    class Meta(ResourceSchema.Meta):
        example = {"api_key": "riverside_live-9a1c3f2e-4b5d-4e6f-8a7b-1c2d3e4f5a6b-0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b",
                   "key_type": "live", "email_reply_to_id": None, "sms_sender_id": None,
                   "callback_token": "a-long-random-token-you-also-give-notify", "retention_days": 7,
                   "triggers": [{"event_type": "civic.booking.confirmed", "template": "booking_confirmation"}]}

    api_key = ma.fields.String(load_only=True, validate=ma.validate.Length(1, 500),
                               metadata={"description": "The whole key from Notify's API integration page. "
                                                        "Required the first time; leave out to keep the current one."})
    key_type = ma.fields.String(required=True, validate=ma.validate.OneOf(KEY_TYPES),
                                metadata={"description": "The type you chose in Notify: live, team or test."})
    key_name = ma.fields.String(dump_only=True)
    service_id = ma.fields.String(dump_only=True)
    email_reply_to_id = ma.fields.UUID(load_default=None, allow_none=True,
                                       metadata={"description": "Notify's id of the reply-to email address to use."})
    sms_sender_id = ma.fields.UUID(load_default=None, allow_none=True,
                                   metadata={"description": "Notify's id of the text message sender to use."})
    callback_token = ma.fields.String(load_only=True, allow_none=True, validate=ma.validate.Length(10, 500),
                                      metadata={"description": "The bearer token Notify must send with delivery "
                                                               "receipts (set the same in Notify). Kept hashed."})
    callback_token_set = ma.fields.Function(lambda c: bool(c.callback_token_hash), dump_only=True)
    callback_url = ma.fields.Function(lambda c: edge.base_url() + url_for("notify-public.Callbacks", tenant_id=c.tenant_id),
                                      dump_only=True, metadata={"description": "Give Notify this callback URL."})
    retention_days = ma.fields.Integer(load_default=None, allow_none=True, validate=ma.validate.Range(1, 90),
                                       metadata={"description": "Days recipients and personalisation are kept "
                                                                "(default 7, like Notify)."})
    triggers = ma.fields.List(ma.fields.Nested(TriggerSchema), load_default=list, validate=ma.validate.Length(max=20))
    sandbox = ma.fields.Boolean(dump_only=True)


class TemplateSchema(ResourceSchema):
    class Meta(ResourceSchema.Meta):
        example = {"name": "booking_confirmation", "notify_template_id": EXAMPLE_TEMPLATE_ID, "channel": "email"}

    name = ma.fields.String(required=True, validate=NAME, metadata={"description": "Your own name for it."})
    notify_template_id = ma.fields.UUID(required=True, metadata={"description": "The template's id in Notify."})
    channel = ma.fields.String(required=True, validate=ma.validate.OneOf(CHANNELS))
    fields = ma.fields.List(ma.fields.String(), dump_only=True,
                            metadata={"description": "The personalisation each message must fill in (from Notify)."})
    notify_name = ma.fields.String(dump_only=True)
    version = ma.fields.Integer(dump_only=True)


class PreviewInSchema(StrictSchema):
    class Meta(StrictSchema.Meta):
        example = {"personalisation": {"name": "Sam", "resource": "Community room", "start": "Monday 1 March 2027 at 10:00",
                                       "booking_reference": "RB-1042"}}

    personalisation = ma.fields.Dict(keys=ma.fields.String(), load_default=dict)


class PreviewSchema(ma.Schema):
    class Meta:
        example = {"template": "booking_confirmation", "channel": "email", "subject": "Your booking: Community room",
                   "body": "Hello Sam,\n\nYou are booked for Community room on Monday 1 March 2027 at 10:00.",
                   "html": None, "postage": None}

    template = ma.fields.String()
    channel = ma.fields.String()
    subject = ma.fields.String(allow_none=True)
    body = ma.fields.String()
    html = ma.fields.String(allow_none=True)
    postage = ma.fields.String(allow_none=True)


class RecipientFields(StrictSchema):
    email_address = ma.fields.String(validate=ma.validate.Length(max=320), metadata={"description": "For email templates."})
    phone_number = ma.fields.String(validate=ma.validate.Length(max=40), metadata={"description": "For text messages."})
    address = ma.fields.List(ma.fields.String(validate=ma.validate.Length(max=100)), validate=ma.validate.Length(max=7),
                             metadata={"description": "For letters: 3 to 7 lines, the last one a UK postcode."})


class SendSchema(RecipientFields):
    """One message to send now (it is queued and sent by a background job)."""

    class Meta(RecipientFields.Meta):
        example = {"template": "booking_confirmation", "email_address": "sam@example.org",
                   "personalisation": {"name": "Sam", "resource": "Community room",
                                       "start": "Monday 1 March 2027 at 10:00", "booking_reference": "RB-1042"},
                   "reference": "RB-1042", "metadata": {"desk": "front"}, "link": {"type": "booking.booking",
                   "id": "2b6f0cf4-7a2e-4d4b-9f59-1f1f7a1f0a11"}}

    template = ma.fields.String(required=True, validate=ma.validate.Length(1, 100),
                                metadata={"description": "Your template's name, or its Notify id."})
    personalisation = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.Length(1, 100)), load_default=dict)
    secret_personalisation = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.Length(1, 100)), values=ma.fields.String(validate=ma.validate.Length(max=100)),
        load_default=dict, metadata={"description": "Fields of the template that hold a secret, such as a one-time code (up "
                                                    "to 100 characters each): kept encrypted, never shown, and cleared "
                                                    "as soon as Notify has the message."})
    postage = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.OneOf(POSTAGE))
    purpose = ma.fields.String(load_default="service", validate=PURPOSE,
                               metadata={"description": "What the message is for (opt-outs are per purpose)."})
    essential = ma.fields.Boolean(load_default=True, metadata={
        "description": "Essential messages (a booking confirmation) ignore opt-outs; others are not sent to people "
                       "who opted out, and emails carry an unsubscribe link."})
    reference = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=255))
    metadata_ = _metadata()
    link = ma.fields.Nested(LinkSchema, load_default=None, allow_none=True,
                            metadata={"description": "Another component's record this message is about."})


class MessageSchema(ma.Schema):
    class Meta:
        ordered = True
        example = {"id": "0c8f3f7e-3b7e-4a52-8a0f-6d2f2d0b9c11", "status": "queued", "channel": "email",
                   "template": "booking_confirmation", "recipient": "sam@example.org", "reason": None,
                   "reference": "RB-1042", "metadata": {}, "created_at": "2027-03-01T09:00:00+00:00"}

    id = ma.fields.UUID()
    created_at = ma.fields.AwareDateTime(format="iso")
    updated_at = ma.fields.AwareDateTime(format="iso")
    status = ma.fields.String(metadata={"description": "`queued`, `opted_out`, `failed`, `cancelled`, or Notify's own "
                                                       "status (`created`, `sending`, `delivered`, ...)."})
    reason = ma.fields.String(allow_none=True, metadata={"description": "Why it failed, in Notify's words."})
    channel = ma.fields.String()
    template = ma.fields.String(attribute="template_name")
    recipient = ma.fields.String(allow_none=True, metadata={"description": "Blank once the retention period is over."})
    address = ma.fields.List(ma.fields.String(), allow_none=True)
    postage = ma.fields.String(allow_none=True)
    purpose = ma.fields.String()
    essential = ma.fields.Boolean()
    notify_id = ma.fields.String(allow_none=True)
    batch_id = ma.fields.UUID(allow_none=True)
    row_number = ma.fields.Integer(allow_none=True)
    link = ma.fields.Nested(LinkSchema, allow_none=True)
    accepted_at = ma.fields.AwareDateTime(format="iso", allow_none=True)
    completed_at = ma.fields.AwareDateTime(format="iso", allow_none=True)
    purged_at = ma.fields.AwareDateTime(format="iso", allow_none=True)
    reference = ma.fields.String(allow_none=True)
    metadata_ = ma.fields.Dict(data_key="metadata")


class MessageQuerySchema(PageQuerySchema):
    class Meta:
        unknown = ma.RAISE

    status = ma.fields.String(validate=ma.validate.OneOf(NOTIFY_STATUSES + PLATFORM_STATUSES))
    batch_id = ma.fields.UUID()
    template = ma.fields.String(validate=ma.validate.Length(max=100))
    reference = ma.fields.String(validate=ma.validate.Length(max=255))


class BatchInSchema(StrictSchema):
    """Many recipients of one template."""

    class Meta(StrictSchema.Meta):
        example = {"template": "collection_reminder", "purpose": "waste_reminders", "essential": False,
                   "recipients": [{"phone_number": "07711 123456", "personalisation": {"date": "Friday 5 March"}},
                                  {"phone_number": "07722 654321", "personalisation": {"date": "Friday 5 March"}}]}

    template = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    recipients = ma.fields.List(ma.fields.Dict(), metadata={
        "description": "Each: email_address, phone_number or address, and personalisation. Or send `csv`."})
    csv = ma.fields.String(metadata={
        "description": "Instead of `recipients`: a spreadsheet saved as CSV, with Notify's columns (`email address`, "
                       "`phone number` or `address line 1`...) then one column per personalisation field."})
    validate_only = ma.fields.Boolean(load_default=False, metadata={"description": "Check every row, send nothing."})
    purpose = ma.fields.String(load_default="service", validate=PURPOSE)
    essential = ma.fields.Boolean(load_default=False)
    postage = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.OneOf(POSTAGE))
    reference = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=255))
    metadata_ = _metadata()

    @ma.validates_schema
    def _one_list(self, data, **_kwargs):
        if ("recipients" in data) == ("csv" in data):
            raise ma.ValidationError("Send either `recipients` or `csv`.", "recipients")


class BatchSchema(ma.Schema):
    class Meta:
        ordered = True
        example = {"id": "5d0c8e4a-2f3b-4c6d-9e1f-0a1b2c3d4e5f", "template": "collection_reminder", "channel": "sms",
                   "status": "running", "total": 2, "counts": {"queued": 1, "delivered": 1},
                   "purpose": "waste_reminders", "essential": False, "reference": None, "metadata": {}}

    id = ma.fields.UUID(allow_none=True)
    template = ma.fields.String()
    channel = ma.fields.String()
    status = ma.fields.String(metadata={"description": "running, paused, cancelled, done (or validated: nothing sent)."})
    total = ma.fields.Integer()
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                            metadata={"description": "Messages per status."})
    purpose = ma.fields.String()
    essential = ma.fields.Boolean()
    reference = ma.fields.String(allow_none=True)
    metadata_ = ma.fields.Dict(data_key="metadata")
    created_at = ma.fields.AwareDateTime(format="iso", allow_none=True)
    updated_at = ma.fields.AwareDateTime(format="iso", allow_none=True)


class OptOutInSchema(RecipientFields):
    class Meta(RecipientFields.Meta):
        example = {"channel": "sms", "purpose": "waste_reminders", "phone_number": "07711 123456"}

    channel = ma.fields.String(required=True, validate=ma.validate.OneOf(CHANNELS))
    purpose = ma.fields.String(required=True, validate=OPT_OUT_PURPOSE, metadata={
        "description": "The purpose opted out of, or `*` for every purpose (all non-essential messages)."})


class OptOutActionSchema(OptOutInSchema):
    """`notify.opt_out`'s input: an opt-out as the API takes it, and which part of the platform recorded it."""

    source = ma.fields.String(load_default="action", validate=ma.validate.OneOf(("action", "consent", "citizen")))


class LiftedSchema(ma.Schema):
    lifted = ma.fields.Integer(metadata={"description": "How many opt-outs went."})


class OptOutCoversSchema(ma.Schema):
    """`notify.opt_out_covers`'s input: one opt-out, and email addresses (or phone numbers) to check against it."""

    class Meta:
        unknown = ma.RAISE

    opt_out_id = ma.fields.UUID(required=True)
    addresses = ma.fields.List(ma.fields.String(validate=ma.validate.Length(max=320)), required=True,
                               validate=ma.validate.Length(max=5000))


class CoveredSchema(ma.Schema):
    covered = ma.fields.List(ma.fields.String(), metadata={"description": "Those of them it stands for."})


class OptOutSchema(ma.Schema):
    class Meta:
        ordered = True
        example = {"id": "7e1d2c3b-4a59-4687-9a8b-7c6d5e4f3a2b", "channel": "sms", "purpose": "waste_reminders",
                   "source": "api", "created_at": "2027-03-01T09:00:00+00:00"}

    id = ma.fields.UUID()
    channel = ma.fields.String()
    purpose = ma.fields.String()
    source = ma.fields.String()
    created_at = ma.fields.AwareDateTime(format="iso")


class CallbackSchema(ma.Schema):
    """Notify's delivery receipt. Fields Notify may add later are ignored, not refused."""

    class Meta:
        unknown = ma.EXCLUDE
        example = {"id": "740e5834-3a29-46b4-9a6f-16142fde533a", "reference": "0c8f3f7e-3b7e-4a52-8a0f-6d2f2d0b9c11",
                   "to": "sam@example.org", "status": "delivered", "created_at": "2027-03-01T09:00:01.000000Z",
                   "completed_at": "2027-03-01T09:00:05.000000Z", "sent_at": "2027-03-01T09:00:02.000000Z",
                   "notification_type": "email", "template_id": EXAMPLE_TEMPLATE_ID, "template_version": 1}

    id = ma.fields.UUID(required=True)
    reference = ma.fields.String(allow_none=True)
    to = ma.fields.String(allow_none=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(NOTIFY_STATUSES))
    created_at = ma.fields.String(allow_none=True)
    completed_at = ma.fields.String(allow_none=True)
    sent_at = ma.fields.String(allow_none=True)
    notification_type = ma.fields.String(allow_none=True, validate=ma.validate.OneOf(CHANNELS))
    template_id = ma.fields.UUID(allow_none=True)
    template_version = ma.fields.Integer(allow_none=True)


class CallbackBodySchema(ma.Schema):
    """Notify's delivery receipt (fields as in `CallbackSchema`), taken as it comes: it is checked only after
    the callback token, so that nobody without the token learns anything from the answer."""

    class Meta:
        unknown = ma.INCLUDE
        example = CallbackSchema.Meta.example


class UnsubscribeSchema(ma.Schema):
    class Meta:
        example = {"organisation": "Riverside Borough Council", "channel": "email", "purpose": "newsletter",
                   "unsubscribed": False}

    organisation = ma.fields.String()
    channel = ma.fields.String()
    purpose = ma.fields.String()
    unsubscribed = ma.fields.Boolean()
