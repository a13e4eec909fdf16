"""Payments tables: each organisation's Stripe account, payments, their history, refunds and received webhooks.

Every table is `Sandboxed`: a sandbox client's payments, keys and webhooks are test records, and a
child row (history, refund) is always in its payment's world. Secrets are stored encrypted
(`civic.core.crypto`); only their last four characters are kept in clear, to show which key is set.
"""
import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from civic.core.db import Base, Entity, utcnow
from civic.core.tenancy import Sandboxed, TenantOwned, tenant_column

STATES = ("created", "started", "submitted", "capturable", "success", "failed", "cancelled", "error")
FINISHED = ("success", "failed", "cancelled", "error")
REFUND_STATES = ("submitted", "success", "error")
PROVIDERS = ("stripe", "simulated")


class Account(TenantOwned, Sandboxed, Entity, Base):
    """An organisation's Stripe keys for one world (live or sandbox), encrypted at rest."""

    __tablename__ = "payments_account"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "sandbox", name="uq_payments_account_tenant_world"),)

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    mode: Mapped[str] = mapped_column(sa.String(4))  # test or live, from the keys' prefixes
    secret_key: Mapped[str] = mapped_column(sa.Text)  # encrypted
    publishable_key: Mapped[str] = mapped_column(sa.Text)  # encrypted
    webhook_secret: Mapped[str] = mapped_column(sa.Text)  # encrypted
    secret_key_last4: Mapped[str] = mapped_column(sa.String(4))
    publishable_key_last4: Mapped[str] = mapped_column(sa.String(4))
    webhook_secret_last4: Mapped[str] = mapped_column(sa.String(4))


class Payment(TenantOwned, Sandboxed, Entity, Base):
    """A card payment, in GOV.UK Pay's shape, taken through the organisation's Stripe account."""

    __tablename__ = "payments_payment"
    __table_args__ = (sa.Index("ix_payments_payment_tenant_created", "tenant_id", "created_at"),
                      sa.Index("ix_payments_payment_provider_id", "provider_id"),
                      sa.Index("ix_payments_payment_unfinished", "finished", "created_at"))

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(sa.String(3), default="GBP")
    description: Mapped[str] = mapped_column(sa.String(255))
    reference: Mapped[str] = mapped_column(sa.String(255), index=True)
    return_url: Mapped[str] = mapped_column(sa.String(2000))
    email: Mapped[str | None] = mapped_column(sa.String(320), index=True)
    delayed_capture: Mapped[bool] = mapped_column(default=False)
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)
    link_type: Mapped[str | None] = mapped_column(sa.String(60))
    link_id: Mapped[uuid.UUID | None]
    state: Mapped[str] = mapped_column(sa.String(12), default="created")
    finished: Mapped[bool] = mapped_column(default=False)
    failure_code: Mapped[str | None] = mapped_column(sa.String(8))
    failure_message: Mapped[str | None] = mapped_column(sa.String(255))
    provider: Mapped[str] = mapped_column(sa.String(10), default="stripe")
    provider_id: Mapped[str | None] = mapped_column(sa.String(255))
    provider_status: Mapped[str | None] = mapped_column(sa.String(40))
    amount_refunded: Mapped[int] = mapped_column(default=0)  # success and submitted refunds
    expires_at: Mapped[dt.datetime]
    captured_at: Mapped[dt.datetime | None]

    @property
    def link(self) -> dict | None:
        return {"type": self.link_type, "id": self.link_id} if self.link_type else None


class PaymentEvent(TenantOwned, Sandboxed, Base):
    """One step of a payment's history: a state it reached, and who or what moved it there."""

    __tablename__ = "payments_event"
    __table_args__ = (sa.Index("ix_payments_event_payment", "payment_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = tenant_column()
    payment_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("payments_payment.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(sa.String(12))
    provider_status: Mapped[str | None] = mapped_column(sa.String(40))
    source: Mapped[str] = mapped_column(sa.String(20))  # api, webhook, reconciliation, expiry, simulation
    note: Mapped[str | None] = mapped_column(sa.String(255))
    refund_id: Mapped[uuid.UUID | None]


class Refund(TenantOwned, Sandboxed, Entity, Base):
    """Money given back on a successful payment: all of it, or part, several times up to what was paid."""

    __tablename__ = "payments_refund"
    __table_args__ = (sa.Index("ix_payments_refund_payment", "payment_id"),
                      sa.Index("ix_payments_refund_provider_id", "provider_id"))

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    payment_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("payments_payment.id", ondelete="CASCADE"))
    amount: Mapped[int]
    state: Mapped[str] = mapped_column(sa.String(10), default="submitted")
    provider_id: Mapped[str | None] = mapped_column(sa.String(255))
    provider_status: Mapped[str | None] = mapped_column(sa.String(40))
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)


class Webhook(TenantOwned, Sandboxed, Base):
    """A Stripe event already taken into account: a second delivery of the same id changes nothing."""

    __tablename__ = "payments_webhook"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "sandbox", "event_id", name="uq_payments_webhook_event"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    tenant_id: Mapped[uuid.UUID] = tenant_column()
    event_id: Mapped[str] = mapped_column(sa.String(255))
    type: Mapped[str] = mapped_column(sa.String(80))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(sa.String(40))
