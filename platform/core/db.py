"""Database: engine per app, one session per app context, one commit per unit of work.

Services use `session` and `flush()`; only the core commits (after a request,
a job or a CLI command), and it rolls back on any exception.
"""
import contextlib
import logging
import datetime as dt
import re
import uuid

import sqlalchemy as sa
from flask import current_app, g, has_app_context, has_request_context, request
from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from werkzeug.local import LocalProxy

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(sa.TypeDecorator):
    """Timezone-aware UTC datetimes on every database (SQLite stores them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; times must carry an offset")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime(), uuid.UUID: sa.Uuid(), dict: sa.JSON(), list: sa.JSON()}


class Entity:
    """Columns every resource has: a UUID id and UTC created/updated times."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _write_intent() -> bool:
    """SQLite: a request that writes takes the write lock up front (BEGIN IMMEDIATE).

    Upgrading a read lock to a write lock mid-transaction fails at once under contention, so
    writers queue on the busy timeout instead. Reads (GET, HEAD, OPTIONS) begin a plain deferred
    transaction and never queue behind a writer: the rows they must write (audit entries, through
    `add`) wait for the end of the request, where they are written in a short write transaction
    of their own (`_write_after_read`), which does queue.
    """
    if has_request_context():
        return request.method not in READ_METHODS or g.get("civic_writing_after_read", False)
    return not (has_app_context() and g.get("civic_read_only", False))


def _defers_writes() -> bool:
    """A read request on SQLite: its rows are written after the read, not in its read transaction."""
    return has_request_context() and request.method in READ_METHODS and dialect() == "sqlite"


def add(obj) -> None:
    """Add a row that must be written with the request's answer (an audit entry): in this transaction, or,
    for a read on SQLite, in a short write at the end of the request. If that write fails, the request
    fails (a 503) instead of answering without its row: no such row is ever lost."""
    if _defers_writes():
        g.setdefault("civic_after_read", []).append(obj)
        return
    session.add(obj)  # flushed with the rest (its key is made in Python): one INSERT for many rows


WRITE_AFTER_READ_ATTEMPTS = 3


def _write_after_read(response):
    """After the unit of work ended the read: the rows `add` kept back, in one write transaction."""
    pending = g.pop("civic_after_read", None)
    if not pending or response.status_code >= 400:
        return response  # a failed request writes nothing, as its transaction would have
    g.civic_writing_after_read = True
    try:
        for attempt in range(1, WRITE_AFTER_READ_ATTEMPTS + 1):
            try:
                session.add_all(pending)
                session.commit()
                return response
            except sa.exc.OperationalError as exc:  # still locked after the busy timeout
                session.rollback()
                if attempt == WRITE_AFTER_READ_ATTEMPTS:
                    from civic.core.errors import handle_database_unavailable

                    return handle_database_unavailable(exc)  # never the answer without its audit rows
    finally:
        g.civic_writing_after_read = False
    return response


def create_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent() else "BEGIN")

        return engine
    # No pre-ping: it costs a round trip per request. A connection found dead fails that one
    # request with a 503, and SQLAlchemy then drops the whole pool, so the app recovers by itself.
    engine = sa.create_engine(url, pool_size=10, max_overflow=20)
    if engine.dialect.driver == "psycopg":
        _pipeline_writes(engine)
        event.listen(engine, "checkout", _refuse_a_connection_left_busy)
    return engine


def _refuse_a_connection_left_busy(dbapi_connection, _record, _proxy) -> None:
    """A connection the server killed mid-pipeline can come back to the pool still in a transaction or in
    pipeline mode (its reset failed): the pool must replace it, not hand it to the next request, which
    would fail with a programming error (a 500) instead of working. Local state only, no round trip."""
    import psycopg

    if (dbapi_connection.closed or dbapi_connection.broken
            or dbapi_connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
            or dbapi_connection.pgconn.pipeline_status != psycopg.pq.PipelineStatus.OFF):
        raise sa.exc.DisconnectionError("a pooled connection was left busy; replacing it")


# An INSERT whose answer nobody reads: the ORM's, with its keys made in Python (no RETURNING).
_PLAIN_INSERT = re.compile(r"\s*INSERT\b(?!.*\bRETURNING\b)", re.IGNORECASE | re.DOTALL)


def _pipeline_writes(engine: sa.Engine) -> None:
    """PostgreSQL, a write request: plain INSERTs go out together with the COMMIT, in one round trip.

    The connection runs in psycopg's pipeline mode for the request's transaction. Any statement
    whose answer is read (a SELECT, an UPDATE whose row count the ORM checks, an INSERT ... RETURNING),
    anything inside a savepoint, and the end of any explicit `flush()` that changed rows or could hit a
    unique constraint sync the pipeline, so each sees every row sent before it and such errors show
    where they did before. New rows that cannot collide (events, jobs, history, audit: keys made in
    Python, no unique value set) go out with the COMMIT; a foreign key they break is a 409 there.
    """

    @event.listens_for(engine, "begin")
    def _enter(conn):
        fairy = conn.connection
        if "civic_pipeline" in fairy.info or not _pipelines():
            return
        manager = fairy.dbapi_connection.pipeline()
        fairy.info["civic_pipeline"] = (manager, manager.__enter__())

    @event.listens_for(engine, "after_cursor_execute")
    def _sync(conn, _cursor, statement, _parameters, _context, _executemany):
        entry = conn.connection.info.get("civic_pipeline")
        if entry is not None and (conn.in_nested_transaction() or not _PLAIN_INSERT.match(statement)):
            entry[1].sync()

    @event.listens_for(engine, "rollback")
    def _leave_before_rollback(conn):
        if conn.invalidated:  # the connection died: there is no pipeline left to leave (checkin drops it)
            return
        _leave(conn.connection.info)  # a failed statement is reported again by the pipeline: the rollback must not be

    @event.listens_for(engine, "checkin")
    def _leave_on_checkin(_dbapi_connection, record):
        _leave(record.info)


def _leave(info: dict) -> None:
    entry = info.pop("civic_pipeline", None)
    if entry is not None:
        with contextlib.suppress(Exception):  # the error was raised where it happened; the transaction is ending
            entry[0].__exit__(None, None, None)


@event.listens_for(Session, "before_commit")
def _committing(db_session) -> None:
    db_session.info["civic_committing"] = True  # the commit's own flush goes out with the COMMIT


@event.listens_for(Session, "after_transaction_end")
def _not_committing(db_session, transaction) -> None:
    if transaction.parent is None:
        db_session.info.pop("civic_committing", None)


def _unique_keys(table: sa.Table) -> list[tuple[str, ...]]:
    """The column sets of `table` that a second row could collide on (its primary key aside: keys are made in Python)."""
    found = [(c.key,) for c in table.columns if c.unique]
    for constraint in (*table.constraints, *table.indexes):
        if isinstance(constraint, (sa.UniqueConstraint, sa.Index)) and getattr(constraint, "unique", True):
            found.append(tuple(c.key for c in constraint.columns))
    return found


def _could_conflict(obj) -> bool:
    """A new row collides only on a unique key whose columns are all set (NULLs never collide)."""
    table = getattr(type(obj), "__table__", None)
    if table is None:
        return True
    return any(all(getattr(obj, name, None) is not None for name in key) for key in _unique_keys(table))


@event.listens_for(Session, "after_flush")
def _flush_could_fail(db_session, _context) -> None:
    """Whether this flush could hit a unique constraint, or changed rows: then its errors show at the flush."""
    db_session.info["civic_sync_flush"] = bool(db_session.dirty or db_session.deleted) or any(
        _could_conflict(obj) for obj in db_session.new)


@event.listens_for(Session, "after_flush_postexec")
def _sync_explicit_flush(db_session, _context) -> None:
    """A service's own `flush()` that could conflict reports its errors there, as without the pipeline."""
    if db_session.info.get("civic_committing") or not db_session.info.pop("civic_sync_flush", True):
        return
    entry = db_session.connection().connection.info.get("civic_pipeline")
    if entry is None:
        return
    import psycopg

    try:
        entry[1].sync()
    except psycopg.Error as exc:
        raise sa.exc.DBAPIError.instance("(pipeline sync after flush)", None, exc, psycopg.Error) from exc


def _pipelines() -> bool:
    return (has_request_context() and request.method not in READ_METHODS
            and not g.get("civic_writing_after_read", False))


def init_app(app) -> None:
    from civic.core import caching

    engine = create_engine(app.config["DATABASE_URL"])
    app.extensions["civic.engine"] = engine
    info = {"civic.caches": caching.init_app(app, engine)}  # sessions drop the caches when watched rows change
    app.extensions["civic.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False, info=info)
    # PostgreSQL reads (GET/HEAD) run in autocommit: no BEGIN and COMMIT round trips per request.
    reads = engine.execution_options(isolation_level="AUTOCOMMIT") if engine.dialect.name == "postgresql" else engine
    app.extensions["civic.read_sessionmaker"] = sessionmaker(bind=reads, expire_on_commit=False, info=info)

    # Registered before the unit of work's own after_request, so it runs after that has ended the read.
    app.after_request(_write_after_read)

    @app.teardown_appcontext
    def _close_session(_exc):
        s = g.pop("civic_session", None)
        if s is not None:
            try:
                s.close()  # anything not committed is rolled back
            except Exception as exc:  # a connection that died mid-request (its answer is already a 503)
                logging.getLogger("civic.db").warning("closing a session failed: %s", type(exc).__name__)
                with contextlib.suppress(Exception):
                    s.invalidate()


def engine() -> sa.Engine:
    return current_app.extensions["civic.engine"]


def _current_session() -> Session:
    if "civic_session" not in g:
        read = has_request_context() and request.method in READ_METHODS
        g.civic_session = current_app.extensions["civic.read_sessionmaker" if read else "civic.sessionmaker"]()
    return g.civic_session


session: Session = LocalProxy(_current_session)  # type: ignore[assignment]


@contextlib.contextmanager
def unit_of_work():
    """One commit for a job or command; rollback on any exception."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def dialect() -> str:
    return engine().dialect.name


def lock_keys(*keys: str) -> None:
    """Serialise work on these keys until the transaction ends (count-then-insert limits, say): PostgreSQL's
    transaction-level advisory locks, taken in a fixed order; SQLite needs none (a writing request holds
    the database's write lock from its start)."""
    if dialect() == "postgresql":
        for key in sorted(set(keys)):
            session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
