"""Retention schedules: each tenant's period per data class, applied by a scheduled job, every run recorded.

A data class is a registry entry with an `expire` (`civic.core.privacy`): its component declares the default
period (`retention_days`) and the moment its clock starts (`clock`); a tenant admin may set its own period,
for a component it switched off too (the schedule says which it uses now: `component_enabled`).
The job (`privacy.retention`, hourly) asks each component of each tenant to clear the personal fields of the
records whose clock started more than the period ago, in both worlds (a component switched off for the
tenant too: its tables still hold the rows, and switching it off must not keep them longer), and records one
run per class with the records cleared (the count; the ids go to the audit log, never the values). A dry run answers the
same question and changes nothing. Keyword-only, tenant explicit, flush, never commit.
"""
import datetime as dt
import uuid

import sqlalchemy as sa
from civic.core import audit, caching, privacy
from civic.core.db import Base, Entity, session, utcnow
from civic.core.pagination import paginate
from civic.core.tenancy import (
    Tenant,
    TenantOwned,
    live_only,
    scoped,
    tenant_column,
    tenant_context,
)
from civic.privacy import problems
from civic.privacy.service import require_handler
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

EVERY_SECONDS = 3600
MAX_DAYS = 36500


class RetentionPeriod(TenantOwned, Entity, Base):
    """A tenant's own period for one data class (without a row, the component's default applies)."""

    __tablename__ = "privacy_retention"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "data_class", name="uq_privacy_retention_tenant_class"),)

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    data_class: Mapped[str] = mapped_column(sa.String(60))
    days: Mapped[int]


class RetentionRun(TenantOwned, Entity, Base):
    """One application of one data class's period: its cutoff and how many records were cleared."""

    __tablename__ = "privacy_retention_runs"
    __table_args__ = (sa.Index("ix_privacy_retention_runs_tenant_created", "tenant_id", "created_at"),)

    tenant_id: Mapped[uuid.UUID] = tenant_column()
    data_class: Mapped[str] = mapped_column(sa.String(60))
    cutoff: Mapped[dt.datetime]
    ids_count: Mapped[int]


def _classes() -> list[privacy.PersonalData]:
    """Every data class an organisation may hold: a component switched off for it still holds its rows."""
    return privacy.retained(current_app)


def periods(*, tenant_id: uuid.UUID) -> dict[str, int]:
    """The tenant's own periods, by data class (a class not named keeps its component's default)."""
    return {p.data_class: p.days for p in session.scalars(scoped(RetentionPeriod, tenant_id))}


def schedule(*, tenant_id: uuid.UUID, principal) -> dict:
    """Each data class with its default period, the tenant's own, and the one applied."""
    require_handler(principal)
    return {"items": _schedule(tenant_id)}


DRY_RUN_IDS = 100  # ids shown per class by a dry run (the count is always whole)


def _schedule(tenant_id: uuid.UUID) -> list[dict]:
    own = periods(tenant_id=tenant_id)
    facts = caching.tenant(tenant_id)
    return [{"data_class": e.data_class, "component": e.component, "purpose": e.purpose, "clock": e.clock,
             "fields": list(e.fields), "default_days": e.retention_days, "own_days": own.get(e.data_class),
             "days": own.get(e.data_class, e.retention_days),
             "component_enabled": facts is not None and facts.has_component(e.component)} for e in _classes()]


def set_schedule(*, tenant_id: uuid.UUID, principal, periods: list[dict]) -> dict:
    """Set (or with `days: null`, drop back to the default) the tenant's period of each class named."""
    require_handler(principal)
    live_only("retention periods")  # they apply to both worlds: a sandbox client must not shorten live ones
    if len({p["data_class"] for p in periods}) != len(periods):
        raise problems.RETENTION_CLASS_UNKNOWN("Name each data class once.", errors={"periods": ["A data class twice."]})
    known = {e.data_class for e in _classes()}
    unknown = sorted({p["data_class"] for p in periods} - known)
    if unknown:
        raise problems.RETENTION_CLASS_UNKNOWN(
            f"No data class {', '.join(unknown)} on the platform.",
            errors={"periods": [f"Unknown data class: {name}" for name in unknown]})
    rows = {p.data_class: p for p in session.scalars(scoped(RetentionPeriod, tenant_id))}
    for item in periods:
        row = rows.get(item["data_class"])
        if item["days"] is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(RetentionPeriod(id=uuid.uuid4(), tenant_id=tenant_id, data_class=item["data_class"],
                                        days=item["days"]))
        else:
            row.days = item["days"]
    session.flush()
    audit.record("privacy.retention_set", tenant_id=tenant_id, subject_type="privacy_retention",
                 detail={"periods": {p["data_class"]: p["days"] for p in periods}})
    return {"items": _schedule(tenant_id)}


def _expire(tenant_id: uuid.UUID, *, dry_run: bool, now: dt.datetime) -> list[dict]:
    """Every data class the tenant may hold, its components enabled or not (the tenant's period, else the default)."""
    own, done = periods(tenant_id=tenant_id), []
    for entry in _classes():
        days = own.get(entry.data_class, entry.retention_days)
        cutoff = now - dt.timedelta(days=days)
        ids = entry.expire(tenant_id=tenant_id, before=cutoff, dry_run=dry_run)
        done.append({"data_class": entry.data_class, "days": days, "cutoff": cutoff, "count": len(ids), "ids": ids})
    return done


def dry_run(*, tenant_id: uuid.UUID, principal) -> dict:
    """What the schedule would clear now, per class (counts and ids); changes nothing."""
    require_handler(principal)
    now = utcnow()
    classes = _expire(tenant_id, dry_run=True, now=now)
    for done in classes:  # the count is whole; the ids are a sample, so the answer stays small
        done["ids"] = done["ids"][:DRY_RUN_IDS]
    return {"at": now, "classes": classes}


def apply(*, tenant_id: uuid.UUID) -> list[RetentionRun]:
    """Clear what the schedule says, now, and record one run per class."""
    runs = []
    for done in _expire(tenant_id, dry_run=False, now=utcnow()):
        runs.append(RetentionRun(id=uuid.uuid4(), tenant_id=tenant_id, data_class=done["data_class"],
                                 cutoff=done["cutoff"], ids_count=done["count"]))
        if done["ids"]:
            audit.record("privacy.retention_applied", tenant_id=tenant_id, subject_type=done["data_class"],
                         detail={"cutoff": done["cutoff"].isoformat(), "ids": done["ids"]})
    session.add_all(runs)
    session.flush()
    return runs


def list_runs(*, tenant_id: uuid.UUID, principal, data_class: str | None = None, limit: int = 20,
              after: str | None = None) -> dict:
    require_handler(principal)
    query = scoped(RetentionRun, tenant_id)
    if data_class:
        query = query.where(RetentionRun.data_class == data_class)
    return paginate(query, RetentionRun, limit=limit, after=after)


def run(payload: dict, job) -> None:
    """`privacy.retention` (scheduled): every organisation's schedule applied, each run recorded; and the
    citizen page's ended codes and sessions deleted."""
    from civic.privacy import citizen

    citizen.clear_old()
    for tenant_id in list(session.scalars(sa.select(Tenant.id).order_by(Tenant.id))):
        with tenant_context(tenant_id):
            apply(tenant_id=tenant_id)
