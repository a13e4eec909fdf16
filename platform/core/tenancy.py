"""Tenants (organisations) and the tenant-scoped query helpers every component uses.

The tenant table is the only table components share. A query that forgets the
tenant is a security bug, so components query through `scoped()` and `get_scoped()`.
"""
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

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


class Sandboxed:
    """Mixin for tenant-owned records that live in one of two worlds: live, or sandbox (test).

    Like Stripe's test mode: a sandbox client reads and writes sandbox records only, a live
    client live records only. `scoped()` and `get_scoped()` apply the caller's world to every
    model with this mixin, and a new record takes the caller's world when it is flushed, so a
    component gets the separation by adding the mixin. Place-wide reads (open data, insight,
    Open311) that do not go through `scoped()` must filter `sandbox.is_(False)` themselves.
    """

    sandbox: Mapped[bool] = mapped_column(default=False, index=True)


def current_world_is_sandbox() -> bool:
    """True when the caller is a sandbox client (or a job working for one: `g.civic_sandbox`)."""
    from flask import g, has_app_context, has_request_context

    if has_request_context():
        from civic.core.auth import current_principal

        principal = current_principal(optional=True)
        if principal is not None:
            return principal.sandbox
    return bool(has_app_context() and g.get("civic_sandbox", False))


@sa.event.listens_for(Session, "before_flush")
def _new_records_take_the_callers_world(db_session, _context, _instances) -> None:
    world = None
    for obj in db_session.new:
        if isinstance(obj, Sandboxed) and obj.sandbox is None:
            world = current_world_is_sandbox() if world is None else world
            obj.sandbox = world


def tenant_column() -> Mapped[uuid.UUID]:
    """The tenant foreign key every tenant-owned table carries."""
    return mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"), index=True)


def scoped(model, tenant_id: uuid.UUID) -> sa.Select:
    """`select(model)` already filtered to one tenant (and, for `Sandboxed` models, to the caller's world)."""
    if tenant_id is None:
        raise ValueError("tenant_id is required")
    query = sa.select(model).where(model.tenant_id == tenant_id)
    if isinstance(model, type) and issubclass(model, Sandboxed):
        query = query.where(model.sandbox.is_(current_world_is_sandbox()))
    return query


def get_scoped(model, tenant_id: uuid.UUID, object_id, *, what: str | None = None, lock: bool = False):
    """One object of one tenant, or a 404 problem (another tenant's object is a 404 too)."""
    try:
        object_id = object_id if isinstance(object_id, uuid.UUID) else uuid.UUID(str(object_id))
    except ValueError:
        raise not_found(what or model.__tablename__) from None
    query = scoped(model, tenant_id).where(model.id == object_id)
    if lock:
        # Lock this model's row only (not rows of joined relationships: that deadlocked crossing
        # transfers), and read it as committed, not as the session last saw it.
        query = query.with_for_update(of=model).execution_options(populate_existing=True)
    obj = session.scalars(query).first()
    if obj is None:
        raise not_found(what or model.__tablename__)
    return obj


def tenant_by_slug(slug: str) -> Tenant | None:
    return session.scalars(sa.select(Tenant).where(Tenant.slug == slug)).first()


def live_only(what: str) -> None:
    """Refuse (403 `sandbox_read_only`) a sandbox caller's change to live configuration, such as the
    categories Open311 publishes: a sandbox client may read it, never change it."""
    if current_world_is_sandbox():
        from civic.core.errors import Problem

        raise Problem(403, "sandbox_read_only", f"A sandbox client may read {what} but not change them: "
                                                "they are live. Use a live client.")
