"""`civic db revision --component NAME` writes that component's next migration, with only its tables."""
import re
import shutil
from importlib import resources
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from civic import config as settings
from civic.cli import main
from civic.core import migrate
from civic.core.db import Base
from tests.conftest import TEST_SECRET


def copy_of_the_migrations(tmp_path) -> str:
    folder = tmp_path / "migrations"
    shutil.copytree(str(resources.files("civic.migrations")), folder, ignore=shutil.ignore_patterns("__pycache__"))
    return str(folder)


def models_with_new_tables() -> sa.MetaData:
    """Today's models plus a new table for booking, for reporting and for a new component `parks`."""
    metadata = sa.MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    for name in ("booking_probe", "reporting_probe", "parks_probe"):
        sa.Table(name, metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("label", sa.String(40)))
    return metadata


def written(folder: str, rev_id: str) -> str:
    [path] = Path(folder, "versions").glob(f"{rev_id}_*.py")
    return path.read_text()


def tables(engine) -> set[str]:
    with engine.connect() as connection:
        return set(sa.inspect(connection).get_table_names())


def test_a_component_revision_goes_on_its_branch_with_its_tables_only_and_upgrades(app, tmp_path):
    engine, folder, metadata = app.extensions["civic.engine"], copy_of_the_migrations(tmp_path), models_with_new_tables()
    try:  # autogenerate needs the database at its heads: each new revision is applied before the next
        booking = migrate.revision(engine, "booking probe", component="booking", script_location=folder,
                                   metadata=metadata)
        migrate.upgrade(engine, script_location=folder)
        parks = migrate.revision(engine, "parks probe", component="parks", script_location=folder, metadata=metadata)
        migrate.upgrade(engine, script_location=folder)
        assert (booking, parks) == ("booking_0003", "parks_0001")
        assert {"booking_probe", "parks_probe"} <= tables(engine) and "reporting_probe" not in tables(engine)
        booking_text, parks_text = written(folder, booking), written(folder, parks)
        assert re.search(r"down_revision = '?\"?booking_0002", booking_text)
        assert "booking_probe" in booking_text and "reporting_probe" not in booking_text
        assert "parks_probe" not in booking_text
        assert re.search(r"down_revision = '?\"?0001", parks_text) and "branch_labels = ('parks',)" in parks_text
        assert "parks_probe" in parks_text and "booking_probe" not in parks_text
    finally:  # the test database is shared by later tests: put it back as the real migrations left it
        with engine.begin() as connection:
            for name in ("booking_probe", "parks_probe"):
                connection.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
            connection.execute(sa.text("DELETE FROM alembic_version WHERE version_num = 'parks_0001'"))
            connection.execute(sa.text("UPDATE alembic_version SET version_num = 'booking_0002' "
                                       "WHERE version_num = 'booking_0003'"))
    assert not {"booking_probe", "parks_probe"} & tables(engine)


def test_the_command_writes_the_next_revision_on_the_branch(database_url, tmp_path, monkeypatch):
    folder = copy_of_the_migrations(tmp_path)
    for name, value in {"ENV": "test", "DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET,
                        "LOG_LEVEL": "WARNING"}.items():
        monkeypatch.setenv(f"CIVIC_{name}", value)
    result = CliRunner().invoke(main, ["db", "revision", "--component", "reporting", "-m", "nothing yet",
                                       "--directory", folder])
    assert result.exit_code == 0, result.output
    assert "reporting_0003" in result.output
    assert re.search(r"down_revision = '?\"?reporting_0002", written(folder, "reporting_0003"))
    refused = CliRunner().invoke(main, ["db", "revision", "--component", "nosuch", "-m", "x", "--directory", folder])
    assert refused.exit_code == 2 and "nosuch" not in settings.ALL_COMPONENTS
