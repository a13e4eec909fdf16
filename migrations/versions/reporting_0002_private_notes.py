"""reporting: private staff notes, one update per caller's update_id, updates and transfers in the sandbox world

Revision ID: reporting_0002
Revises: reporting_0001
"""
from alembic import op
import sqlalchemy as sa


revision = "reporting_0002"
down_revision = "reporting_0001"
branch_labels = None
depends_on = None

# Repeats a race let in before the constraint: keep the first of each (report, update_id).
_FORGET_REPEATED_UPDATE_IDS = """
UPDATE reporting_update SET external_id = NULL
WHERE external_id IS NOT NULL AND EXISTS (
    SELECT 1 FROM reporting_update AS earlier
    WHERE earlier.report_id = reporting_update.report_id AND earlier.external_id = reporting_update.external_id
      AND (earlier.created_at < reporting_update.created_at
           OR (earlier.created_at = reporting_update.created_at AND earlier.id < reporting_update.id)))
"""


def _add_sandbox(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column("sandbox", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Updates and transfers are in the world of their report.
    op.execute(f"UPDATE {table} SET sandbox = (SELECT r.sandbox FROM reporting_report AS r "
               f"WHERE r.id = {table}.report_id)")
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column("sandbox", server_default=None)
        batch_op.create_index(batch_op.f(f"ix_{table}_sandbox"), ["sandbox"], unique=False)


def upgrade() -> None:
    with op.batch_alter_table("reporting_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reporting_report_sandbox"), ["sandbox"], unique=False)
    _add_sandbox("reporting_update")
    _add_sandbox("reporting_transfer")
    op.execute(_FORGET_REPEATED_UPDATE_IDS)
    with op.batch_alter_table("reporting_update", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_reporting_update_report_external", ["report_id", "external_id"])
    # Notes already published stay published; only new notes default to staff-only (in the model).


def downgrade() -> None:
    with op.batch_alter_table("reporting_update", schema=None) as batch_op:
        batch_op.drop_constraint("uq_reporting_update_report_external", type_="unique")
    for table in ("reporting_transfer", "reporting_update"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_sandbox"))
            batch_op.drop_column("sandbox")
    with op.batch_alter_table("reporting_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reporting_report_sandbox"))
