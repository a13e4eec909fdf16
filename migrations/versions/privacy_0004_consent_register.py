"""consent register

Revision ID: privacy_0004
Revises: privacy_0003
Create Date: 2026-12-03 11:19:19.070837
"""
from alembic import op
import sqlalchemy as sa
import civic.core.db


revision = 'privacy_0004'
down_revision = 'privacy_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('privacy_consent',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('subject_name', sa.String(length=200), nullable=True),
    sa.Column('subject_email', sa.String(length=320), nullable=True),
    sa.Column('subject_phone', sa.String(length=32), nullable=True),
    sa.Column('subject_nhs_number', sa.String(length=10), nullable=True),
    sa.Column('purpose', sa.String(length=60), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=False),
    sa.Column('data_categories', sa.JSON(), nullable=False),
    sa.Column('shared_with', sa.JSON(), nullable=False),
    sa.Column('collection_method', sa.String(length=200), nullable=False),
    sa.Column('notice_url', sa.String(length=500), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('given_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', civic.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', civic.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawal_method', sa.String(length=200), nullable=True),
    sa.Column('history', sa.JSON(), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('sandbox', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_privacy_consent_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_consent'))
    )
    with op.batch_alter_table('privacy_consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_consent_sandbox'), ['sandbox'], unique=False)
        batch_op.create_index('ix_privacy_consent_tenant_email', ['tenant_id', 'subject_email'], unique=False)
        batch_op.create_index(batch_op.f('ix_privacy_consent_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_privacy_consent_tenant_phone', ['tenant_id', 'subject_phone'], unique=False)
        batch_op.create_index('ix_privacy_consent_tenant_purpose', ['tenant_id', 'purpose'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('privacy_consent', schema=None) as batch_op:
        batch_op.drop_index('ix_privacy_consent_tenant_purpose')
        batch_op.drop_index('ix_privacy_consent_tenant_phone')
        batch_op.drop_index(batch_op.f('ix_privacy_consent_tenant_id'))
        batch_op.drop_index('ix_privacy_consent_tenant_email')
        batch_op.drop_index(batch_op.f('ix_privacy_consent_sandbox'))

    op.drop_table('privacy_consent')
