"""What anonymous callers may do: Notify posting delivery receipts, and citizens using an unsubscribe link.

Neither has a platform token, so each names its organisation (in the path, or inside the signed link)
and works inside that organisation's tenant context only.
"""
import uuid

import marshmallow as ma
import sqlalchemy as sa

from civic.core import audit
from civic.core.db import session
from civic.core.errors import Problem
from civic.core.tenancy import Tenant, tenant_context
from civic.notify import delivery, events, problems, service, unsubscribe
from civic.notify.models import Config, OptOut
from civic.notify.schemas import CallbackSchema


def _tenant(tenant_id) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(tenant_id))
    except ValueError:
        return None


def callback(*, tenant_id, token: str | None, body: dict) -> None:
    """A delivery receipt: the organisation's callback token (constant-time check), then the status change."""
    found = _tenant(tenant_id)
    configs = []
    if found is not None:
        with tenant_context(found):
            configs = list(session.scalars(sa.select(Config).where(Config.tenant_id == found)))
    config = service.check_callback_token(configs, token)  # a wrong token, or no such organisation: the same 401
    try:  # only now, with the caller known, is the body read
        receipt = CallbackSchema().load(body if isinstance(body, dict) else {})
    except ma.ValidationError as error:
        raise Problem(422, "validation_failed", "Check the `errors` field for what to fix.",
                      title="Some fields are not valid", errors=error.messages) from None
    with tenant_context(config.tenant_id):
        delivery.receive_callback(config=config, body=receipt)


def unsubscribe_info(*, token: str) -> dict:
    link = unsubscribe.read(token)
    tenant = session.get(Tenant, link["tenant_id"])
    if tenant is None:
        raise problems.BAD_UNSUBSCRIBE_LINK("This unsubscribe link is not valid or has expired.")
    with tenant_context(tenant.id):
        done = session.scalar(sa.select(OptOut.id).where(
            OptOut.tenant_id == tenant.id, OptOut.sandbox == link["sandbox"], OptOut.channel == link["channel"],
            OptOut.purpose == link["purpose"], OptOut.recipient_hash == link["key"])) is not None
    return {"organisation": tenant.name, "channel": link["channel"], "purpose": link["purpose"], "unsubscribed": done}


def unsubscribe_now(*, token: str) -> dict:
    """Record the opt-out the link stands for (doing it twice changes nothing)."""
    info = unsubscribe_info(token=token)
    link = unsubscribe.read(token)
    if not info["unsubscribed"]:
        with tenant_context(link["tenant_id"]):
            opt_out = OptOut(id=uuid.uuid4(), tenant_id=link["tenant_id"], sandbox=link["sandbox"],
                             channel=link["channel"], purpose=link["purpose"], recipient_hash=link["key"],
                             key_version=link["key_version"], source="link")
            if not service.insert_once(opt_out):  # the same link used twice at once: the first one counts
                return {**info, "unsubscribed": True}
            audit.record("notify.unsubscribed", tenant_id=link["tenant_id"], subject_type="notify_opt_out",
                         subject_id=opt_out.id, actor="citizen:unsubscribe-link")
            events.UNSUBSCRIBED.emit(tenant_id=link["tenant_id"], subject=str(opt_out.id), data={
                "opt_out_id": str(opt_out.id), "channel": opt_out.channel, "purpose": opt_out.purpose,
                "sandbox": opt_out.sandbox})
    return {**info, "unsubscribed": True}
