"""Alembic environment: the engine and models come from the running civic app."""
from alembic import context

config = context.config
connection = config.attributes["connection"]
target_metadata = config.attributes["metadata"]


def include_object(obj, name, type_, reflected, compare_to):
    return not (type_ == "table" and name == "alembic_version")


context.configure(connection=connection, target_metadata=target_metadata, compare_type=True,
                  render_as_batch=connection.dialect.name == "sqlite", include_object=include_object)
with context.begin_transaction():
    context.run_migrations()
