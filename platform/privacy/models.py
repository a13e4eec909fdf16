"""The privacy tables: subject access requests and erasures.

A request's subject identifiers are personal data: they are kept encrypted at rest (`civic.core.crypto`),
in one column, and decrypted only to answer the people handling the request and to make its export. The
rest of the row (dates, state, who handled it, the reasons) names nobody.
"""
import datetime as dt
import json
import uuid

import sqlalchemy as sa
from civic.core import crypto
from civic.core.db import Base, Entity
from civic.core.privacy import Identifiers
from civic.core.tenancy import Sandboxed, TenantOwned, tenant_column
from sqlalchemy.orm import Mapped, mapped_column

STATES = ("received", "awaiting_id", "in_progress", "extended", "completed", "refused")
CLOSED = ("completed", "refused")
# Which state each state may move to.
TRANSITIONS = {"received": ("awaiting_id", "in_progress", "extended", "completed", "refused"),
               "awaiting_id": ("in_progress", "refused"),
               "in_progress": ("awaiting_id", "extended", "completed", "refused"),
               "extended": ("completed", "refused"),
               "completed": (), "refused": ()}


class EncryptedSubject:
    """The data subject's identifiers, kept encrypted in `subject_encrypted`, never in clear."""

    @property
    def subject(self) -> Identifiers:
        return Identifiers.from_dict(json.loads(crypto.decrypt(self.subject_encrypted)))

    @subject.setter
    def subject(self, who: Identifiers) -> None:
        self.subject_encrypted = crypto.encrypt(json.dumps(who.as_dict()))


class AccessRequest(EncryptedSubject, TenantOwned, Sandboxed, Entity, Base):
    """A subject access request, on its statutory clock."""

    __tablename__ = "privacy_request"
    __table_args__ = (sa.Index("ix_privacy_request_tenant_created", "tenant_id", "created_at"),)

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    subject_encrypted: Mapped[str] = mapped_column(sa.Text)
    received_on: Mapped[dt.date]
    region: Mapped[str] = mapped_column(sa.String(30))
    state: Mapped[str] = mapped_column(sa.String(12), default="received")
    due_on: Mapped[dt.date]
    extension_months: Mapped[int] = mapped_column(default=0)
    extension_reason: Mapped[str | None] = mapped_column(sa.String(1000))
    paused_days: Mapped[int] = mapped_column(default=0)
    paused_on: Mapped[dt.date | None]
    refusal_reason: Mapped[str | None] = mapped_column(sa.String(1000))
    closed_on: Mapped[dt.date | None]
    handled_by: Mapped[uuid.UUID | None]  # the staff user_id who last moved it (None: an app)
    history: Mapped[list] = mapped_column(default=list)
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)

    @property
    def transitions(self) -> tuple[str, ...]:
        return TRANSITIONS[self.state]


class Erasure(EncryptedSubject, TenantOwned, Sandboxed, Entity, Base):
    """A subject's erasure, kept so that it can be applied again after a backup is restored.

    The identifiers erased by are kept encrypted (`subject_encrypted`), never in clear; `subject_key` is the
    pseudonymous subject id (an HMAC of the normalised identifiers and the organisation under the privacy subkey) under which the
    audit log and the event name the person. The counts are rows changed per component."""

    __tablename__ = "privacy_erasure"
    __table_args__ = (sa.Index("ix_privacy_erasure_tenant_created", "tenant_id", "created_at"),)

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    subject_encrypted: Mapped[str] = mapped_column(sa.Text)
    subject_key: Mapped[str] = mapped_column(sa.String(64), index=True)
    reason: Mapped[str] = mapped_column(sa.String(1000))
    counts: Mapped[dict] = mapped_column(default=dict)
    referred_to: Mapped[list] = mapped_column(default=list)
    requested_by: Mapped[uuid.UUID | None]  # the staff user_id (None: an app)
    client_id: Mapped[str | None] = mapped_column(sa.String(100))
    applied_count: Mapped[int] = mapped_column(default=1)
    reapplied_at: Mapped[dt.datetime | None]
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)

