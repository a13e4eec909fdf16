"""Citizens' unsubscribe links: signed, expiring, naming the organisation, channel, purpose and the address's
opt-out key (an HMAC: the link is signed, not encrypted, and reveals nothing of the address).

The link goes into the email as Notify's `one_click_unsubscribe_url` (RFC 8058: a POST unsubscribes) and,
when the template has an `unsubscribe_link` field, into its personalisation. GET only describes it:
mail scanners follow links, and following one must not unsubscribe anybody.
"""
import contextlib
import uuid

from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from civic.core import edge
from civic.notify import problems, recipients

SALT = "civic.notify.unsubscribe"
FIELD = "unsubscribe_link"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token(*, tenant_id: uuid.UUID, sandbox: bool, channel: str, purpose: str, key: str) -> str:
    """The signed link's payload: the opt-out key (an HMAC, recipients.opt_out_key) and its key version."""
    return _serializer().dumps([str(tenant_id), bool(sandbox), channel, purpose, key, recipients.KEY_VERSION])


def link(*, tenant_id: uuid.UUID, message, key: str) -> str | None:
    """The message's unsubscribe URL (None in a job when CIVIC_ISSUER is not set: there is no public address)."""
    if not has_request_context() and not current_app.config["ISSUER"]:
        return None
    base = edge.base_url() if has_request_context() else current_app.config["ISSUER"].rstrip("/")
    signed = token(tenant_id=tenant_id, sandbox=message.sandbox, channel=message.channel, purpose=message.purpose,
                   key=key)
    with current_app.test_request_context() if not has_request_context() else contextlib.nullcontext():
        path = url_for("notify-public.Unsubscribe", token=signed)
    return base + path


def read(signed: str) -> dict:
    """What a link says, if we signed it and it has not expired; else the link's 404."""
    days = current_app.config["NOTIFY_UNSUBSCRIBE_DAYS"]
    try:
        tenant_id, sandbox, channel, purpose, key, *version = _serializer().loads(signed, max_age=days * 86400)
        # A link made before opt-outs were HMACs carries no version: its key is version 1's SHA-256.
        key_version = int(version[0]) if version else recipients.LEGACY_KEY_VERSION
        return {"tenant_id": uuid.UUID(tenant_id), "sandbox": bool(sandbox), "channel": channel, "purpose": purpose,
                "key": key, "key_version": key_version}
    except (BadSignature, ValueError, TypeError):
        raise problems.BAD_UNSUBSCRIBE_LINK("This unsubscribe link is not valid or has expired.") from None
