"""consent ledger and operation log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 23:58:22.102490
"""

import sqlalchemy as sa
from alembic import op

import gateway.core.store.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('policy_versions',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('effective_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('published_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('published_by', sa.String(length=32), nullable=True),
    sa.Column('text_hash', sa.String(length=64), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_policy_versions')),
    sa.UniqueConstraint('version', name=op.f('uq_policy_versions_version'))
    )
    op.create_table('policy_changes',
    sa.Column('policy_seq', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=96), nullable=False),
    sa.ForeignKeyConstraint(['policy_seq'], ['policy_versions.seq'], name=op.f('fk_policy_changes_policy_seq_policy_versions')),
    sa.PrimaryKeyConstraint('policy_seq', 'purpose', name=op.f('pk_policy_changes'))
    )
    with op.batch_alter_table('policy_changes', schema=None) as batch_op:
        batch_op.create_index('ix_policy_changes_purpose', ['purpose', 'policy_seq'], unique=False)

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
    sa.Column('client_time', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.Column('server_time', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('subject_digest', sa.String(length=64), nullable=False),
    sa.Column('redacted_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_consent_events')),
    sa.UniqueConstraint('id', name=op.f('uq_consent_events_id'))
    )
    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.create_index('ix_consent_events_subject', ['user_id', 'device_id', 'purpose', 'seq'], unique=False)

    op.create_table('consent_chain_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('events', sa.BigInteger(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.Column('updated_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_chain_head'))
    )
    op.create_table('notices_served',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('device_id', sa.String(length=32), nullable=False),
    sa.Column('purpose', sa.String(length=96), nullable=True),
    sa.Column('policy_version', sa.String(length=32), nullable=False),
    sa.Column('notice_hash', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('served_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices_served'))
    )
    with op.batch_alter_table('notices_served', schema=None) as batch_op:
        batch_op.create_index('ix_notices_served_device', ['device_id', 'purpose', 'policy_version'], unique=False)
        batch_op.create_index(batch_op.f('ix_notices_served_user_id'), ['user_id'], unique=False)

    op.create_table('policy_acknowledgements',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('device_id', sa.String(length=32), nullable=False),
    sa.Column('policy_version', sa.String(length=32), nullable=False),
    sa.Column('acknowledged_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_acknowledgements'))
    )
    with op.batch_alter_table('policy_acknowledgements', schema=None) as batch_op:
        batch_op.create_index('ix_policy_acknowledgements_user', ['user_id', 'policy_version'], unique=False)

    op.create_table('operations',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', gateway.core.store.types.UTCDateTime(), nullable=False),
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


def downgrade() -> None:
    with op.batch_alter_table('operations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_operations_at'))
        batch_op.drop_index('ix_operations_actor')

    op.drop_table('operations')
    with op.batch_alter_table('policy_acknowledgements', schema=None) as batch_op:
        batch_op.drop_index('ix_policy_acknowledgements_user')

    op.drop_table('policy_acknowledgements')
    with op.batch_alter_table('notices_served', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notices_served_user_id'))
        batch_op.drop_index('ix_notices_served_device')

    op.drop_table('notices_served')
    op.drop_table('consent_chain_head')
    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_events_subject')

    op.drop_table('consent_events')
    with op.batch_alter_table('policy_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_policy_changes_purpose')

    op.drop_table('policy_changes')
    op.drop_table('policy_versions')
