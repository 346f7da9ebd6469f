"""web push

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-29 00:09:36.831761
"""

import sqlalchemy as sa
from alembic import op

import gateway.core.store.types

revision = '0006'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('push_alerts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('origin', sa.String(length=255), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('first_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('last_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('resolved_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.Column('resolved_by', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_alerts'))
    )
    with op.batch_alter_table('push_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_push_alerts_open', ['kind', 'origin', 'resolved_at'], unique=False)

    op.create_table('push_config',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_push_config'))
    )
    op.create_table('push_delivery_stats',
    sa.Column('minute', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('origin', sa.String(length=255), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('count', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.PrimaryKeyConstraint('minute', 'origin', 'outcome', name=op.f('pk_push_delivery_stats'))
    )
    op.create_table('push_latency_stats',
    sa.Column('origin', sa.String(length=255), nullable=False),
    sa.Column('bucket', sa.String(length=16), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('origin', 'bucket', name=op.f('pk_push_latency_stats'))
    )
    op.create_table('push_notifications',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('sender_kind', sa.String(length=16), nullable=False),
    sa.Column('sender_id', sa.String(length=32), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('collapse_key', sa.String(length=32), nullable=True),
    sa.Column('ttl', sa.Integer(), nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('send_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('created_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('expanded_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.Column('expanded_cursor', sa.String(length=32), nullable=True),
    sa.Column('recipients', sa.Integer(), nullable=True),
    sa.Column('skipped', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_notifications')),
    sa.UniqueConstraint('sender_id', 'idempotency_key', name='uq_push_notifications_idempotency')
    )
    with op.batch_alter_table('push_notifications', schema=None) as batch_op:
        batch_op.create_index('ix_push_notifications_created', ['created_at'], unique=False)
        batch_op.create_index('ix_push_notifications_pending', ['expanded_at', 'send_at'], unique=False)

    op.create_table('push_origins',
    sa.Column('origin', sa.String(length=255), nullable=False),
    sa.Column('prune_paused_until', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('origin', name=op.f('pk_push_origins'))
    )
    op.create_table('push_topics',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=128), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('ttl', sa.Integer(), nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('created_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_push_topics'))
    )
    op.create_table('push_vapid_keys',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('public_key', sa.String(length=100), nullable=False),
    sa.Column('private_key', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('retired_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_push_vapid_keys'))
    )
    op.create_table('push_quiet_hours',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('starts', sa.String(length=5), nullable=False),
    sa.Column('ends', sa.String(length=5), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('updated_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_push_quiet_hours_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_push_quiet_hours'))
    )
    op.create_table('push_topic_opt_outs',
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('created_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['topic'], ['push_topics.name'], name=op.f('fk_push_topic_opt_outs_topic_push_topics'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_push_topic_opt_outs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'topic', name=op.f('pk_push_topic_opt_outs'))
    )
    op.create_table('push_subscriptions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('device_id', sa.String(length=32), nullable=False),
    sa.Column('family_id', sa.String(length=32), nullable=True),
    sa.Column('endpoint', sa.Text(), nullable=False),
    sa.Column('endpoint_hash', sa.String(length=64), nullable=False),
    sa.Column('origin', sa.String(length=255), nullable=False),
    sa.Column('p256dh', sa.String(length=100), nullable=False),
    sa.Column('auth', sa.String(length=32), nullable=False),
    sa.Column('vapid_kid', sa.String(length=64), nullable=False),
    sa.Column('created_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('last_delivered_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_push_subscriptions_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_push_subscriptions_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vapid_kid'], ['push_vapid_keys.kid'], name=op.f('fk_push_subscriptions_vapid_kid_push_vapid_keys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscriptions')),
    sa.UniqueConstraint('device_id', name=op.f('uq_push_subscriptions_device_id')),
    sa.UniqueConstraint('endpoint_hash', name=op.f('uq_push_subscriptions_endpoint_hash'))
    )
    with op.batch_alter_table('push_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_subscriptions_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_push_subscriptions_vapid_kid'), ['vapid_kid'], unique=False)

    op.create_table('push_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('notification_id', sa.String(length=32), nullable=False),
    sa.Column('subscription_id', sa.String(length=32), nullable=True),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('device_id', sa.String(length=32), nullable=False),
    sa.Column('origin', sa.String(length=255), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('trimmed', sa.Boolean(), nullable=False),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('updated_at', gateway.core.store.types.UTCDateTime(), nullable=False),
    sa.Column('delivered_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.Column('displayed_at', gateway.core.store.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_push_deliveries_device_id_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notification_id'], ['push_notifications.id'], name=op.f('fk_push_deliveries_notification_id_push_notifications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subscription_id'], ['push_subscriptions.id'], name=op.f('fk_push_deliveries_subscription_id_push_subscriptions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_push_deliveries_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_deliveries'))
    )
    with op.batch_alter_table('push_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_deliveries_device_id'), ['device_id'], unique=False)
        batch_op.create_index('ix_push_deliveries_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_push_deliveries_notification', ['notification_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_push_deliveries_subscription_id'), ['subscription_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('push_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_deliveries_subscription_id'))
        batch_op.drop_index('ix_push_deliveries_notification')
        batch_op.drop_index('ix_push_deliveries_due')
        batch_op.drop_index(batch_op.f('ix_push_deliveries_device_id'))

    op.drop_table('push_deliveries')
    with op.batch_alter_table('push_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_subscriptions_vapid_kid'))
        batch_op.drop_index(batch_op.f('ix_push_subscriptions_user_id'))

    op.drop_table('push_subscriptions')
    op.drop_table('push_topic_opt_outs')
    op.drop_table('push_quiet_hours')
    op.drop_table('push_vapid_keys')
    op.drop_table('push_topics')
    op.drop_table('push_origins')
    with op.batch_alter_table('push_notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_push_notifications_pending')
        batch_op.drop_index('ix_push_notifications_created')

    op.drop_table('push_notifications')
    op.drop_table('push_latency_stats')
    op.drop_table('push_delivery_stats')
    op.drop_table('push_config')
    with op.batch_alter_table('push_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_push_alerts_open')

    op.drop_table('push_alerts')
