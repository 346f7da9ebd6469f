"""the companion's in-app inbox, and the channel of each delivery row

Revision ID: 0022
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

import gateway.core.store.types

revision = "0022"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "push_inbox_messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True,
                  nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("notification_id", sa.String(length=32), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("created_at", gateway.core.store.types.UTCDateTime(), nullable=False),
        sa.Column("read_at", gateway.core.store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_push_inbox_messages_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_inbox_messages")),
    )
    op.create_index("ix_push_inbox_messages_user", "push_inbox_messages", ["user_id", "id"])
    op.create_index("ix_push_inbox_messages_notification", "push_inbox_messages",
                    ["notification_id"])
    op.create_index("ix_push_inbox_messages_created", "push_inbox_messages", ["created_at"])
    with op.batch_alter_table("push_deliveries") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=8), nullable=False,
                                   server_default="webpush"))


def downgrade() -> None:
    with op.batch_alter_table("push_deliveries") as batch:
        batch.drop_column("channel")
    op.drop_index("ix_push_inbox_messages_created", table_name="push_inbox_messages")
    op.drop_index("ix_push_inbox_messages_notification", table_name="push_inbox_messages")
    op.drop_index("ix_push_inbox_messages_user", table_name="push_inbox_messages")
    op.drop_table("push_inbox_messages")
