"""flows: composed services (a form and steps, one row per version) and their submissions

Revision ID: flows_0003
Revises: flows_0002
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa
import civic.core.db


revision = 'flows_0003'
down_revision = 'flows_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('flows_service',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('current', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('form', sa.JSON(), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('waits_for', sa.JSON(), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('sandbox', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_flows_service_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flows_service')),
    sa.UniqueConstraint('tenant_id', 'sandbox', 'slug', 'version', name='uq_flows_service_version')
    )
    with op.batch_alter_table('flows_service', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flows_service_sandbox'), ['sandbox'], unique=False)
        batch_op.create_index(batch_op.f('ix_flows_service_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('flows_submission',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('service_id', sa.Uuid(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('service_version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('steps', sa.JSON(), nullable=False),
    sa.Column('undone', sa.JSON(), nullable=False),
    sa.Column('form_encrypted', sa.Text(), nullable=True),
    sa.Column('next_encrypted', sa.Text(), nullable=True),
    sa.Column('waiting_field', sa.String(length=100), nullable=True),
    sa.Column('waiting_value', sa.String(length=255), nullable=True),
    sa.Column('waiting_until', civic.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submitted_by', sa.String(length=200), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('sandbox', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['flows_service.id'], name=op.f('fk_flows_submission_service_id_flows_service')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_flows_submission_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flows_submission'))
    )
    with op.batch_alter_table('flows_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flows_submission_sandbox'), ['sandbox'], unique=False)
        batch_op.create_index('ix_flows_submission_service_created', ['service_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_flows_submission_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_flows_submission_waiting', ['tenant_id', 'waiting_value'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('flows_submission', schema=None) as batch_op:
        batch_op.drop_index('ix_flows_submission_waiting')
        batch_op.drop_index(batch_op.f('ix_flows_submission_tenant_id'))
        batch_op.drop_index('ix_flows_submission_service_created')
        batch_op.drop_index(batch_op.f('ix_flows_submission_sandbox'))

    op.drop_table('flows_submission')
    with op.batch_alter_table('flows_service', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flows_service_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_flows_service_sandbox'))

    op.drop_table('flows_service')
