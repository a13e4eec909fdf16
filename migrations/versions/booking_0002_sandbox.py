"""booking: every record is live or sandbox (test), like Stripe's test mode

Revision ID: booking_0002
Revises: booking_0001
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = 'booking_0002'
down_revision = 'booking_0001'
branch_labels = None
depends_on = None

# Existing rows were made before the sandbox was separate: they are live.
TABLES = ('booking_resource', 'booking_exception', 'booking_slot', 'booking_hold', 'booking_booking')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('sandbox', sa.Boolean(), server_default=sa.false(), nullable=False))
            batch_op.create_index(batch_op.f(f'ix_{table}_sandbox'), ['sandbox'], unique=False)


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_sandbox'))
            batch_op.drop_column('sandbox')
