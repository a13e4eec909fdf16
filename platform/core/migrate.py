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


def upgrade(engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(engine, connection), revision)


def revision(engine, message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    with engine.begin() as connection:
        command.revision(alembic_config(engine, connection), message=message, autogenerate=True)


def differences(engine) -> list:
    """What autogenerate would change: empty when the models and the migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)
