"""The models and the migrations agree on this database (autogenerate finds nothing to do)."""
import sqlalchemy as sa

from civic import config
from civic.core import db, migrate
from tests.conftest import config_for


def describe(diff) -> str:
    kind, *rest = diff if isinstance(diff, tuple) else diff[0]
    target = rest[0] if rest else ""
    return f"{kind} {getattr(target, 'name', target)}"


def test_models_and_migrations_agree(database_url):
    from civic.app import create_app

    app = create_app(config_for(database_url, COMPONENTS=list(config.ALL_COMPONENTS)))
    engine = app.extensions["civic.engine"]
    migrate.upgrade(engine)  # already at heads: a no-op, as on a deployed database
    differences = migrate.differences(engine)
    engine.dispose()
    assert not differences, "models and migrations disagree:\n" + "\n".join(describe(d) for d in differences)


def test_upgrade_on_a_fresh_database_is_repeatable(tmp_path):
    engine = db.create_engine(f"sqlite:///{tmp_path}/fresh.db")
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert {"tenant", "core_job", "core_event", "core_audit", "core_idempotency_key", "alembic_version"} <= tables
