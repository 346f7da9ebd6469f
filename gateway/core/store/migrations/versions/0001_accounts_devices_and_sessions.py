"""accounts, devices and sessions

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 23:54:18.835478
"""

import sqlalchemy as sa
from alembic import op

import gateway.core.store.types

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('groups',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('created_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_groups'))
    )
    op.create_table('users',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=128), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('must_change_password', sa.Boolean(), nullable=False),
    sa.Column('created_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('disabled_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('devices',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('app_device_id', sa.String(length=128), nullable=False),
    sa.Column('model', sa.String(length=128), nullable=False),
    sa.Column('os', sa.String(length=64), nullable=False),
    sa.Column('os_version', sa.String(length=64), nullable=False),
    sa.Column('app_version', sa.String(length=64), nullable=False),
    sa.Column('public_key', sa.Text(), nullable=True),
    sa.Column('created_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('last_ip', sa.String(length=64), nullable=True),
    sa.Column('revoked_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_devices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('user_id', 'app_device_id', name='uq_devices_user_app_device')
    )
    op.create_table('memberships',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('group_name', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['group_name'], ['groups.name'], name=op.f('fk_memberships_group_name_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'group_name', name=op.f('pk_memberships'))
    )
    op.create_table('web_sessions',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('created_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_web_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_web_sessions'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('token_families',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('device_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.Column('revoked_reason', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_token_families_device_id_devices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_token_families'))
    )
    with op.batch_alter_table('token_families', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_token_families_device_id'), ['device_id'], unique=False)

    op.create_table('refresh_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('family_id', sa.String(length=32), nullable=False),
    sa.Column('issued_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('used_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['family_id'], ['token_families.id'], name=op.f('fk_refresh_tokens_family_id_token_families'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_refresh_tokens'))
    )
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.create_index('ix_refresh_tokens_family', ['family_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.drop_index('ix_refresh_tokens_family')

    op.drop_table('refresh_tokens')
    with op.batch_alter_table('token_families', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_token_families_device_id'))

    op.drop_table('token_families')
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_user_id'))

    op.drop_table('web_sessions')
    op.drop_table('memberships')
    op.drop_table('devices')
    op.drop_table('users')
    op.drop_table('groups')
