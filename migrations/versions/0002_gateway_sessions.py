"""gateway: a session generation per staff user, so sign-in sessions can be ended; forget raw lock-out keys

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gateway_staff_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False))
    # Lock-out keys used to be typed input in clear (an email field may hold a password); keys are
    # now keyed hashes, so the old rows are both useless and personal data.
    op.execute("DELETE FROM gateway_throttle")


def downgrade() -> None:
    with op.batch_alter_table("gateway_staff_user", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
