"""Alembic environment: the engine and models come from the running civic app."""
from alembic import context

from civic.config import ALL_COMPONENTS

config = context.config
connection = config.attributes["connection"]
target_metadata = config.attributes["metadata"]
component = config.attributes.get("component")  # autogenerating one part's migration: only its tables


def belongs(table: str) -> bool:
    """Whether a table is `component`'s: a component's are prefixed with its name, the rest are the core's."""
    if component == "core":
        return not table.startswith(tuple(f"{name}_" for name in ALL_COMPONENTS))
    return table.startswith(f"{component}_")


def include_object(obj, name, type_, reflected, compare_to):
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    if table == "alembic_version":
        return False
    return component is None or table is None or belongs(table)


context.configure(connection=connection, target_metadata=target_metadata, compare_type=True,
                  render_as_batch=connection.dialect.name == "sqlite", include_object=include_object)
with context.begin_transaction():
    context.run_migrations()
