"""Per-process caches of facts that rarely change (validated tokens, tenants), dropped in every process at once.

A cache holds facts read from *watched* tables (the tenant table here; the gateway adds its clients,
tokens and staff users with `watch`). Any write to a watched table through the session (a flush that
changes or deletes a row, or an ORM UPDATE/DELETE statement) drops every cache in every process when
its transaction commits:

- PostgreSQL: the transaction sends `NOTIFY civic_cache` (delivered only if it commits); one listener
  thread per process (`LISTEN civic_cache`) drops its caches when it hears it. Until that listener is
  listening, and whenever it has lost its connection, nothing is served from a cache.
- SQLite: after the commit, a generation file beside the database is replaced; every lookup compares
  that file's identity (one `stat`), so the next request in any process sees the change.
- The committing process drops its own caches at once, whatever the database.

Every entry also has a maximum age, `MAX_AGE_SECONDS`, as a backstop. A cache holds the facts, never a
decision: whoever reads an entry still checks expiry, revocation and status on every request.
"""
import dataclasses
import logging
import os
import threading
import time
import uuid

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

log = logging.getLogger("civic.caching")
CHANNEL = "civic_cache"
MAX_AGE_SECONDS = 5.0  # the backstop: no entry is older than this, whatever was missed
MAX_ENTRIES = 10_000  # per cache; past this a cache starts again empty
_WATCHED: set[str] = set()  # table names whose writes drop every cache
_WATCHED_INSERTS: set[str] = set()  # ... and whose new rows do too


def watch(*models, inserts: bool = False) -> None:
    """Writes to these models' tables drop every cache (the gateway watches its credential tables). Changes
    and deletes count; new rows too with `inserts=True`, for a cache that remembers that a row is absent
    (flows caches which event types an organisation has endpoints for, none included)."""
    _WATCHED.update(model.__table__.name for model in models)
    if inserts:
        _WATCHED_INSERTS.update(model.__table__.name for model in models)


@dataclasses.dataclass
class _Entry:
    value: object
    generation: object
    stored: float


class Caches:
    """One per app and process: the current generation, and the named caches it keeps fresh."""

    def __init__(self, engine: sa.Engine):
        self._url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._postgres = engine.dialect.name == "postgresql"
        self._file = _generation_file(engine.url) if engine.dialect.name == "sqlite" else None
        self._local = 0  # bumped by this process's own commits
        self._lock = threading.Lock()
        self._caches: dict[str, dict] = {}

    # --- the generation -----------------------------------------------------------------
    def generation(self):
        """What an entry must have been stored under to be served now; None: serve nothing from a cache."""
        if self._postgres:
            heard = _Listener.of(self._url).generation()
            return None if heard is None else (self._local, heard)
        if self._file:
            try:
                stat = os.stat(self._file)
            except FileNotFoundError:  # made at the first check, once the database's folder exists
                try:
                    with open(self._file, "a"):
                        pass
                    stat = os.stat(self._file)
                except OSError:
                    return None
            except OSError:
                return None
            return self._local, stat.st_ino, stat.st_mtime_ns
        return self._local

    def changed(self) -> None:
        """A watched change committed here: drop this process's caches and tell the others (SQLite)."""
        with self._lock:
            self._local += 1
            for cache in self._caches.values():
                cache.clear()
        if self._file:
            replacement = f"{self._file}.{os.getpid()}.{threading.get_ident()}"
            with open(replacement, "w") as handle:
                handle.write(uuid.uuid4().hex)
            os.replace(replacement, self._file)  # a new file: a new identity every process sees

    # --- entries -----------------------------------------------------------------------
    def get(self, name: str, key):
        """The value stored under `key` in cache `name`, if it is still current; else None."""
        generation = self.generation()
        entry = self._caches.get(name, {}).get(key)
        if (entry is None or generation is None or entry.generation != generation
                or time.monotonic() - entry.stored > MAX_AGE_SECONDS):
            return None
        return entry.value

    def put(self, name: str, key, value, generation) -> None:
        """Store `value`, read under `generation` (taken before the read), unless something changed since."""
        if generation is None:
            return
        with self._lock:
            if generation != self.generation():
                return  # a change landed while the value was being read: it may be stale already
            cache = self._caches.setdefault(name, {})
            if len(cache) >= MAX_ENTRIES:
                cache.clear()
            cache[key] = _Entry(value, generation, time.monotonic())


class _Listener:
    """PostgreSQL: one thread per process and database, LISTENing; every notice is a new generation."""

    _running: dict = {}
    _lock = threading.Lock()

    @classmethod
    def of(cls, conninfo: str) -> "_Listener":
        key = (os.getpid(), conninfo)  # a forked child listens for itself
        found = cls._running.get(key)
        if found is None:
            with cls._lock:
                found = cls._running.get(key) or cls._running.setdefault(key, cls(conninfo))
        return found

    def __init__(self, conninfo: str):
        self._conninfo = conninfo
        self._heard = 0
        self._listening = False
        self._started = threading.Event()
        threading.Thread(target=self._listen, name="civic-cache-listener", daemon=True).start()
        self._started.wait(2.0)  # the first request of a process waits for LISTEN, so it can cache at once

    def generation(self) -> int | None:
        return self._heard if self._listening else None

    def _listen(self) -> None:
        import psycopg

        lost = False
        while True:
            try:
                with psycopg.connect(self._conninfo, autocommit=True, application_name="civic-cache-listener") as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._heard += 1  # whatever was sent before we listened is covered by starting afresh
                    self._listening = True
                    self._started.set()
                    if lost:
                        log.info("cache listener is back; caches are on")
                    lost = False
                    while True:
                        for _ in conn.notifies(timeout=1.0):
                            self._heard += 1
                        conn.execute("SELECT 1")  # a dead connection shows here, not only when a notice comes
            except Exception:  # noqa: BLE001 - any failure: stop serving from caches, then listen again
                if not lost:
                    log.warning("cache listener lost its connection; caches are off until it is back")
                lost = True
            self._listening = False
            self._started.set()
            self._heard += 1
            time.sleep(0.5)


def _generation_file(url: sa.engine.URL) -> str | None:
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return f"{database}-cache"


def caches() -> Caches:
    return current_app.extensions["civic.caches"]


# --- noticing writes to watched tables, in the session --------------------------------------
def _session_caches(db_session: Session) -> Caches | None:
    return db_session.info.get("civic.caches")


def _mark(db_session: Session) -> None:
    """A watched table is written in this transaction: drop caches when it commits."""
    found = _session_caches(db_session)
    if found is None:
        return
    db_session.info["civic.cache_changed"] = True
    if found._postgres and not db_session.info.get("civic.cache_notified"):
        db_session.info["civic.cache_notified"] = True
        # Transactional: the other processes hear it when (and only if) this transaction commits.
        db_session.connection().exec_driver_sql(f"NOTIFY {CHANNEL}")


@sa.event.listens_for(Session, "do_orm_execute")
def _bulk_writes(state) -> None:
    if (state.is_update or state.is_delete) and any(m.local_table.name in _WATCHED for m in state.all_mappers):
        _mark(state.session)
    elif state.is_insert and any(m.local_table.name in _WATCHED_INSERTS for m in state.all_mappers):
        _mark(state.session)


@sa.event.listens_for(Session, "before_flush")
def _flushed_writes(db_session, _context, _instances) -> None:
    if not _WATCHED:
        return
    if _WATCHED_INSERTS and any(getattr(getattr(type(obj), "__table__", None), "name", None) in _WATCHED_INSERTS
                                for obj in db_session.new):
        _mark(db_session)
        return
    for obj in (*db_session.dirty, *db_session.deleted):
        table = getattr(getattr(type(obj), "__table__", None), "name", None)
        if table in _WATCHED and (obj in db_session.deleted or db_session.is_modified(obj)):
            _mark(db_session)
            return


@sa.event.listens_for(Session, "after_transaction_end")
def _savepoint_or_transaction_ended(db_session, _transaction) -> None:
    db_session.info.pop("civic.cache_notified", None)  # a new transaction (or savepoint) notifies afresh


@sa.event.listens_for(Session, "after_commit")
def _committed(db_session) -> None:
    if db_session.info.pop("civic.cache_changed", False):
        found = _session_caches(db_session)
        if found is not None:
            found.changed()


@sa.event.listens_for(Session, "after_rollback")
def _rolled_back(db_session) -> None:
    db_session.info.pop("civic.cache_changed", None)


def init_app(app, engine: sa.Engine) -> Caches:
    from civic.core.tenancy import Tenant

    watch(Tenant)  # suspending a tenant or switching a component off counts at once
    found = Caches(engine)
    app.extensions["civic.caches"] = found
    return found


# --- tenants: the facts the request path checks ------------------------------------------------
@dataclasses.dataclass(frozen=True)
class TenantFacts:
    """What the request path needs to know of a tenant, without reading its row again."""

    id: uuid.UUID
    slug: str
    name: str
    status: str
    components: tuple[str, ...] | None
    rate_limit: str | None

    @property
    def active(self) -> bool:
        return self.status == "active"

    def has_component(self, name: str) -> bool:
        return self.components is None or name in self.components


def tenant(tenant_id: uuid.UUID) -> TenantFacts | None:
    """A tenant's facts (status, components, rate limit), from this process's cache when still current."""
    from civic.core.db import session
    from civic.core.tenancy import Tenant

    found = caches()
    facts = found.get("tenants", tenant_id)
    if facts is None:
        generation = found.generation()
        row = session.execute(sa.select(Tenant.id, Tenant.slug, Tenant.name, Tenant.status, Tenant.components,
                                        Tenant.rate_limit).where(Tenant.id == tenant_id)).first()
        if row is None:
            return None
        facts = TenantFacts(row.id, row.slug, row.name, row.status,
                            tuple(row.components) if row.components is not None else None, row.rate_limit)
        found.put("tenants", tenant_id, facts, generation)
    return facts
