"""The privacy tables: subject access requests, erasures and the consent register.

A request's subject identifiers are personal data: they are kept encrypted at rest (`civic.core.crypto`),
in one column, and decrypted only to answer the people handling the request and to make its export. The
rest of the row (dates, state, who handled it, the reasons) names nobody.

A consent names its person in plain columns (normalised as every component stores them), like a case or a
booking: it is found, exported, corrected and erased through the personal-data registry as they are.
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


REQUEST_KINDS = ("access", "erasure", "rectification")


class AccessRequest(EncryptedSubject, TenantOwned, Sandboxed, Entity, Base):
    """A request from a data subject, on its statutory clock: for a copy of their data (`access`), or for
    its erasure or correction (`rectification`), with what they said in their own words (encrypted)."""

    __tablename__ = "privacy_request"
    __table_args__ = (sa.Index("ix_privacy_request_tenant_created", "tenant_id", "created_at"),)

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    subject_encrypted: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.String(14), default="access", server_default="access")
    details_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    # Made on the citizen privacy page: the person's pseudonymous key there (a keyed hash of the contact
    # detail they proved), so that the page can show them their own requests.
    citizen_key: Mapped[str | None] = mapped_column(sa.String(64), index=True)
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

    @property
    def details(self) -> str | None:
        return crypto.decrypt(self.details_encrypted) if self.details_encrypted else None

    @details.setter
    def details(self, text: str | None) -> None:
        self.details_encrypted = crypto.encrypt(text) if text else None


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


CONSENT_CHANNELS = ("email", "sms", "letter", "any")
CONSENT_STATES = ("given", "withdrawn")


class Consent(TenantOwned, Sandboxed, Entity, Base):
    """One person's consent to one purpose, on one channel (or any), with its history (given, withdrawn,
    given again): what the organisation must be able to show (UK GDPR Article 7(1)), in the shape of a
    Kantara consent receipt."""

    __tablename__ = "privacy_consent"
    __table_args__ = (sa.Index("ix_privacy_consent_tenant_purpose", "tenant_id", "purpose"),
                      sa.Index("ix_privacy_consent_tenant_email", "tenant_id", "subject_email"),
                      sa.Index("ix_privacy_consent_tenant_phone", "tenant_id", "subject_phone"))

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    subject_name: Mapped[str | None] = mapped_column(sa.String(200))
    subject_email: Mapped[str | None] = mapped_column(sa.String(320))
    subject_phone: Mapped[str | None] = mapped_column(sa.String(32))
    subject_nhs_number: Mapped[str | None] = mapped_column(sa.String(10))
    purpose: Mapped[str] = mapped_column(sa.String(60))
    channel: Mapped[str] = mapped_column(sa.String(10), default="any")
    description: Mapped[str] = mapped_column(sa.String(1000))
    data_categories: Mapped[list] = mapped_column(default=list)
    shared_with: Mapped[list] = mapped_column(default=list)
    collection_method: Mapped[str] = mapped_column(sa.String(200))
    notice_url: Mapped[str | None] = mapped_column(sa.String(500))
    state: Mapped[str] = mapped_column(sa.String(10), default="given")
    given_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime | None]
    withdrawn_at: Mapped[dt.datetime | None]
    withdrawal_method: Mapped[str | None] = mapped_column(sa.String(200))
    history: Mapped[list] = mapped_column(default=list)
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)

    @property
    def live(self) -> bool:
        return self.live_at(dt.datetime.now(dt.timezone.utc))

    def live_at(self, moment: dt.datetime) -> bool:
        return self.state == "given" and (self.expires_at is None or self.expires_at > moment)

    @property
    def subject(self) -> dict:
        return {"name": self.subject_name, "email": self.subject_email, "phone": self.subject_phone,
                "nhs_number": self.subject_nhs_number}


class CitizenCode(Entity, Base):
    """A citizen proving control of an email address or phone number on the privacy page: the one-time code
    sent to it, then the session it opens. Place-wide (the person is not any one organisation's).

    Nothing here is in clear: the contact detail is encrypted (and kept as a keyed hash to count codes per
    person), the code and the session token only as keyed hashes. A row lives for the code's minutes, then
    the session's; the hourly retention run deletes it after."""

    __tablename__ = "privacy_citizen_code"
    __table_args__ = (sa.Index("ix_privacy_citizen_code_contact", "contact_hash", "created_at"),
                      sa.Index("ix_privacy_citizen_code_address", "address_hash", "created_at"))

    kind: Mapped[str] = mapped_column(sa.String(5))  # email or phone
    contact_hash: Mapped[str] = mapped_column(sa.String(64))
    contact_encrypted: Mapped[str] = mapped_column(sa.Text)
    address_hash: Mapped[str] = mapped_column(sa.String(64))  # the browser's network address, keyed
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    code_expires_at: Mapped[dt.datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    session_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    session_expires_at: Mapped[dt.datetime | None]

    @property
    def contact(self) -> str:
        return crypto.decrypt(self.contact_encrypted)
