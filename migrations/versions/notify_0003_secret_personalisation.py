"""notify: a message's secret personalisation (a one-time code), encrypted and cleared once sent

Revision ID: notify_0003
Revises: notify_0002
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


revision = 'notify_0003'
down_revision = 'notify_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notify_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret_encrypted', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notify_message', schema=None) as batch_op:
        batch_op.drop_column('secret_encrypted')
