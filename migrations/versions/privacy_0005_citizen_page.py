"""privacy: the citizen privacy page (codes and sessions), and a request's kind (access, erasure,
rectification) with the person's own words, encrypted

Revision ID: privacy_0005
Revises: privacy_0004
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa
import civic.core.db


revision = 'privacy_0005'
down_revision = 'privacy_0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('privacy_citizen_code',
    sa.Column('kind', sa.String(length=5), nullable=False),
    sa.Column('contact_hash', sa.String(length=64), nullable=False),
    sa.Column('contact_encrypted', sa.Text(), nullable=False),
    sa.Column('address_hash', sa.String(length=64), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('code_expires_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('session_hash', sa.String(length=64), nullable=True),
    sa.Column('session_expires_at', civic.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_citizen_code')),
    sa.UniqueConstraint('session_hash', name=op.f('uq_privacy_citizen_code_session_hash'))
    )
    with op.batch_alter_table('privacy_citizen_code', schema=None) as batch_op:
        batch_op.create_index('ix_privacy_citizen_code_address', ['address_hash', 'created_at'], unique=False)
        batch_op.create_index('ix_privacy_citizen_code_contact', ['contact_hash', 'created_at'], unique=False)

    with op.batch_alter_table('privacy_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=14), server_default='access', nullable=False))
        batch_op.add_column(sa.Column('details_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('citizen_key', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_privacy_request_citizen_key'), ['citizen_key'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('privacy_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_request_citizen_key'))
        batch_op.drop_column('citizen_key')
        batch_op.drop_column('details_encrypted')
        batch_op.drop_column('kind')

    with op.batch_alter_table('privacy_citizen_code', schema=None) as batch_op:
        batch_op.drop_index('ix_privacy_citizen_code_contact')
        batch_op.drop_index('ix_privacy_citizen_code_address')

    op.drop_table('privacy_citizen_code')
