"""reporting tables: categories, reports, updates, transfers, alerts

Revision ID: reporting_0001
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import civic.core.db


revision = "reporting_0001"
down_revision = "0001"
branch_labels = ("reporting",)
depends_on = None


def upgrade() -> None:
    op.create_table('reporting_rollup_state',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('refreshed_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_reporting_rollup_state'))
    )
    op.create_table('reporting_category',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('group', sa.String(length=100), nullable=True),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('lgsl_code', sa.String(length=20), nullable=True),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_reporting_category_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reporting_category')),
    sa.UniqueConstraint('tenant_id', 'code', name='uq_reporting_category_tenant_code')
    )
    with op.batch_alter_table('reporting_category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reporting_category_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('reporting_alert',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('category_id', sa.Uuid(), nullable=False),
    sa.Column('area', sa.String(length=16), nullable=False),
    sa.Column('detected_on', sa.Date(), nullable=False),
    sa.Column('window_start', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('window_end', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('current', sa.Integer(), nullable=False),
    sa.Column('baseline_mean', sa.Double(), nullable=False),
    sa.Column('baseline_sd', sa.Double(), nullable=False),
    sa.Column('threshold', sa.Double(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['reporting_category.id'], name=op.f('fk_reporting_alert_category_id_reporting_category'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_reporting_alert_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reporting_alert')),
    sa.UniqueConstraint('category_id', 'area', 'detected_on', name='uq_reporting_alert_category_id')
    )
    with op.batch_alter_table('reporting_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reporting_alert_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('reporting_area_weekly_count',
    sa.Column('area', sa.String(length=16), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('category_id', sa.Uuid(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['reporting_category.id'], name=op.f('fk_reporting_area_weekly_count_category_id_reporting_category'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_reporting_area_weekly_count_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('week', 'tenant_id', 'category_id', 'area', name=op.f('pk_reporting_area_weekly_count'))
    )
    op.create_table('reporting_report',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('category_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('closing_reason', sa.String(length=20), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('lat', sa.Double(), nullable=True),
    sa.Column('long', sa.Double(), nullable=True),
    sa.Column('address', sa.String(length=500), nullable=True),
    sa.Column('uprn', sa.String(length=12), nullable=True),
    sa.Column('usrn', sa.String(length=8), nullable=True),
    sa.Column('cell', sa.String(length=16), nullable=True),
    sa.Column('area', sa.String(length=16), nullable=True),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('media_url', sa.String(length=1000), nullable=True),
    sa.Column('reporter_name', sa.String(length=200), nullable=True),
    sa.Column('reporter_email', sa.String(length=320), nullable=True),
    sa.Column('reporter_phone', sa.String(length=20), nullable=True),
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('source', sa.String(length=120), nullable=False),
    sa.Column('sandbox', sa.Boolean(), nullable=False),
    sa.Column('transferred_from_tenant_id', sa.Uuid(), nullable=True),
    sa.Column('reference', sa.String(length=255), nullable=True),
    sa.Column('metadata', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['reporting_category.id'], name=op.f('fk_reporting_report_category_id_reporting_category')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_reporting_report_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reporting_report')),
    sa.UniqueConstraint('token', name=op.f('uq_reporting_report_token'))
    )
    with op.batch_alter_table('reporting_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reporting_report_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reporting_report_reporter_email'), ['reporter_email'], unique=False)
        batch_op.create_index('ix_reporting_report_tenant_created', ['tenant_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reporting_report_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_reporting_report_week_category', ['week', 'category_id'], unique=False)

    op.create_table('reporting_weekly_count',
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('category_id', sa.Uuid(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['reporting_category.id'], name=op.f('fk_reporting_weekly_count_category_id_reporting_category'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_reporting_weekly_count_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('week', 'tenant_id', 'category_id', 'status', name=op.f('pk_reporting_weekly_count'))
    )
    op.create_table('reporting_transfer',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('to_tenant_id', sa.Uuid(), nullable=False),
    sa.Column('report_id', sa.Uuid(), nullable=False),
    sa.Column('from_category_code', sa.String(length=50), nullable=False),
    sa.Column('to_category_code', sa.String(length=50), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reporting_report.id'], name=op.f('fk_reporting_transfer_report_id_reporting_report'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_reporting_transfer_tenant_id_tenant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_tenant_id'], ['tenant.id'], name=op.f('fk_reporting_transfer_to_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reporting_transfer'))
    )
    with op.batch_alter_table('reporting_transfer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reporting_transfer_report_id'), ['report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reporting_transfer_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reporting_transfer_to_tenant_id'), ['to_tenant_id'], unique=False)

    op.create_table('reporting_update',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('report_id', sa.Uuid(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('closing_reason', sa.String(length=20), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('media_url', sa.String(length=1000), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', civic.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reporting_report.id'], name=op.f('fk_reporting_update_report_id_reporting_report'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_reporting_update_tenant_id_tenant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reporting_update'))
    )
    with op.batch_alter_table('reporting_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reporting_update_report_id'), ['report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reporting_update_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reporting_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reporting_update_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_reporting_update_report_id'))

    op.drop_table('reporting_update')
    with op.batch_alter_table('reporting_transfer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reporting_transfer_to_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_reporting_transfer_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_reporting_transfer_report_id'))

    op.drop_table('reporting_transfer')
    op.drop_table('reporting_weekly_count')
    with op.batch_alter_table('reporting_report', schema=None) as batch_op:
        batch_op.drop_index('ix_reporting_report_week_category')
        batch_op.drop_index(batch_op.f('ix_reporting_report_tenant_id'))
        batch_op.drop_index('ix_reporting_report_tenant_created')
        batch_op.drop_index(batch_op.f('ix_reporting_report_reporter_email'))
        batch_op.drop_index(batch_op.f('ix_reporting_report_category_id'))

    op.drop_table('reporting_report')
    op.drop_table('reporting_area_weekly_count')
    with op.batch_alter_table('reporting_alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reporting_alert_tenant_id'))

    op.drop_table('reporting_alert')
    with op.batch_alter_table('reporting_category', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reporting_category_tenant_id'))

    op.drop_table('reporting_category')
    op.drop_table('reporting_rollup_state')
