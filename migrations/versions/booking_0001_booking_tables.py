"""booking: resources, opening exceptions, slot counters, holds and bookings

Revision ID: booking_0001
Revises: 0001
Create Date: 2026-11-21
"""
from alembic import op
import sqlalchemy as sa
import civic.core.db


revision = 'booking_0001'
down_revision = '0001'
branch_labels = ('booking',)
depends_on = None


def upgrade() -> None:
    op.create_table('booking_resource',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.Column('step_minutes', sa.Integer(), nullable=False),
    sa.Column('buffer_before_minutes', sa.Integer(), nullable=False),
    sa.Column('buffer_after_minutes', sa.Integer(), nullable=False),
    sa.Column('min_notice_minutes', sa.Integer(), nullable=False),
    sa.Column('max_advance_days', sa.Integer(), nullable=False),
    sa.Column('bank_holiday_region', sa.String(length=20), nullable=False),
    sa.Column('open_on_bank_holidays', sa.Boolean(), nullable=False),
    sa.Column('opening_hours', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_booking_resource_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_resource'))
    )
    with op.batch_alter_table('booking_resource', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_resource_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('booking_exception',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('resource_id', sa.Uuid(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('start_time', sa.String(length=5), nullable=True),
    sa.Column('end_time', sa.String(length=5), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['booking_resource.id'], name=op.f('fk_booking_exception_resource_id_booking_resource'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_booking_exception_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_exception'))
    )
    with op.batch_alter_table('booking_exception', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_exception_resource_id'), ['resource_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_exception_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('booking_slot',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('resource_id', sa.Uuid(), nullable=False),
    sa.Column('start', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.CheckConstraint('used >= 0', name=op.f('ck_booking_slot_used_not_negative')),
    sa.ForeignKeyConstraint(['resource_id'], ['booking_resource.id'], name=op.f('fk_booking_slot_resource_id_booking_resource'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_booking_slot_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_slot')),
    sa.UniqueConstraint('resource_id', 'start', name='uq_booking_slot_resource_start')
    )
    with op.batch_alter_table('booking_slot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_slot_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('booking_booking',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('resource_id', sa.Uuid(), nullable=False),
    sa.Column('slot_id', sa.Uuid(), nullable=False),
    sa.Column('start', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('hold_id', sa.Uuid(), nullable=True),
    sa.Column('attendee_name', sa.String(length=200), nullable=True),
    sa.Column('attendee_email', sa.String(length=320), nullable=True),
    sa.Column('attendee_phone', sa.String(length=32), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.Column('cancelled_at', civic.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['booking_resource.id'], name=op.f('fk_booking_booking_resource_id_booking_resource'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['slot_id'], ['booking_slot.id'], name=op.f('fk_booking_booking_slot_id_booking_slot')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_booking_booking_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_booking'))
    )
    with op.batch_alter_table('booking_booking', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_booking_attendee_email'), ['attendee_email'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_booking_attendee_phone'), ['attendee_phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_booking_reference'), ['reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_booking_resource_id'), ['resource_id'], unique=False)
        batch_op.create_index('ix_booking_booking_slot_id', ['slot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_booking_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_booking_booking_tenant_start', ['tenant_id', 'start'], unique=False)

    op.create_table('booking_hold',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('resource_id', sa.Uuid(), nullable=False),
    sa.Column('slot_id', sa.Uuid(), nullable=False),
    sa.Column('start', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('expires_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('booking_id', sa.Uuid(), nullable=True),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['booking_resource.id'], name=op.f('fk_booking_hold_resource_id_booking_resource'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['slot_id'], ['booking_slot.id'], name=op.f('fk_booking_hold_slot_id_booking_slot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_booking_hold_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_hold'))
    )
    with op.batch_alter_table('booking_hold', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_hold_resource_id'), ['resource_id'], unique=False)
        batch_op.create_index('ix_booking_hold_slot_status', ['slot_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_hold_tenant_id'), ['tenant_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('booking_hold', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_hold_tenant_id'))
        batch_op.drop_index('ix_booking_hold_slot_status')
        batch_op.drop_index(batch_op.f('ix_booking_hold_resource_id'))

    op.drop_table('booking_hold')
    with op.batch_alter_table('booking_booking', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_booking_tenant_start')
        batch_op.drop_index(batch_op.f('ix_booking_booking_tenant_id'))
        batch_op.drop_index('ix_booking_booking_slot_id')
        batch_op.drop_index(batch_op.f('ix_booking_booking_resource_id'))
        batch_op.drop_index(batch_op.f('ix_booking_booking_reference'))
        batch_op.drop_index(batch_op.f('ix_booking_booking_attendee_phone'))
        batch_op.drop_index(batch_op.f('ix_booking_booking_attendee_email'))

    op.drop_table('booking_booking')
    with op.batch_alter_table('booking_slot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_slot_tenant_id'))

    op.drop_table('booking_slot')
    with op.batch_alter_table('booking_exception', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_exception_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_booking_exception_resource_id'))

    op.drop_table('booking_exception')
    with op.batch_alter_table('booking_resource', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_resource_tenant_id'))

    op.drop_table('booking_resource')
