"""`civic db upgrade` and friends: Alembic driven from the app's own engine and models.

The core's revisions are numbered `0002`, `0003`...; each component has its own branch, labelled
with its name and numbered `<name>_0001`, `<name>_0002`..., holding only its `<name>_*` tables.
"""
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from civic.core.db import Base

CORE = "core"


def alembic_config(engine, connection=None, *, script_location: str | None = None, metadata=None,
                   component: str | None = None) -> Config:
    """`component`: autogenerate compares only that part's tables (migrations/env.py filters them)."""
    config = Config()
    config.set_main_option("script_location", script_location or str(resources.files("civic.migrations")))
    config.attributes["metadata"] = Base.metadata if metadata is None else metadata
    config.attributes["connection"] = connection
    config.attributes["component"] = component
    return config


def upgrade(engine, revision: str = "heads", *, script_location: str | None = None) -> None:
    """Each component has its own branch of migrations, so upgrade every head."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(engine, connection, script_location=script_location), revision)


def _numbers(script: ScriptDirectory, component: str) -> list[int]:
    prefix = "" if component == CORE else f"{component}_"
    ids = [r.revision.removeprefix(prefix) for r in script.walk_revisions()
           if r.revision.startswith(prefix) and (prefix or r.revision.isdigit())]
    return [int(number) for number in ids if number.isdigit()]


def revision(engine, message: str, *, component: str, script_location: str | None = None, metadata=None) -> str:
    """Write the next migration of `component` ("core" or a component's name) from its models; returns its id.

    A component's first migration starts its branch off the core's first revision.
    """
    with engine.begin() as connection:
        config = alembic_config(engine, connection, script_location=script_location, metadata=metadata,
                                component=component)
        script = ScriptDirectory.from_config(config)
        numbers = _numbers(script, component)
        following = max(numbers, default=0) + 1
        options = {"head": f"{component}@head", "branch_label": None, "splice": False}
        if component == CORE:
            options["head"] = f"{max(numbers):04d}"
            rev_id = f"{following:04d}"
        else:
            rev_id = f"{component}_{following:04d}"
            if not numbers:
                options = {"head": "0001", "branch_label": component, "splice": True}
        command.revision(config, message=message, autogenerate=True, rev_id=rev_id, **options)
    return rev_id


def differences(engine) -> list:
    """What autogenerate would change: empty when the models and the migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)
