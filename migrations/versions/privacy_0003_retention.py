"""privacy retention schedules and runs

Revision ID: privacy_0003
Revises: privacy_0002
Create Date: 2026-12-02 13:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
import civic.core.db


revision = 'privacy_0003'
down_revision = 'privacy_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('privacy_retention',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('data_class', sa.String(length=60), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_privacy_retention_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_retention')),
    sa.UniqueConstraint('tenant_id', 'data_class', name='uq_privacy_retention_tenant_class')
    )
    with op.batch_alter_table('privacy_retention', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_retention_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('privacy_retention_runs',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('data_class', sa.String(length=60), nullable=False),
    sa.Column('cutoff', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ids_count', sa.Integer(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_privacy_retention_runs_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_retention_runs'))
    )
    with op.batch_alter_table('privacy_retention_runs', schema=None) as batch_op:
        batch_op.create_index('ix_privacy_retention_runs_tenant_created', ['tenant_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_privacy_retention_runs_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('privacy_retention_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_retention_runs_tenant_id'))
        batch_op.drop_index('ix_privacy_retention_runs_tenant_created')
    op.drop_table('privacy_retention_runs')
    with op.batch_alter_table('privacy_retention', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_retention_tenant_id'))
    op.drop_table('privacy_retention')
