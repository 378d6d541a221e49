"""Initial schema: boundaries, SKPD, categories, service areas, complaints and their history, staff, API clients.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-27 22:11:27.459020
"""
import sqlalchemy as sa
from alembic import context, op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    METRIC_SRID = int(context.config.attributes["metric_srid"])  # set by env.py: the city's metric CRS
    op.execute('CREATE EXTENSION IF NOT EXISTS postgis')
    op.create_table('api_client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('key_prefix', sa.String(length=12), nullable=False),
    sa.Column('key_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_api_client_key_prefix'), 'api_client', ['key_prefix'], unique=False)
    op.create_table('boundary_generation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('synthetic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('report', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('boundary_generation_one_active', 'boundary_generation', ['active'], unique=True, postgresql_where=sa.text('active'))
    op.create_table('day_off',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )
    op.create_table('reporter',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('device_id', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('skpd',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('skpd_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("role IN ('officer','skpd_admin','planner','admin')", name='app_user_role'),
    sa.CheckConstraint("role NOT IN ('officer','skpd_admin') OR skpd_id IS NOT NULL", name='app_user_skpd'),
    sa.ForeignKeyConstraint(['skpd_id'], ['skpd.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )
    op.create_table('category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('name_id', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('description_id', sa.Text(), nullable=True),
    sa.Column('description_en', sa.Text(), nullable=True),
    sa.Column('group_name', sa.String(length=100), nullable=True),
    sa.Column('keywords', sa.Text(), nullable=True),
    sa.Column('default_skpd_id', sa.Integer(), nullable=False),
    sa.Column('followup_days', sa.SmallInteger(), server_default=sa.text('5'), nullable=False),
    sa.Column('handling_days', sa.SmallInteger(), server_default=sa.text('15'), nullable=False),
    sa.Column('confidential', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('duplicate_radius_m', sa.Integer(), server_default=sa.text('250'), nullable=False),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.CheckConstraint('followup_days > 0 AND handling_days >= followup_days', name='category_clocks'),
    sa.ForeignKeyConstraint(['default_skpd_id'], ['skpd.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    op.create_geospatial_table('kecamatan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('generation_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['generation_id'], ['boundary_generation.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('generation_id', 'code')
    )
    op.create_geospatial_index('idx_kecamatan_geom', 'kecamatan', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_table('service_area',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('skpd_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('priority', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('area_m2', sa.Float(), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['skpd_id'], ['skpd.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_geospatial_index('idx_service_area_geom', 'service_area', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_table('kelurahan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('generation_id', sa.Integer(), nullable=False),
    sa.Column('kecamatan_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('area_km2', sa.Float(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['generation_id'], ['boundary_generation.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['kecamatan_id'], ['kecamatan.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('generation_id', 'code')
    )
    op.create_geospatial_index('idx_kelurahan_geom', 'kelurahan', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_table('service_area_category',
    sa.Column('service_area_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_area_id'], ['service_area.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_area_id', 'category_id')
    )
    op.create_index(op.f('ix_service_area_category_category_id'), 'service_area_category', ['category_id'], unique=False)
    op.create_geospatial_table('complaint',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('tracking_code', sa.String(length=32), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('geom_m', Geometry(geometry_type='POINT', srid=METRIC_SRID, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed(f'ST_Transform(geom, {METRIC_SRID})', persisted=True), nullable=True),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('channel', sa.String(length=20), server_default=sa.text("'web'"), nullable=False),
    sa.Column('status', sa.String(length=20), server_default=sa.text("'new'"), nullable=False),
    sa.Column('public', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('anonymous', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('reporter_id', sa.BigInteger(), nullable=True),
    sa.Column('generation_id', sa.Integer(), nullable=False),
    sa.Column('kelurahan_id', sa.Integer(), nullable=False),
    sa.Column('kecamatan_id', sa.Integer(), nullable=True),
    sa.Column('service_area_id', sa.Integer(), nullable=True),
    sa.Column('skpd_id', sa.Integer(), nullable=False),
    sa.Column('routing', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('routing_flags', postgresql.ARRAY(sa.String(length=20)), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('followup_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('handling_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('followed_up_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duplicate_of_id', sa.BigInteger(), nullable=True),
    sa.Column('supporters', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('idempotency_key', sa.String(length=100), nullable=True),
    sa.Column('external_id', sa.String(length=100), nullable=True),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.CheckConstraint("status IN ('new','verified','in_progress','resolved','closed','rejected','duplicate')", name='complaint_status'),
    sa.CheckConstraint('char_length(description) BETWEEN 1 AND 5000', name='complaint_description'),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], ),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['complaint.id'], ),
    sa.ForeignKeyConstraint(['generation_id'], ['boundary_generation.id'], ),
    sa.ForeignKeyConstraint(['kecamatan_id'], ['kecamatan.id'], ),
    sa.ForeignKeyConstraint(['kelurahan_id'], ['kelurahan.id'], ),
    sa.ForeignKeyConstraint(['reporter_id'], ['reporter.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['service_area_id'], ['service_area.id'], ),
    sa.ForeignKeyConstraint(['skpd_id'], ['skpd.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key'),
    sa.UniqueConstraint('tracking_code')
    )
    op.create_index('complaint_created_at', 'complaint', ['created_at'], unique=False)
    op.create_index('complaint_open_due', 'complaint', ['skpd_id', 'handling_due_at'], unique=False, postgresql_where=sa.text("status IN ('new','verified','in_progress')"))
    op.create_geospatial_index('idx_complaint_geom', 'complaint', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_index('idx_complaint_geom_m', 'complaint', ['geom_m'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_complaint_category_id'), 'complaint', ['category_id'], unique=False)
    op.create_index(op.f('ix_complaint_kelurahan_id'), 'complaint', ['kelurahan_id'], unique=False)
    op.create_index(op.f('ix_complaint_skpd_id'), 'complaint', ['skpd_id'], unique=False)
    op.create_index(op.f('ix_complaint_status'), 'complaint', ['status'], unique=False)
    op.create_geospatial_table('kelurahan_piece',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('kelurahan_id', sa.Integer(), nullable=False),
    sa.Column('generation_id', sa.Integer(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.ForeignKeyConstraint(['generation_id'], ['boundary_generation.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['kelurahan_id'], ['kelurahan.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_geospatial_index('idx_kelurahan_piece_geom', 'kelurahan_piece', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_kelurahan_piece_kelurahan_id'), 'kelurahan_piece', ['kelurahan_id'], unique=False)
    op.create_geospatial_table('complaint_event',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('complaint_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('public', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_geospatial_index('idx_complaint_event_geom', 'complaint_event', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_complaint_event_complaint_id'), 'complaint_event', ['complaint_id'], unique=False)
    op.create_table('attachment',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('complaint_id', sa.BigInteger(), nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), server_default=sa.text("'report'"), nullable=False),
    sa.Column('public', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['complaint_event.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_attachment_complaint_id'), 'attachment', ['complaint_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_attachment_complaint_id'), table_name='attachment')
    op.drop_table('attachment')
    op.drop_index(op.f('ix_complaint_event_complaint_id'), table_name='complaint_event')
    op.drop_geospatial_index('idx_complaint_event_geom', table_name='complaint_event', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('complaint_event')
    op.drop_index(op.f('ix_kelurahan_piece_kelurahan_id'), table_name='kelurahan_piece')
    op.drop_geospatial_index('idx_kelurahan_piece_geom', table_name='kelurahan_piece', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('kelurahan_piece')
    op.drop_index(op.f('ix_complaint_status'), table_name='complaint')
    op.drop_index(op.f('ix_complaint_skpd_id'), table_name='complaint')
    op.drop_index(op.f('ix_complaint_kelurahan_id'), table_name='complaint')
    op.drop_index(op.f('ix_complaint_category_id'), table_name='complaint')
    op.drop_geospatial_index('idx_complaint_geom_m', table_name='complaint', postgresql_using='gist', column_name='geom_m')
    op.drop_geospatial_index('idx_complaint_geom', table_name='complaint', postgresql_using='gist', column_name='geom')
    op.drop_index('complaint_open_due', table_name='complaint', postgresql_where=sa.text("status IN ('new','verified','in_progress')"))
    op.drop_index('complaint_created_at', table_name='complaint')
    op.drop_geospatial_table('complaint')
    op.drop_index(op.f('ix_service_area_category_category_id'), table_name='service_area_category')
    op.drop_table('service_area_category')
    op.drop_geospatial_index('idx_kelurahan_geom', table_name='kelurahan', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('kelurahan')
    op.drop_geospatial_index('idx_service_area_geom', table_name='service_area', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('service_area')
    op.drop_geospatial_index('idx_kecamatan_geom', table_name='kecamatan', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('kecamatan')
    op.drop_table('category')
    op.drop_table('app_user')
    op.drop_table('skpd')
    op.drop_table('reporter')
    op.drop_table('day_off')
    op.drop_index('boundary_generation_one_active', table_name='boundary_generation', postgresql_where=sa.text('active'))
    op.drop_table('boundary_generation')
    op.drop_index(op.f('ix_api_client_key_prefix'), table_name='api_client')
    op.drop_table('api_client')
