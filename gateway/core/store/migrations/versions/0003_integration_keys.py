"""integration keys

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 23:59:20.263196
"""

import sqlalchemy as sa
from alembic import op

import gateway.core.store.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('integration_keys',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('created_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=32), nullable=True),
    sa.Column('last_used_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integration_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_integration_keys_key_hash')),
    sa.UniqueConstraint('name', name=op.f('uq_integration_keys_name'))
    )


def downgrade() -> None:
    op.drop_table('integration_keys')
