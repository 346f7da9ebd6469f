"""report previews

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-29 00:05:35.196792
"""

import sqlalchemy as sa
from alembic import op

import gateway.core.store.types

revision = '0005'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reports',
    sa.Column('id', sa.String(length=128), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('owner_id', sa.String(length=32), nullable=True),
    sa.Column('content_kind', sa.String(length=16), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('generated_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('registered_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_reports_owner_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_owner_id'), ['owner_id'], unique=False)

    op.create_table('preview_grants',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('report_id', sa.String(length=128), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('device_id', sa.String(length=32), nullable=False),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('created_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=32), nullable=True),
    sa.Column('revoked_reason', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_preview_grants_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_preview_grants_report_id_reports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_preview_grants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_preview_grants'))
    )
    with op.batch_alter_table('preview_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_preview_grants_device_id'), ['device_id'], unique=False)
        batch_op.create_index('ix_preview_grants_report', ['report_id', 'expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_preview_grants_user_id'), ['user_id'], unique=False)

    op.create_table('preview_links',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('report_id', sa.String(length=128), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=False),
    sa.Column('created_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_preview_links_created_by_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_preview_links_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_preview_links'))
    )
    with op.batch_alter_table('preview_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_preview_links_code_hash'), ['code_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_preview_links_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_preview_links_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_preview_links_report_id'), ['report_id'], unique=False)

    op.create_table('report_snapshots',
    sa.Column('report_id', sa.String(length=128), nullable=False),
    sa.Column('media_type', sa.String(length=16), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_snapshots_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', name=op.f('pk_report_snapshots'))
    )
    op.create_table('report_viewer_groups',
    sa.Column('report_id', sa.String(length=128), nullable=False),
    sa.Column('group_name', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_viewer_groups_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'group_name', name=op.f('pk_report_viewer_groups'))
    )
    with op.batch_alter_table('report_viewer_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_viewer_groups_group_name'), ['group_name'], unique=False)

    op.create_table('report_viewer_users',
    sa.Column('report_id', sa.String(length=128), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_viewer_users_report_id_reports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_report_viewer_users_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'user_id', name=op.f('pk_report_viewer_users'))
    )
    with op.batch_alter_table('report_viewer_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_viewer_users_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('report_viewer_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_viewer_users_user_id'))

    op.drop_table('report_viewer_users')
    with op.batch_alter_table('report_viewer_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_viewer_groups_group_name'))

    op.drop_table('report_viewer_groups')
    op.drop_table('report_snapshots')
    with op.batch_alter_table('preview_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_preview_links_report_id'))
        batch_op.drop_index(batch_op.f('ix_preview_links_expires_at'))
        batch_op.drop_index(batch_op.f('ix_preview_links_created_by'))
        batch_op.drop_index(batch_op.f('ix_preview_links_code_hash'))

    op.drop_table('preview_links')
    with op.batch_alter_table('preview_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_preview_grants_user_id'))
        batch_op.drop_index('ix_preview_grants_report')
        batch_op.drop_index(batch_op.f('ix_preview_grants_device_id'))

    op.drop_table('preview_grants')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_owner_id'))

    op.drop_table('reports')
