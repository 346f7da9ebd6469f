"""scan to log in

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-29 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import gateway.core.store.types

revision = '0004'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('qr_logins',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('browser_hash', sa.String(length=64), nullable=False),
    sa.Column('csrf_hash', sa.String(length=64), nullable=False),
    sa.Column('code_lookup', sa.String(length=8), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('code_failures', sa.Integer(), nullable=False),
    sa.Column('browser', sa.String(length=64), nullable=False),
    sa.Column('os', sa.String(length=64), nullable=False),
    sa.Column('network', sa.String(length=64), nullable=True),
    sa.Column('place', sa.String(length=128), nullable=True),
    sa.Column('country', sa.String(length=8), nullable=True),
    sa.Column('return_url', sa.Text(), nullable=True),
    sa.Column('return_state', sa.String(length=256), nullable=True),
    sa.Column('nonce', sa.String(length=128), nullable=True),
    sa.Column('user_id', sa.String(length=32), nullable=True),
    sa.Column('device_id', sa.String(length=32), nullable=True),
    sa.Column('via', sa.String(length=16), nullable=True),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('choices', sa.JSON(), nullable=True),
    sa.Column('scanned_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.Column('decided_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.Column('deny_reason', sa.String(length=32), nullable=True),
    sa.Column('proved_by_key', sa.Boolean(), nullable=True),
    sa.Column('redeemed_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qr_logins'))
    )
    with op.batch_alter_table('qr_logins', schema=None) as batch_op:
        batch_op.create_index('ix_qr_logins_code_lookup', ['code_lookup', 'state'], unique=False)
        batch_op.create_index('ix_qr_logins_expires_at', ['expires_at'], unique=False)

    op.create_table('used_device_proofs',
    sa.Column('device_id', sa.String(length=32), nullable=False),
    sa.Column('jti', sa.String(length=128), nullable=False),
    sa.Column('used_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('device_id', 'jti', name=op.f('pk_used_device_proofs'))
    )
    with op.batch_alter_table('used_device_proofs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_device_proofs_used_at'), ['used_at'], unique=False)

    op.create_table('qr_login_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('flow_id', sa.String(length=32), nullable=False),
    sa.Column('rotation', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['flow_id'], ['qr_logins.id'], name=op.f('fk_qr_login_tokens_flow_id_qr_logins'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_qr_login_tokens'))
    )
    with op.batch_alter_table('qr_login_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qr_login_tokens_flow_id'), ['flow_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('qr_login_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qr_login_tokens_flow_id'))

    op.drop_table('qr_login_tokens')
    with op.batch_alter_table('used_device_proofs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_used_device_proofs_used_at'))

    op.drop_table('used_device_proofs')
    with op.batch_alter_table('qr_logins', schema=None) as batch_op:
        batch_op.drop_index('ix_qr_logins_expires_at')
        batch_op.drop_index('ix_qr_logins_code_lookup')

    op.drop_table('qr_logins')
