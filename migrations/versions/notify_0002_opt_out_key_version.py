"""notify: opt-outs kept under an HMAC of the address; the rows before keep their SHA-256 (key version 1)

Revision ID: notify_0002
Revises: notify_0001
Create Date: 2026-12-02

The existing rows cannot be rewritten here: an HMAC needs the address, which the table never held. They
are marked version 1, still block on every lookup, and are rewritten under the HMAC when next used
(civic.notify.recipients). New rows are version 2.
"""
from alembic import op
import sqlalchemy as sa


revision = 'notify_0002'
down_revision = 'notify_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notify_opt_out', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_version', sa.SmallInteger(), server_default='1', nullable=False))
    with op.batch_alter_table('notify_opt_out', schema=None) as batch_op:
        batch_op.alter_column('key_version', server_default='2', existing_type=sa.SmallInteger(),
                              existing_nullable=False)


def downgrade() -> None:
    # Version 2 rows cannot be turned back into SHA-256s: a downgrade would lose them, so it refuses.
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM notify_opt_out WHERE key_version = 2")).scalar_one():
        raise RuntimeError("notify_opt_out holds opt-outs under the HMAC key (version 2): a downgrade would stop "
                           "honouring them.")
    with op.batch_alter_table('notify_opt_out', schema=None) as batch_op:
        batch_op.drop_column('key_version')
