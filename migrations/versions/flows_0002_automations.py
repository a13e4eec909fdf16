"""flows: automations (a trigger, a CEL condition, steps of actions) and their runs

Revision ID: flows_0002
Revises: flows_0001
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
import civic.core.db


revision = 'flows_0002'
down_revision = 'flows_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('flows_automation',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.Column('trigger', sa.String(length=120), nullable=False),
    sa.Column('condition', sa.Text(), nullable=True),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('sandbox', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_flows_automation_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flows_automation'))
    )
    with op.batch_alter_table('flows_automation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flows_automation_sandbox'), ['sandbox'], unique=False)
        batch_op.create_index(batch_op.f('ix_flows_automation_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('flows_run',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('automation_id', sa.Uuid(), nullable=False),
    sa.Column('automation_version', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('event_type', sa.String(length=120), nullable=False),
    sa.Column('event', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('failed_step', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sandbox', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['automation_id'], ['flows_automation.id'], name=op.f('fk_flows_run_automation_id_flows_automation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_flows_run_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flows_run')),
    sa.UniqueConstraint('automation_id', 'event_id', name='uq_flows_run_event')
    )
    with op.batch_alter_table('flows_run', schema=None) as batch_op:
        batch_op.create_index('ix_flows_run_automation_created', ['automation_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_flows_run_sandbox'), ['sandbox'], unique=False)
        batch_op.create_index(batch_op.f('ix_flows_run_tenant_id'), ['tenant_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('flows_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flows_run_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_flows_run_sandbox'))
        batch_op.drop_index('ix_flows_run_automation_created')

    op.drop_table('flows_run')
    with op.batch_alter_table('flows_automation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flows_automation_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_flows_automation_sandbox'))

    op.drop_table('flows_automation')
