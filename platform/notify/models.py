"""Notify tables: each organisation's Notify settings, its templates, messages, batches, opt-outs and quotas.

Recipients (`recipient`, `address`) and `personalisation` are personal data: they are erased after the
organisation's retention period (`purge_after`), leaving the status, reference and metadata. An opt-out
keeps a keyed hash (HMAC) of the address, never the address. Every table is `Sandboxed`: a sandbox client's
configuration, messages and quotas are its own and go to the simulated Notify only.
"""
import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from civic.core.db import Base, Entity
from civic.core.tenancy import Sandboxed, TenantOwned, tenant_column

CHANNELS = ("email", "sms", "letter")
KEY_TYPES = ("live", "team", "test")
POSTAGE = ("first", "second", "economy", "europe", "rest-of-world")
BATCH_STATUSES = ("running", "paused", "cancelled", "done")


class Config(TenantOwned, Sandboxed, Entity, Base):
    """An organisation's Notify service: its API key (encrypted), sender ids, callback token (hashed), rules."""

    __tablename__ = "notify_config"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "sandbox", name="uq_notify_config_tenant_world"),)

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    key_ciphertext: Mapped[str] = mapped_column(sa.Text)
    key_name: Mapped[str] = mapped_column(sa.String(255))
    service_id: Mapped[str] = mapped_column(sa.String(36))
    key_type: Mapped[str] = mapped_column(sa.String(10))
    email_reply_to_id: Mapped[str | None] = mapped_column(sa.String(36))
    sms_sender_id: Mapped[str | None] = mapped_column(sa.String(36))
    callback_token_hash: Mapped[str | None] = mapped_column(sa.String(64))
    retention_days: Mapped[int | None]
    # [{"event_type": "civic.booking.confirmed", "template": "booking_confirmation", "purpose": "booking"}]
    triggers: Mapped[list] = mapped_column(default=list)
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)


class Template(TenantOwned, Sandboxed, Entity, Base):
    """The organisation's own name for one of its Notify templates, with what Notify says it needs."""

    __tablename__ = "notify_template"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "sandbox", "name", name="uq_notify_template_name"),)

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    name: Mapped[str] = mapped_column(sa.String(100))
    notify_template_id: Mapped[str] = mapped_column(sa.String(36))
    channel: Mapped[str] = mapped_column(sa.String(10))
    fields: Mapped[list] = mapped_column(default=list)
    notify_name: Mapped[str | None] = mapped_column(sa.String(255))
    version: Mapped[int | None]
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)


class Batch(TenantOwned, Sandboxed, Entity, Base):
    """A bulk send of one template to many recipients, sent through the same queue as single messages."""

    __tablename__ = "notify_batch"

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    template_name: Mapped[str] = mapped_column(sa.String(100))
    channel: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(10), default="running")
    total: Mapped[int] = mapped_column(default=0)
    purpose: Mapped[str] = mapped_column(sa.String(50))
    essential: Mapped[bool] = mapped_column(default=False)
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)


class Message(TenantOwned, Sandboxed, Entity, Base):
    """One email, text message or letter: queued here, then sent to Notify by an outbox job."""

    __tablename__ = "notify_message"
    __table_args__ = (sa.Index("ix_notify_message_tenant_status", "tenant_id", "status"),
                      sa.Index("ix_notify_message_batch_status", "batch_id", "status"))

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    channel: Mapped[str] = mapped_column(sa.String(10))
    template_name: Mapped[str] = mapped_column(sa.String(100))
    notify_template_id: Mapped[str] = mapped_column(sa.String(36))
    recipient: Mapped[str | None] = mapped_column(sa.String(320), index=True)  # email, or phone in E.164
    address: Mapped[list | None] = mapped_column(default=None)  # a letter's address lines, postcode last
    personalisation: Mapped[dict | None] = mapped_column(default=None)
    # Personalisation that is a secret (a one-time code): encrypted (civic.core.crypto), never shown, and
    # cleared as soon as Notify has the message.
    secret_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    postage: Mapped[str | None] = mapped_column(sa.String(20))
    unsubscribe_url: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(30), default="queued")
    reason: Mapped[str | None] = mapped_column(sa.Text)
    purpose: Mapped[str] = mapped_column(sa.String(50), default="service")
    essential: Mapped[bool] = mapped_column(default=True)
    notify_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("notify_batch.id", ondelete="CASCADE"))
    row_number: Mapped[int | None]
    link_type: Mapped[str | None] = mapped_column(sa.String(60))
    link_id: Mapped[uuid.UUID | None]
    accepted_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    purge_after: Mapped[dt.datetime] = mapped_column(index=True)
    purged_at: Mapped[dt.datetime | None]
    reference: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)

    @property
    def link(self) -> dict | None:
        return {"type": self.link_type, "id": self.link_id} if self.link_type else None


class OptOut(TenantOwned, Sandboxed, Entity, Base):
    """Someone who asked not to get an organisation's non-essential messages of one purpose on one channel."""

    __tablename__ = "notify_opt_out"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "sandbox", "channel", "purpose", "recipient_hash",
                                          name="uq_notify_opt_out"),)

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    channel: Mapped[str] = mapped_column(sa.String(10))
    purpose: Mapped[str] = mapped_column(sa.String(50))
    recipient_hash: Mapped[str] = mapped_column(sa.String(64))
    # 2: `recipient_hash` is the HMAC of the address under the opt-out subkey; 1: an unsalted SHA-256 (rows
    # from before, rewritten when next used: civic.notify.recipients).
    key_version: Mapped[int] = mapped_column(sa.SmallInteger, default=2, server_default="2")
    source: Mapped[str] = mapped_column(sa.String(20), default="api")


class Quota(TenantOwned, Sandboxed, Base):
    """Messages sent in one window (a minute, or a day per channel): changed only by a conditional UPDATE."""

    __tablename__ = "notify_quota"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "sandbox", "window", name="uq_notify_quota_window"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = tenant_column()
    window: Mapped[str] = mapped_column(sa.String(40))
    used: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[dt.datetime]
