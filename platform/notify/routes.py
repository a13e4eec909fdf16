"""The notify API under /v1/notify: HTTP only, one service call per method."""
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from civic.core import edge
from civic.core.auth import current_principal, current_tenant_id, inbound, public, require
from civic.core.errors import Problem
from civic.core.pagination import PageQuerySchema, page_schema
from civic.notify import batches, public as anonymous, schemas, service

GUIDE = """Emails, text messages and letters through your organisation's own GOV.UK Notify service.

**Send your first booking confirmation in three steps.**

1. A tenant admin gives the platform your Notify API key: `PUT /v1/notify/config` with
   `{"api_key": "...", "key_type": "live"}` (the key is stored encrypted and never shown again).
2. Name your Notify template: `POST /v1/notify/templates` with `{"name": "booking_confirmation",
   "notify_template_id": "...", "channel": "email"}`. The platform reads from Notify which
   personalisation fields it needs.
3. Send: `POST /v1/notify/messages` with `{"template": "booking_confirmation", "email_address": "...",
   "personalisation": {...}}`. The answer comes at once with status `queued`; a background job sends it,
   and `GET /v1/notify/messages/{id}` shows Notify's status (`delivered`, `permanent-failure`, ...).

Bulk: `POST /v1/notify/batches` with `recipients`, or `csv` (Notify's spreadsheet columns), up to
50,000 recipients, every bad row reported by number, `validate_only` to check without sending. Sending
keeps under Notify's limits by waiting, never by failing. Sandbox clients send through a simulated
Notify (`temp-fail@simulator.notify` and `07700900003` fail temporarily, `perm-fail@simulator.notify`
and `07700900002` permanently).

Errors carry a stable `code`: `notify_not_configured`, `notify_key_invalid`, `notify_key_refused`,
`notify_template_not_found`, `notify_template_mismatch`, `missing_personalisation`, `invalid_recipient`,
`batch_invalid`, `batch_not_changeable`, `notify_unavailable`."""

blp = Blueprint("notify", __name__, url_prefix="/v1/notify", description=GUIDE)
public_blp = Blueprint("notify-public", __name__, url_prefix="/v1/notify",
                       description="Notify's delivery receipts and citizens' unsubscribe links (no token).")
READ, WRITE = "notify:read", "notify:write"


def _tenant_admin_only() -> None:
    """Changing the organisation's Notify settings: an app with notify:write, or a signed-in tenant admin."""
    principal = current_principal()
    if principal.user_id is not None and "clients:manage" not in principal.scopes:
        raise Problem(403, "forbidden", "Only a tenant admin may change the organisation's Notify settings.",
                      title="Forbidden")


# --- configuration -------------------------------------------------------------------
@blp.route("/config")
class ConfigView(MethodView):
    @require(READ)
    @edge.publishes_urls
    @blp.response(200, schemas.ConfigSchema)
    def get(self):
        """See your Notify settings: key name, service id and key type (never the key itself).

        Needs `notify:read`. Answers 409 `notify_not_configured` before the key is set."""
        return service.get_config(tenant_id=current_tenant_id())

    @require(WRITE)
    @edge.publishes_urls
    @blp.arguments(schemas.ConfigSchema)
    @blp.response(200, schemas.ConfigSchema)
    def put(self, data):
        """Set your Notify API key, sender ids, callback token, retention and automatic messages.

        Needs `notify:write` (a signed-in person must be a tenant admin). The key is checked for Notify's
        form (`{key name}-{service id}-{secret}`), encrypted, and never returned or logged; the callback
        token is kept hashed. Errors: `notify_key_invalid`, `validation_failed`."""
        _tenant_admin_only()
        return service.put_config(tenant_id=current_tenant_id(), **data)

    @require(WRITE)
    @blp.response(204)
    def delete(self):
        """Remove your Notify settings (queued messages then end `failed`).

        Needs `notify:write` (a signed-in person must be a tenant admin)."""
        _tenant_admin_only()
        service.delete_config(tenant_id=current_tenant_id())


# --- templates -------------------------------------------------------------------------
@blp.route("/templates")
class Templates(MethodView):
    @require(READ)
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.TemplateSchema))
    def get(self, query):
        """List your templates and the personalisation each needs.

        Needs `notify:read`. Lists the names you gave your Notify templates, with their channel; a page of
        20 by default (`limit`, then `after` with the `next` cursor). Errors: `invalid_cursor`."""
        return service.list_templates(tenant_id=current_tenant_id(), **query)

    @require(WRITE)
    @blp.arguments(schemas.TemplateSchema)
    @blp.response(201, schemas.TemplateSchema)
    @blp.alt_response(200, schema=schemas.TemplateSchema, description="That name was already given: read again from Notify.")
    def post(self, data):
        """Give one of your Notify templates a name (or read it again from Notify).

        Needs `notify:write`. Calls Notify (`GET /v2/template/{id}`) to learn its fields. Errors:
        `notify_not_configured`, `notify_template_not_found`, `notify_template_mismatch`, `notify_key_refused`,
        `notify_unavailable`."""
        template = service.save_template(tenant_id=current_tenant_id(), **data)
        return template, 201 if getattr(template, "created_now", False) else 200


@blp.route("/templates/<template_id>")
class TemplateById(MethodView):
    @require(READ)
    @blp.response(200, schemas.TemplateSchema)
    def get(self, template_id):
        """One template.

        Needs `notify:read`. Its channel and the personalisation fields a message must fill in; changes
        nothing. Errors: `not_found`."""
        return service.get_template(tenant_id=current_tenant_id(), template_id=template_id)

    @require(WRITE)
    @blp.response(204)
    def delete(self, template_id):
        """Forget a template name (Notify keeps the template).

        Needs `notify:write`. Messages already sent keep their record; new ones cannot use this name.
        Errors: `not_found`."""
        service.delete_template(tenant_id=current_tenant_id(), template_id=template_id)


@blp.route("/templates/<template_id>/preview")
class TemplatePreview(MethodView):
    @require(READ)
    @blp.arguments(schemas.PreviewInSchema)
    @blp.response(200, schemas.PreviewSchema)
    def post(self, data, template_id):
        """See a message as it would be sent, filled in by Notify's preview.

        Needs `notify:read`. Sends nothing. Errors: `missing_personalisation`, `notify_unavailable`."""
        return service.preview(tenant_id=current_tenant_id(), template_id=template_id, **data)


# --- messages --------------------------------------------------------------------------
@blp.route("/messages")
class Messages(MethodView):
    @require(READ)
    @blp.arguments(schemas.MessageQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.MessageSchema))
    def get(self, query):
        """List messages, by status, batch, template or your reference.

        Needs `notify:read`. A page of 20 by default (`limit`, then `after` with the `next` cursor).
        Changes nothing. Errors: `invalid_cursor`."""
        return service.list_messages(tenant_id=current_tenant_id(), **query)

    @require(WRITE)
    @blp.arguments(schemas.SendSchema)
    @blp.response(201, schemas.MessageSchema)
    def post(self, data):
        """Send an email, text message or letter from one of your templates.

        Needs `notify:write`. Answers at once with status `queued` (or `opted_out`); a background job sends
        it with your Notify key, retrying if Notify is busy, never twice. Each status change is an event
        (`civic.notify.message_delivered`, `.message_failed`, ...). Errors: `notify_not_configured`,
        `notify_template_not_found`, `missing_personalisation`, `invalid_recipient`: nothing is queued."""
        return service.send_message(tenant_id=current_tenant_id(), **data)


@blp.route("/messages/<message_id>")
class MessageById(MethodView):
    @require(READ)
    @blp.response(200, schemas.MessageSchema)
    def get(self, message_id):
        """One message and its status at Notify.

        Needs `notify:read`. The status follows Notify's delivery receipts (`queued`, `sending`,
        `delivered`, ...). Errors: `not_found`."""
        return service.get_message(tenant_id=current_tenant_id(), message_id=message_id)


# --- batches ---------------------------------------------------------------------------
@blp.route("/batches")
class Batches(MethodView):
    @require(READ)
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.BatchSchema))
    def get(self, query):
        """List your bulk sends with their progress.

        Needs `notify:read`. A page of 20 by default (`limit`, then `after` with the `next` cursor).
        Errors: `invalid_cursor`."""
        return batches.list_batches(tenant_id=current_tenant_id(), **query)

    @require(WRITE)
    @blp.arguments(schemas.BatchInSchema)
    @blp.response(201, schemas.BatchSchema)
    @blp.alt_response(200, schema=schemas.BatchSchema, description="validate_only: every row checked, nothing sent.")
    def post(self, data):
        """Send one template to many people (up to 50,000), or only check the list.

        Needs `notify:write`. Every row is checked first; any bad row is a 422 `batch_invalid` listing each
        by row number, and nothing is queued. Sending keeps under Notify's limits by waiting."""
        return _batch(batches.create_batch(tenant_id=current_tenant_id(), **data))


def _batch(result: dict):
    if result.get("validate_only"):
        return {"status": "validated", "template": result["template"], "total": result["total"], "counts": {}}, 200
    return result


def _change(action: str):
    def post(self, batch_id):
        return batches.change_batch(tenant_id=current_tenant_id(), batch_id=batch_id, action=action)

    post.__doc__ = {"pause": "Pause a bulk send: queued messages wait until you resume.",
                    "resume": "Resume a paused bulk send.",
                    "cancel": "Cancel a bulk send: messages not yet sent end `cancelled`."}[action] + \
        "\n\nNeeds `notify:write`. Errors: `batch_not_changeable`."
    return require(WRITE)(blp.response(200, schemas.BatchSchema)(post))


@blp.route("/batches/<batch_id>")
class BatchById(MethodView):
    @require(READ)
    @blp.response(200, schemas.BatchSchema)
    def get(self, batch_id):
        """A bulk send's progress: how many messages are at each status.

        Needs `notify:read`. Pause, resume or cancel it from `.../pause`, `.../resume`, `.../cancel`.
        Errors: `not_found`."""
        return batches.get_batch(tenant_id=current_tenant_id(), batch_id=batch_id)


for _action in ("pause", "resume", "cancel"):
    blp.route(f"/batches/<batch_id>/{_action}")(type(f"Batch{_action.title()}", (MethodView,), {"post": _change(_action)}))


# --- opt-outs --------------------------------------------------------------------------
@blp.route("/opt-outs")
class OptOuts(MethodView):
    @require(READ)
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, page_schema(schemas.OptOutSchema))
    def get(self, query):
        """List opt-outs (the addresses are kept hashed and not shown).

        Needs `notify:read`. A page of 20 by default (`limit`, then `after` with the `next` cursor).
        Errors: `invalid_cursor`."""
        return service.list_opt_outs(tenant_id=current_tenant_id(), **query)

    @require(WRITE)
    @blp.arguments(schemas.OptOutInSchema)
    @blp.response(201, schemas.OptOutSchema)
    @blp.alt_response(200, schema=schemas.OptOutSchema, description="Already recorded: nothing changed.")
    def post(self, data):
        """Record that someone does not want your non-essential messages of one purpose on one channel.

        Needs `notify:write`. The address is kept hashed; later messages of that purpose to it end
        `opted_out` and are not sent. Essential messages still go. Errors: `invalid_recipient`."""
        opt_out = service.add_opt_out(tenant_id=current_tenant_id(), **data)
        return opt_out, 201 if getattr(opt_out, "created_now", False) else 200


@blp.route("/opt-outs/<opt_out_id>")
class OptOutById(MethodView):
    @require(WRITE)
    @blp.response(204)
    def delete(self, opt_out_id):
        """Remove an opt-out (when the person asks to get those messages again).

        Needs `notify:write`. Messages of that purpose are sent to the address again from now on.
        Errors: `not_found`."""
        service.delete_opt_out(tenant_id=current_tenant_id(), opt_out_id=opt_out_id)


# --- public: Notify's callbacks and citizens' links --------------------------------------
@public_blp.route("/callbacks/<tenant_id>")
class Callbacks(MethodView):
    @inbound
    @public_blp.arguments(schemas.CallbackBodySchema)
    @public_blp.response(204)
    def post(self, data, tenant_id):
        """Notify's delivery receipt for one message (give Notify this URL and your callback token).

        Needs the organisation's callback bearer token (else 401 `callback_unauthenticated`), checked before
        the body is read. Duplicates and late receipts change nothing: a final status is never replaced."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        anonymous.callback(tenant_id=tenant_id, token=token.strip() if scheme.lower() == "bearer" else None,
                           body=data)


@public_blp.route("/unsubscribe/<token>")
class Unsubscribe(MethodView):
    @public
    @public_blp.response(200, schemas.UnsubscribeSchema)
    def get(self, token):
        """What an unsubscribe link is for (following the link changes nothing).

        Anyone with the link: no token is needed. Shows the organisation and the kind of message, so the
        person can confirm with a POST. Errors: `unsubscribe_link_invalid`."""
        return anonymous.unsubscribe_info(token=token)

    @public
    @public_blp.response(200, schemas.UnsubscribeSchema)
    def post(self, token):
        """Unsubscribe (one click, as email apps do): no more of that organisation's messages of that kind.

        Anyone with the link: no token is needed. Records an opt-out (kept hashed); doing it twice changes
        nothing. Errors: `unsubscribe_link_invalid`."""
        return anonymous.unsubscribe_now(token=token)
