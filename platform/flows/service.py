"""Webhook endpoints: create, change, pause, resume, rotate the secret, delete. Keyword-only, tenant first; flush only.

A signing secret is `whsec_` and the base64 of 32 random bytes (Standard Webhooks' form). It is answered once,
when made (on create and on rotate), kept encrypted, and never answered or logged again. After a rotation the
old secret stays valid for FLOWS_SECRET_OVERLAP_HOURS: deliveries then carry a signature made with each.
"""
import base64
import datetime as dt
import secrets
import uuid

import sqlalchemy as sa
from flask import current_app

from civic.core import actions, audit, crypto, etag, events as core_events
from civic.core.db import session, utcnow
from civic.core.pagination import paginate
from civic.core.people import role_at_least
from civic.core.tenancy import get_scoped, scoped
from civic.flows import problems, transport
from civic.flows.models import Endpoint

SECRET_BYTES = 32


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def allow_http() -> bool:
    configured = current_app.config.get("FLOWS_WEBHOOK_ALLOW_HTTP")
    return current_app.config["ENV"] != "production" if configured is None else bool(configured)


def allow_private() -> bool:
    return bool(current_app.config["FLOWS_WEBHOOK_ALLOW_PRIVATE"])


def admin_only(principal) -> None:
    """Endpoints send events outside the platform: a signed-in person must be a tenant admin."""
    if principal.user_id is not None and not role_at_least(principal, "tenant_admin"):
        raise problems.ADMIN_REQUIRED("Only a tenant admin may change webhook endpoints or resend their deliveries.")


def check_url(url: str) -> str:
    try:
        transport.check_url(url, allow_http=allow_http(), allow_private=allow_private())
    except transport.Refused as refused:
        raise problems.URL_REFUSED(str(refused), errors={"url": [str(refused)]}) from None
    return url


def check_event_types(event_types: list[str]) -> list[str]:
    """Exact names from the catalogue of the enabled components, `civic.<component>.*`, or `*`; else a 422."""
    app = current_app._get_current_object()
    known = {event.type for event in core_events.declared(app)}
    components = set(app.extensions.get("civic.components", []))
    wrong = []
    for name in event_types:
        if name == "*" or name in known:
            continue
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "civic" and parts[2] == "*" and parts[1] in components:
            continue
        wrong.append(name)
    if wrong:
        raise problems.EVENT_TYPE_UNKNOWN(f"Not in the event catalogue: {', '.join(wrong)}.",
                                          errors={"event_types": [f"Unknown: {', '.join(wrong)}."]})
    return list(dict.fromkeys(event_types))


def matches(patterns: list[str], event_type: str) -> bool:
    for pattern in patterns:
        if pattern == "*" or pattern == event_type or (
                pattern.endswith(".*") and event_type.startswith(pattern[:-1])):
            return True
    return False


def signing_secrets(endpoint: Endpoint) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one during its overlap."""
    found = [crypto.decrypt(endpoint.secret_ciphertext)]
    if endpoint.previous_secret_ciphertext and endpoint.previous_secret_expires_at \
            and endpoint.previous_secret_expires_at > utcnow():
        found.append(crypto.decrypt(endpoint.previous_secret_ciphertext))
    return found


def _shown(endpoint: Endpoint, secret: str) -> Endpoint:
    endpoint.secret = secret  # answered this once; the column holds it encrypted
    return endpoint


def create_endpoint(*, tenant_id: uuid.UUID, principal, url: str, event_types: list[str], **fields) -> Endpoint:
    admin_only(principal)
    limit = current_app.config["FLOWS_MAX_ENDPOINTS"]
    if session.scalar(scoped(Endpoint, tenant_id).with_only_columns(sa.func.count())) >= limit:
        raise problems.ENDPOINT_LIMIT(f"Your organisation has {limit} webhook endpoints already.")
    secret = new_secret()
    endpoint = Endpoint(id=uuid.uuid4(), tenant_id=tenant_id, url=check_url(url),
                        event_types=check_event_types(event_types), status="active",
                        secret_ciphertext=crypto.encrypt(secret), **fields)
    session.add(endpoint)
    session.flush()
    audit.record("flows.endpoint_created", tenant_id=tenant_id, subject_type="flows_endpoint", subject_id=endpoint.id,
                 detail={"event_types": endpoint.event_types})
    return _shown(endpoint, secret)


def list_endpoints(*, tenant_id: uuid.UUID, status: str | None = None, limit: int = 20, after: str | None = None) -> dict:
    query = scoped(Endpoint, tenant_id)
    if status:
        query = query.where(Endpoint.status == status)
    return paginate(query, Endpoint, limit=limit, after=after)


def get_endpoint(*, tenant_id: uuid.UUID, endpoint_id, lock: bool = False) -> Endpoint:
    return get_scoped(Endpoint, tenant_id, endpoint_id, what="webhook endpoint", lock=lock)


def update_endpoint(*, tenant_id: uuid.UUID, principal, endpoint_id, if_match: str | None = None, **fields) -> Endpoint:
    admin_only(principal)
    endpoint = get_endpoint(tenant_id=tenant_id, endpoint_id=endpoint_id, lock=True)
    etag.check(endpoint, if_match)
    if "url" in fields:
        fields["url"] = check_url(fields["url"])
    if "event_types" in fields:
        fields["event_types"] = check_event_types(fields["event_types"])
    for name, value in fields.items():
        setattr(endpoint, name, value)
    endpoint.updated_at = utcnow()
    session.flush()
    audit.record("flows.endpoint_changed", tenant_id=tenant_id, subject_type="flows_endpoint", subject_id=endpoint.id,
                 detail={"fields": sorted(fields)})
    return endpoint


def delete_endpoint(*, tenant_id: uuid.UUID, principal, endpoint_id, if_match: str | None = None) -> None:
    admin_only(principal)
    endpoint = get_endpoint(tenant_id=tenant_id, endpoint_id=endpoint_id, lock=True)
    etag.check(endpoint, if_match)
    audit.record("flows.endpoint_deleted", tenant_id=tenant_id, subject_type="flows_endpoint", subject_id=endpoint.id)
    session.delete(endpoint)  # its deliveries and attempts go with it
    session.flush()


def rotate_secret(*, tenant_id: uuid.UUID, principal, endpoint_id, if_match: str | None = None) -> Endpoint:
    admin_only(principal)
    endpoint = get_endpoint(tenant_id=tenant_id, endpoint_id=endpoint_id, lock=True)
    etag.check(endpoint, if_match)
    secret = new_secret()
    endpoint.previous_secret_ciphertext = endpoint.secret_ciphertext
    endpoint.previous_secret_expires_at = utcnow() + dt.timedelta(
        hours=current_app.config["FLOWS_SECRET_OVERLAP_HOURS"])
    endpoint.secret_ciphertext = crypto.encrypt(secret)
    endpoint.updated_at = utcnow()
    session.flush()
    audit.record("flows.secret_rotated", tenant_id=tenant_id, subject_type="flows_endpoint", subject_id=endpoint.id)
    return _shown(endpoint, secret)


def pause_endpoint(*, tenant_id: uuid.UUID, principal, endpoint_id, if_match: str | None = None) -> Endpoint:
    """Stop sending: deliveries of the endpoint wait (held) until it is resumed; new events are not delivered."""
    admin_only(principal)
    endpoint = get_endpoint(tenant_id=tenant_id, endpoint_id=endpoint_id, lock=True)
    etag.check(endpoint, if_match)
    if endpoint.status != "active":
        raise problems.ENDPOINT_NOT_CHANGEABLE(f"The endpoint is {endpoint.status}: only an active one can be paused.")
    endpoint.status, endpoint.updated_at = "paused", utcnow()
    session.flush()
    audit.record("flows.endpoint_paused", tenant_id=tenant_id, subject_type="flows_endpoint", subject_id=endpoint.id)
    return endpoint


def resume_endpoint(*, tenant_id: uuid.UUID, principal, endpoint_id, if_match: str | None = None) -> Endpoint:
    """Send again (a disabled one too): deliveries held while it was paused or disabled are sent now."""
    from civic.flows import deliveries

    admin_only(principal)

    endpoint = get_endpoint(tenant_id=tenant_id, endpoint_id=endpoint_id, lock=True)
    etag.check(endpoint, if_match)
    if endpoint.status == "active":
        raise problems.ENDPOINT_NOT_CHANGEABLE("The endpoint is active already.")
    endpoint.status, endpoint.disabled_reason, endpoint.failing_since = "active", None, None
    endpoint.updated_at = utcnow()
    session.flush()
    deliveries.release_held(tenant_id=tenant_id, endpoint=endpoint)
    audit.record("flows.endpoint_resumed", tenant_id=tenant_id, subject_type="flows_endpoint", subject_id=endpoint.id)
    return endpoint




def list_actions(*, tenant_id: uuid.UUID) -> dict:
    """What this organisation's flows can call: the actions of the components it has switched on."""
    return {"items": actions.catalogue(tenant_id=tenant_id)}
