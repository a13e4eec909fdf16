"""`civic db upgrade` and friends: Alembic driven from the app's own engine and models."""
from importlib import resources

from alembic import command
from alembic.config import Config

from civic.core.db import Base


def alembic_config(engine, connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("civic.migrations")))
    config.attributes["metadata"] = Base.metadata
    config.attributes["connection"] = connection
    return config


def upgrade(engine, revision: str = "heads") -> None:
    """Each component has its own branch of migrations, so upgrade every head."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(engine, connection), revision)


def revision(engine, message: str, *, head: str = "0002", branch_label: str | None = None,
             rev_id: str | None = None) -> None:
    """Write a new migration from the difference between the models and the database.

    `head` is the core branch's latest revision (move it on with each core migration); a component's
    first migration (`branch_label`) starts its own branch off the core's `0001`.
    """
    with engine.begin() as connection:
        command.revision(alembic_config(engine, connection), message=message, autogenerate=True,
                         head=head if not branch_label else "0001", branch_label=branch_label, rev_id=rev_id,
                         splice=bool(branch_label))


def differences(engine) -> list:
    """What autogenerate would change: empty when the models and the migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)
