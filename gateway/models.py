"""Gateway tables: clients, tokens, authorization codes, staff users, sign-in throttles.

Secrets are never stored in clear: client secrets, API keys, tokens and codes
are random and high-entropy, so a SHA-256 digest suffices; staff passwords are
chosen by people, so they get argon2.
"""
import datetime as dt
import hashlib
import hmac
import uuid

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.core.db import Base, Entity, utcnow
from civic.core.tenancy import Tenant, TenantOwned, tenant_column

ROLES = ("tenant_admin", "caseworker", "viewer")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Client(TenantOwned, Entity, Base):
    __tablename__ = "gateway_client"

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    client_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    scopes: Mapped[list] = mapped_column(default=list)
    confidential: Mapped[bool] = mapped_column(default=True)
    redirect_uris: Mapped[list] = mapped_column(default=list)
    sandbox: Mapped[bool] = mapped_column(default=False)
    can_introspect: Mapped[bool] = mapped_column(default=False)
    secret_hash: Mapped[str | None] = mapped_column(sa.String(64))
    previous_secret_hash: Mapped[str | None] = mapped_column(sa.String(64))
    previous_secret_expires_at: Mapped[dt.datetime | None]
    api_key_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    rate_limit: Mapped[str | None] = mapped_column(sa.String(60))
    revoked_at: Mapped[dt.datetime | None]
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)
    tenant_row: Mapped[Tenant] = relationship(lazy="joined")

    @property
    def tenant(self) -> str:
        return self.tenant_row.slug

    @property
    def has_api_key(self) -> bool:
        return self.api_key_hash is not None

    @property
    def scope_set(self) -> set[str]:
        return set(self.scopes)

    @property
    def status(self) -> str:
        return "revoked" if self.revoked_at else "active"

    # --- Authlib ClientMixin: storage hooks only -----------------------------
    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope):
        """No scope asked for: all the client's scopes. A scope it does not have: an error, not a silent drop."""
        if not scope:
            return " ".join(self.scopes)
        asked = scope.split()
        if not set(asked) <= self.scope_set:
            from authlib.oauth2.rfc6749.errors import InvalidScopeError

            raise InvalidScopeError(f"This client may not ask for: {' '.join(sorted(set(asked) - self.scope_set))}")
        return " ".join(dict.fromkeys(asked))

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris  # exact match, nothing looser

    def check_client_secret(self, client_secret):
        if not client_secret:
            return False
        candidate = digest(client_secret)
        if self.secret_hash and hmac.compare_digest(candidate, self.secret_hash):
            return True
        return bool(self.previous_secret_hash and self.previous_secret_expires_at
                    and self.previous_secret_expires_at > utcnow()
                    and hmac.compare_digest(candidate, self.previous_secret_hash))

    def check_endpoint_auth_method(self, method, endpoint):
        if self.confidential:
            return method in ("client_secret_basic", "client_secret_post")
        return method == "none"

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        if grant_type == "client_credentials":
            return self.confidential
        return grant_type in ("authorization_code", "refresh_token")


class Token(TenantOwned, Base):
    __tablename__ = "gateway_token"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = tenant_column()
    client_pk: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("gateway_client.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("gateway_staff_user.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(sa.Text, default="")
    access_token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    family_id: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4, index=True)
    code_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    refresh_expires_at: Mapped[dt.datetime | None]
    refresh_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]

    # --- Authlib TokenMixin: storage hooks only ------------------------------
    def check_client(self, client) -> bool:
        return self.client_pk == client.id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int((self.expires_at - self.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class AuthorizationCode(TenantOwned, Base):
    __tablename__ = "gateway_authorization_code"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    tenant_id: Mapped[uuid.UUID] = tenant_column()
    client_pk: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("gateway_client.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("gateway_staff_user.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(sa.Text)
    scope: Mapped[str] = mapped_column(sa.Text, default="")
    code_challenge: Mapped[str] = mapped_column(sa.String(128))
    code_challenge_method: Mapped[str] = mapped_column(sa.String(10))
    nonce: Mapped[str | None] = mapped_column(sa.String(255))
    auth_time: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class StaffUser(TenantOwned, Entity, Base):
    __tablename__ = "gateway_staff_user"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "email", name="uq_gateway_staff_user_tenant_email"),)

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    email: Mapped[str] = mapped_column(sa.String(320))
    name: Mapped[str | None] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(30), default="viewer")
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20), default="active")
    last_sign_in_at: Mapped[dt.datetime | None]
    # Sign-in cookies carry the generation they were issued in; bumping it ends every one of them.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    tenant_row: Mapped[Tenant] = relationship(lazy="joined")

    @property
    def tenant(self) -> str:
        return self.tenant_row.slug

    def end_sessions(self) -> None:
        """Sign this user out everywhere."""
        self.session_generation = (self.session_generation or 0) + 1


def _ends_sessions(target: StaffUser, value, oldvalue, _initiator) -> None:
    # A new password, a disable or a new role must not leave an old sign-in working, whichever
    # code path made the change.
    if sa.inspect(target).persistent and value != oldvalue:
        target.end_sessions()


for _attribute in (StaffUser.password_hash, StaffUser.status, StaffUser.role):
    event.listen(_attribute, "set", _ends_sessions, active_history=True)


class Throttle(Base):
    """Failed attempts per key (client id, address, account) for brute-force lock-outs."""

    __tablename__ = "gateway_throttle"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[dt.datetime | None]
