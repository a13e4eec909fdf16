"""The models and the migrations agree on this database (autogenerate finds nothing to do)."""
import pytest

from civic import config
from civic.core import migrate
from tests.conftest import config_for

# The Event model exists but migration 0001 does not create its table; a migration (outside the core's
# files) has to add it. Until then this one difference is an expected failure, and nothing else is.
KNOWN_MISSING = {"core_event"}


def describe(diff) -> str:
    kind, *rest = diff if isinstance(diff, tuple) else diff[0]
    target = rest[0] if rest else ""
    return f"{kind} {getattr(target, 'name', target)}"


def table_of(diff):
    diff = diff if isinstance(diff, tuple) else diff[0]
    target = diff[1] if len(diff) > 1 else None
    return getattr(target, "name", None) if diff[0] == "add_table" else getattr(getattr(target, "table", None), "name", None)


def test_models_and_migrations_agree(database_url):
    from civic.app import create_app

    app = create_app(config_for(database_url, COMPONENTS=list(config.ALL_COMPONENTS)))
    engine = app.extensions["civic.engine"]
    migrate.upgrade(engine)  # already at heads: a no-op, as on a deployed database
    differences = migrate.differences(engine)
    engine.dispose()
    if differences and {table_of(d) for d in differences} <= KNOWN_MISSING:
        pytest.xfail(f"known: no migration creates {sorted(KNOWN_MISSING)} yet")
    assert not differences, "models and migrations disagree:\n" + "\n".join(describe(d) for d in differences)


def test_upgrade_on_a_fresh_database_is_repeatable(tmp_path):
    from civic.core import db

    engine = db.create_engine(f"sqlite:///{tmp_path}/fresh.db")
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        import sqlalchemy as sa

        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert {"tenant", "core_job", "core_audit", "core_idempotency_key", "alembic_version"} <= tables
