"""`Idempotency-Key` on creating POSTs.

Same key + same body within 24 h replays the first response; same key with a
different body is a 422; a duplicate arriving while the first is still running
is a 409. The key is reserved (and committed) before the work starts, and the
response is saved in the same transaction as the work, so a replay is exactly
what the first caller got. Failed requests free their key for a retry.
"""
import datetime as dt
import hashlib
import uuid

import sqlalchemy as sa
from flask import current_app, g, request
from sqlalchemy.orm import Mapped, mapped_column

from civic.core.auth import current_principal
from civic.core.db import Base, session, utcnow
from civic.core.errors import Problem

KEY_TTL = dt.timedelta(hours=24)
STALE_AFTER = dt.timedelta(seconds=60)  # an in-progress key older than this was abandoned


class IdempotencyKey(Base):
    __tablename__ = "core_idempotency_key"
    __table_args__ = (sa.UniqueConstraint("owner", "key", name="uq_core_idempotency_key_owner_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner: Mapped[str] = mapped_column(sa.String(200))
    key: Mapped[str] = mapped_column(sa.String(255))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(12), default="in_progress")
    response_status: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    response_headers: Mapped[dict | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


def _request_hash() -> str:
    digest = hashlib.sha256(f"{request.method} {request.full_path}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def begin():
    """Before the view: reserve the key, or answer with a replay / 409 / 422."""
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or key is None:
        return None
    if not key.strip() or len(key) > 255:
        raise Problem(422, "invalid_idempotency_key", "Idempotency-Key must be 1-255 characters.")
    principal = current_principal(optional=True)
    if principal is None:
        return None  # the view answers 401
    owner, request_hash, now = principal.client_id, _request_hash(), utcnow()
    existing = session.scalars(sa.select(IdempotencyKey).where(
        IdempotencyKey.owner == owner, IdempotencyKey.key == key).with_for_update()).first()
    if existing is not None and (existing.expires_at < now or (
            existing.state == "in_progress" and existing.created_at < now - STALE_AFTER)):
        session.delete(existing)
        session.flush()
        existing = None
    if existing is not None:
        session.rollback()
        if existing.request_hash != request_hash:
            raise Problem(422, "idempotency_key_reused",
                          "This Idempotency-Key was already used with a different request. Use a new key.")
        if existing.state == "in_progress":
            raise Problem(409, "idempotency_in_progress",
                          "A request with this Idempotency-Key is still being processed. Retry shortly.",
                          headers={"Retry-After": "1"})
        response = current_app.response_class(existing.response_body, status=existing.response_status)
        for name, value in (existing.response_headers or {}).items():
            response.headers[name] = value
        response.headers["Idempotent-Replayed"] = "true"
        return response
    record = IdempotencyKey(owner=owner, key=key, request_hash=request_hash, created_at=now, expires_at=now + KEY_TTL)
    session.add(record)
    try:
        session.commit()  # reserve the key before doing the work
    except sa.exc.IntegrityError:
        session.rollback()
        raise Problem(409, "idempotency_in_progress",
                      "A request with this Idempotency-Key is still being processed. Retry shortly.",
                      headers={"Retry-After": "1"}) from None
    g.civic_idempotency_id = record.id
    return None


def finish(response) -> None:
    """After a successful view: save the response in the same transaction as the work."""
    record_id = g.get("civic_idempotency_id")
    if record_id is None or response.status_code >= 400:
        return
    headers = {k: v for k, v in response.headers.items() if k in ("Content-Type", "Location", "ETag")}
    session.execute(sa.update(IdempotencyKey).where(IdempotencyKey.id == record_id).values(
        state="complete", response_status=response.status_code,
        response_body=response.get_data(as_text=True), response_headers=headers))
    g.civic_idempotency_id = None


def release() -> None:
    """After a failed request (already rolled back): free the key so the caller can retry."""
    record_id = g.pop("civic_idempotency_id", None)
    if record_id is None:
        return
    try:
        session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.id == record_id))
        session.commit()
    except sa.exc.SQLAlchemyError:
        session.rollback()  # it goes stale and is taken over after STALE_AFTER
