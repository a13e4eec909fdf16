"""Tenants (organisations), the tenant filter the session applies, and the scoped query helpers.

The tenant table is the only table components share. A query that forgets the tenant is a
security bug, so the session filters every ORM statement on a `TenantOwned` model to the
current tenant: the request's principal, the job being run, or `tenant_context()` (CLI, demo).
A read across organisations says so with `place_wide(key)`, whose reason is listed in
`PLACE_WIDE`; a query on a tenant-owned model with neither raises `NoTenantContext`.
"""
import contextlib
import contextvars
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column, with_loader_criteria

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


class TenantOwned:
    """Mixin for models whose rows belong to one tenant: the session filters them to the current tenant."""

    # Declared here too so the session's filter can name the column on the mixin.
    tenant_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"), index=True)


# Every deliberate read or write across organisations, and why. `place_wide(key)` takes only these.
PLACE_WIDE = {
    "gateway.credentials": "tokens, clients, API keys and codes are looked up before the tenant is known",
    "gateway.sign_in": "the sign-in page finds the staff user of the client's organisation",
    "platform.operator": "the operator's commands (tenants, clients, users, the demo seed) act place-wide",
    "platform.steward": "a steward's request (platform:admin) administers and reads the whole place",
    "reporting.open_data": "open data: counts and records across every organisation",
    "reporting.insight": "insight: a steward's figures across every organisation",
    "reporting.rollup": "rollup: weekly counts are computed for every organisation",
    "reporting.warning": "early warning: alerts are computed for every organisation",
    "reporting.open311": "Open311: place-wide discovery, service lists and request lists",
    "casework.agreements": "casework: a data-sharing agreement is read and approved by both of its parties",
    "casework.referrals": "casework: a referral is read and answered by the organisation it was sent to",
    "casework.files": "casework: stored bytes are deleted only when no organisation's attachment uses them",
    "casework.sla": "casework: the SLA clock job checks open cases of every organisation",
    "tests.inspection": "a test looks at the stored rows themselves, whoever they belong to",
}


class NoTenantContext(RuntimeError):
    """An ORM statement on a tenant-owned model ran with no tenant and no `place_wide()` opt-out."""


_context: contextvars.ContextVar = contextvars.ContextVar("civic_tenant_context", default=None)
_PLACE_WIDE = object()


@contextlib.contextmanager
def tenant_context(tenant_id: uuid.UUID):
    """Run the block for one tenant: every ORM statement on a tenant-owned model is filtered to it."""
    if tenant_id is None:
        raise ValueError("tenant_id is required")
    token = _context.set(tenant_id if isinstance(tenant_id, uuid.UUID) else uuid.UUID(str(tenant_id)))
    try:
        yield
    finally:
        _context.reset(token)


@contextlib.contextmanager
def in_world(sandbox: bool):
    """Run the block in one world, live or sandbox, when there is no caller to say which: a job works in
    its record's world (its payload's or its event's `sandbox`), a provider's webhook in its payment's."""
    from flask import g

    outer = g.get("civic_sandbox", False)
    g.civic_sandbox = bool(sandbox)
    try:
        yield
    finally:
        g.civic_sandbox = outer


@contextlib.contextmanager
def place_wide(key: str):
    """Run the block across every organisation, for one of the reasons listed in `PLACE_WIDE`."""
    token = _context.set(_listed(key))
    try:
        yield
    finally:
        _context.reset(token)


def current_tenant_context():
    """The tenant whose rows the session may see, `_PLACE_WIDE`, or None when there is neither."""
    explicit = _context.get()
    if explicit is not None:
        return explicit
    from flask import has_request_context

    if has_request_context():
        from civic.core.auth import current_principal

        principal = current_principal(optional=True)
        if principal is not None:
            # A steward's own filters (a tenant named in the query, or none) decide what they see.
            return _listed("platform.steward") if principal.is_steward else principal.tenant_id
    return None


def _listed(key: str):
    if key not in PLACE_WIDE:
        raise KeyError(f"{key!r} is not a listed place-wide reason (add it to PLACE_WIDE, with why)")
    return _PLACE_WIDE


def _tenant_owned_tables() -> frozenset:
    return frozenset(m.local_table for m in Base.registry.mappers if issubclass(m.class_, TenantOwned))


def _touches_tenant_rows(state) -> list[str]:
    """The tenant-owned tables a statement reads or changes (in its entities, FROM list, joins or subqueries)."""
    tables = _tenant_owned_tables()
    found = {m.local_table.name for m in state.all_mappers if m.local_table in tables}
    if not found:
        found = {e.name for e in sa.sql.visitors.iterate(state.statement) if isinstance(e, sa.Table) and e in tables}
    return sorted(found)


@sa.event.listens_for(Session, "do_orm_execute")
def _filter_to_the_tenant(state) -> None:
    if not (state.is_select or state.is_update or state.is_delete) or state.is_column_load:
        return
    tenant = state.execution_options.get("civic_tenant") or current_tenant_context()
    if tenant is _PLACE_WIDE:
        return
    if tenant is None:
        if state.is_relationship_load:
            return  # a lazy load of an object already read in a tenant's context
        touched = _touches_tenant_rows(state)
        if touched:
            raise NoTenantContext(f"query on {', '.join(touched)} outside any tenant context: "
                                  "run it in tenant_context() or a listed place_wide()")
        return
    # Applies to the model wherever it appears: entities, FROM, joins, subqueries and relationship loads.
    options = [with_loader_criteria(TenantOwned, lambda cls: cls.tenant_id == tenant, include_aliases=True,
                                    track_closure_variables=True)]
    world = _callers_world()
    if world is not None:  # a client's request: its world too (a job or a command keeps choosing its own)
        # "=", not "IS": PostgreSQL takes no bound parameter after IS.
        options.append(with_loader_criteria(Sandboxed, lambda cls: cls.sandbox == world, include_aliases=True,
                                            track_closure_variables=True))
    state.statement = state.statement.options(*options)


def _callers_world() -> bool | None:
    from flask import has_request_context

    if _context.get() is not None or not has_request_context():
        return None
    from civic.core.auth import current_principal

    principal = current_principal(optional=True)
    return None if principal is None else principal.sandbox


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
    """The tenant foreign key every tenant-owned table carries (its model also subclasses `TenantOwned`)."""
    return mapped_column(sa.ForeignKey("tenant.id", ondelete="CASCADE"), index=True)


def scoped(model, tenant_id: uuid.UUID) -> sa.Select:
    """`select(model)` already filtered to one tenant (and, for `Sandboxed` models, to the caller's world)."""
    if tenant_id is None:
        raise ValueError("tenant_id is required")
    # The statement names its tenant, so it runs in any context (a job's, a command's, another tenant's).
    query = sa.select(model).where(model.tenant_id == tenant_id).execution_options(civic_tenant=tenant_id)
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
        from civic.core import problems

        raise problems.SANDBOX_READ_ONLY(f"A sandbox client may read {what} but not change them: "
                                                "they are live. Use a live client.")
