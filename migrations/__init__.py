"""Alembic migrations, shipped inside the package as `civic.migrations`."""
