"""core: an idempotency record keeps the caller's role and scopes, so a replay is checked against them

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("core_idempotency_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("authority", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("core_idempotency_key", schema=None) as batch_op:
        batch_op.drop_column("authority")
