"""Tenants (organisations) and the tenant-scoped query helpers every component uses.

The tenant table is the only table components share. A query that forgets the
tenant is a security bug, so components query through `scoped()` and `get_scoped()`.
"""
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from civic.core.db import Base, Entity, session
from civic.core.errors import not_found

TENANT_KINDS = ("council", "nhs", "housing", "voluntary", "other")
TENANT_STATUSES = ("active", "suspended")


class Tenant(Entity, Base):
    __tablename__ = "tenant"

    slug: Mapped[str] = mapped_column(sa.String(63), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20), default="other")
    status: Mapped[str] = mapped_column(sa.String(20), default="active")
    # None means "every component the platform runs".
    components: Mapped[list | None] = mapped_column(default=None)
    rate_limit: Mapped[str | None] = mapped_column(sa.String(60), default=None)
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict] = mapped_column("metadata", default=dict)

    @property
    def active(self) -> bool:
        return self.status == "active"

    def has_component(self, name: str) -> bool:
        return self.components is None or name in self.components


def tenant_column() -> Mapped[uuid.UUID]:
    """The tenant foreign key every tenant-owned table carries."""
    return mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"), index=True)


def scoped(model, tenant_id: uuid.UUID) -> sa.Select:
    """`select(model)` already filtered to one tenant."""
    if tenant_id is None:
        raise ValueError("tenant_id is required")
    return sa.select(model).where(model.tenant_id == tenant_id)


def get_scoped(model, tenant_id: uuid.UUID, object_id, *, what: str | None = None, lock: bool = False):
    """One object of one tenant, or a 404 problem (another tenant's object is a 404 too)."""
    try:
        object_id = object_id if isinstance(object_id, uuid.UUID) else uuid.UUID(str(object_id))
    except ValueError:
        raise not_found(what or model.__tablename__) from None
    query = scoped(model, tenant_id).where(model.id == object_id)
    if lock:
        query = query.with_for_update()
    obj = session.scalars(query).first()
    if obj is None:
        raise not_found(what or model.__tablename__)
    return obj


def tenant_by_slug(slug: str) -> Tenant | None:
    return session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).first()
