"""`Idempotency-Key` on creating POSTs, after the caller is authenticated and authorised.

Same key + same body within 24 h replays the first response, to the same caller only
(tenant, client and signed-in user); the same key with a different body is a 422. The key
row is written in the request's own transaction, so nobody else sees it until the work
commits with it: a duplicate arriving meanwhile waits on the unique index (PostgreSQL,
up to LOCK_WAIT_MS, then a 409) or behind the write lock (SQLite), and then replays the
answer, or does the work itself if the first rolled back. A key is never taken over while
its first request lives. Stored answers are encrypted: they carry secrets and personal data.

A replay skips the view, and with it the checks a service makes itself (a role, a scope such as
`clients:manage` that only the service asks for). So the record keeps the caller's authority when it
was made (role and scopes), and a replay is refused (403 `idempotency_access_changed`) unless the
caller still holds all of it: a demoted user or a narrower token never gets the first answer again.
"""
import datetime as dt
import hashlib
import hmac
import uuid

import sqlalchemy as sa
from flask import current_app, g, request
from sqlalchemy.orm import Mapped, mapped_column

from civic.core import crypto, people
from civic.core.db import Base, session, utcnow
from civic.core import problems
from civic.core.errors import Problem

KEY_TTL = dt.timedelta(hours=24)
LOCK_WAIT_MS = 2000  # how long a duplicate waits for the first request before a 409
KEPT_HEADERS = ("Content-Type", "Location", "ETag")


class IdempotencyKey(Base):
    __tablename__ = "core_idempotency_key"
    __table_args__ = (sa.UniqueConstraint("owner", "key", name="uq_core_idempotency_key_owner_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner: Mapped[str] = mapped_column(sa.String(200))
    key: Mapped[str] = mapped_column(sa.String(255))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(12), default="in_progress")
    response_status: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(sa.Text)  # encrypted
    response_headers: Mapped[dict | None]  # values encrypted
    authority: Mapped[str | None] = mapped_column(sa.Text)  # "role scope scope ...", see _authority
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


def _in_progress() -> Problem:
    return problems.IDEMPOTENCY_IN_PROGRESS(
                   "A request with this Idempotency-Key is still being processed. Retry shortly.",
                   headers={"Retry-After": "1"})


def _owner(principal) -> str:
    """Keys belong to one caller: the tenant, the client and the signed-in user (if any)."""
    return f"{principal.tenant_id}/{principal.client_id}/{principal.user_id or '-'}"


def _authority(principal) -> str:
    """What the caller may do now: its role (a person's, looked up afresh) and its scopes."""
    return " ".join([people.role_of(principal), *sorted(principal.scopes)])


def _still_holds(then: str | None, now: str) -> bool:
    if then is None:  # recorded before authority was kept
        return True
    (role_then, *scopes_then), (role_now, *scopes_now) = then.split(" "), now.split(" ")
    return people.ROLES.index(role_now) >= people.ROLES.index(role_then) and set(scopes_then) <= set(scopes_now)


def _request_hash() -> str:
    # Keyed, so the stored hash of a body holding a password cannot be tested against guesses.
    mac = hmac.new(current_app.config["SECRET_KEY"].encode(), digestmod=hashlib.sha256)
    mac.update(f"{request.method} {request.full_path}\n".encode())
    mac.update(request.get_data(cache=True))
    return mac.hexdigest()


def _find(owner: str, key: str) -> IdempotencyKey | None:
    return session.scalars(sa.select(IdempotencyKey).where(IdempotencyKey.owner == owner, IdempotencyKey.key == key)
                           .execution_options(populate_existing=True)).first()


def _reserve(record: dict) -> bool:
    """Insert the key in this request's transaction; False if another request already holds it."""
    postgres = session.get_bind().dialect.name == "postgresql"
    try:
        with session.begin_nested():
            if postgres:  # wait on the first request's uncommitted row only briefly
                previous = session.execute(sa.text("SELECT current_setting('lock_timeout'), "
                                                   "set_config('lock_timeout', :wait, true)"),
                                           {"wait": f"{LOCK_WAIT_MS}ms"}).scalar_one()
            session.execute(sa.insert(IdempotencyKey).values(**record))
            if postgres:
                session.execute(sa.text("SELECT set_config('lock_timeout', :previous, true)"), {"previous": previous})
    except sa.exc.IntegrityError:
        return False  # the first request committed meanwhile
    except sa.exc.OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == "55P03":  # lock_not_available: the first is still running
            raise _in_progress() from None
        raise
    return True


def _replay(existing: IdempotencyKey, request_hash: str, principal):
    if not hmac.compare_digest(existing.request_hash, request_hash):
        raise problems.IDEMPOTENCY_KEY_REUSED(
                      "This Idempotency-Key was already used with a different request. Use a new key.")
    if existing.state != "complete":
        raise _in_progress()
    if not _still_holds(existing.authority, _authority(principal)):
        raise problems.IDEMPOTENCY_ACCESS_CHANGED(
                      "Your role or scopes have changed since this Idempotency-Key was first used, so its first "
                      "answer is not shown again.")
    try:
        body = crypto.decrypt(existing.response_body)
        headers = {name: crypto.decrypt(value) for name, value in (existing.response_headers or {}).items()}
    except ValueError:
        raise problems.IDEMPOTENCY_KEY_UNREADABLE(
                      "The first answer to this Idempotency-Key can no longer be read. Use a new key.") from None
    response = current_app.response_class(body, status=existing.response_status)
    for name, value in headers.items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def begin(principal):
    """Inside the protection decorator, after the checks: reserve the key, or answer with a replay / 409 / 422."""
    key = request.headers.get("Idempotency-Key")
    g.civic_idempotency_id = None
    if request.method != "POST" or key is None:
        return None
    if not key.strip() or len(key) > 255:
        raise problems.INVALID_IDEMPOTENCY_KEY("Idempotency-Key must be 1-255 characters.")
    owner, request_hash, now = _owner(principal), _request_hash(), utcnow()
    existing = _find(owner, key)
    if existing is not None and existing.expires_at < now:
        session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.id == existing.id))
        existing = None
    if existing is None:
        record = {"id": uuid.uuid4(), "owner": owner, "key": key, "request_hash": request_hash,
                  "state": "in_progress", "created_at": now, "expires_at": now + KEY_TTL,
                  "authority": _authority(principal)}
        if _reserve(record):
            g.civic_idempotency_id = record["id"]
            return None
        existing = _find(owner, key)
        if existing is None:
            raise _in_progress()
    return _replay(existing, request_hash, principal)


def finish(response) -> None:
    """After a successful view: save the (encrypted) response in the same transaction as the work."""
    record_id = g.get("civic_idempotency_id")
    if record_id is None or response.status_code >= 400:
        return
    headers = {k: crypto.encrypt(v) for k, v in response.headers.items() if k in KEPT_HEADERS}
    session.execute(sa.update(IdempotencyKey).where(IdempotencyKey.id == record_id).values(
        state="complete", response_status=response.status_code,
        response_body=crypto.encrypt(response.get_data(as_text=True)), response_headers=headers))
    g.civic_idempotency_id = None


def release() -> None:
    """After a failed request: its key row was in the rolled-back transaction, so the key is free again."""
    g.pop("civic_idempotency_id", None)
