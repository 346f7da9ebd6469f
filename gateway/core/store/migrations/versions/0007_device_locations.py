"""device locations (with location consent only), deleted accounts, partner sharing

Revision ID: 0007
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import gateway.core.store.types

revision = "0007"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "device_locations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("device_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("reported_at", gateway.core.store.types.UTCDateTime(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("precision", sa.String(length=16), nullable=True),
        sa.Column("wifi_bssid", sa.String(length=32), nullable=True),
        sa.Column("wifi_ssid", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"],
                                name=op.f("fk_device_locations_device_id_devices"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_device_locations_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_locations")),
    )
    for column in ("device_id", "user_id", "reported_at"):
        op.create_index(op.f(f"ix_device_locations_{column}"), "device_locations", [column])
    op.create_table(
        "deleted_accounts",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("deleted_at", gateway.core.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_deleted_accounts")),
    )
    op.create_index(op.f("ix_deleted_accounts_deleted_at"), "deleted_accounts", ["deleted_at"])
    op.create_table(
        "partner_configs",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("webhook_url", sa.String(length=512), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("updated_at", gateway.core.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_partner_configs")),
    )
    op.create_table(
        "disclosures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=128), nullable=False),
        sa.Column("sent_at", gateway.core.store.types.UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_disclosures_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosures")),
    )
    op.create_index(op.f("ix_disclosures_user_id"), "disclosures", ["user_id"])


def downgrade() -> None:
    op.drop_table("disclosures")
    op.drop_table("partner_configs")
    op.drop_table("deleted_accounts")
    op.drop_table("device_locations")
