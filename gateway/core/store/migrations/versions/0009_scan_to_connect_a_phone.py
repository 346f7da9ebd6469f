"""scan to connect a phone

Revision ID: 0009
Revises: 0002
Create Date: 2026-11-29 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import gateway.core.store.types

revision = '0009'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('enrollments',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('session_hash', sa.String(length=64), nullable=False),
    sa.Column('code_lookup', sa.String(length=8), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('code_failures', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=32), nullable=True),
    sa.Column('device', sa.JSON(), nullable=True),
    sa.Column('network', sa.String(length=64), nullable=True),
    sa.Column('place', sa.String(length=128), nullable=True),
    sa.Column('via', sa.String(length=16), nullable=True),
    sa.Column('claim_hash', sa.String(length=64), nullable=True),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('choices', sa.JSON(), nullable=True),
    sa.Column('claimed_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.Column('decided_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.Column('deny_reason', sa.String(length=32), nullable=True),
    sa.Column('collected_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_enrollments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrollments'))
    )
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.create_index('ix_enrollments_code_lookup', ['code_lookup', 'state'], unique=False)
        batch_op.create_index('ix_enrollments_expires_at', ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_enrollments_user_id'), ['user_id'], unique=False)

    op.create_table('enrollment_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('flow_id', sa.String(length=32), nullable=False),
    sa.Column('rotation', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['flow_id'], ['enrollments.id'], name=op.f('fk_enrollment_tokens_flow_id_enrollments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_enrollment_tokens'))
    )
    with op.batch_alter_table('enrollment_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrollment_tokens_flow_id'), ['flow_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('enrollment_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrollment_tokens_flow_id'))

    op.drop_table('enrollment_tokens')
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrollments_user_id'))
        batch_op.drop_index('ix_enrollments_expires_at')
        batch_op.drop_index('ix_enrollments_code_lookup')

    op.drop_table('enrollments')
