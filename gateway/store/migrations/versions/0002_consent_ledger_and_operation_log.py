"""consent ledger and operation log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 23:58:22.102490
"""

import sqlalchemy as sa
from alembic import op

import gateway.store.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consent_events',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('device_id', sa.String(length=32), nullable=False),
    sa.Column('purpose', sa.String(length=96), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('policy_version', sa.String(length=32), nullable=False),
    sa.Column('notice_hash', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('method', sa.String(length=24), nullable=False),
    sa.Column('os_permission', sa.String(length=24), nullable=True),
    sa.Column('app_version', sa.String(length=64), nullable=True),
    sa.Column('client_time', gateway.store.types.UTCDateTime(), nullable=True),
    sa.Column('server_time', gateway.store.types.UTCDateTime(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_consent_events')),
    sa.UniqueConstraint('id', name=op.f('uq_consent_events_id'))
    )
    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.create_index('ix_consent_events_subject', ['user_id', 'device_id', 'purpose', 'seq'], unique=False)

    op.create_table('notices_served',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('device_id', sa.String(length=32), nullable=False),
    sa.Column('purpose', sa.String(length=96), nullable=True),
    sa.Column('policy_version', sa.String(length=32), nullable=False),
    sa.Column('notice_hash', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('served_at', gateway.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices_served'))
    )
    with op.batch_alter_table('notices_served', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_served_user_id'), ['user_id'], unique=False)

    op.create_table('operations',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', gateway.store.types.UTCDateTime(), nullable=False),
    sa.Column('actor', sa.String(length=32), nullable=True),
    sa.Column('device_id', sa.String(length=32), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=128), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_operations'))
    )
    with op.batch_alter_table('operations', schema=None) as batch_op:
        batch_op.create_index('ix_operations_actor', ['actor', 'seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_operations_at'), ['at'], unique=False)

    op.create_table('policy_versions',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('text_hash', sa.String(length=64), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('effective_at', gateway.store.types.UTCDateTime(), nullable=False),
    sa.Column('published_at', gateway.store.types.UTCDateTime(), nullable=False),
    sa.Column('published_by', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_policy_versions')),
    sa.UniqueConstraint('version', name=op.f('uq_policy_versions_version'))
    )


def downgrade() -> None:
    op.drop_table('policy_versions')
    with op.batch_alter_table('operations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operations_at'))
        batch_op.drop_index('ix_operations_actor')

    op.drop_table('operations')
    with op.batch_alter_table('notices_served', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notices_served_user_id'))

    op.drop_table('notices_served')
    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_events_subject')

    op.drop_table('consent_events')
