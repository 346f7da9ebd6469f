"""push deliveries keep their subscription and device ids without foreign keys or indexes

Revision ID: 0025
Revises: 0022
"""

from alembic import op

revision = "0025"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Both keys are random: their indexes made every delivery an insert at a random place,
    # and a fan-out's cost grew with the table (see gateway.push.tables).
    with op.batch_alter_table("push_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_push_deliveries_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_push_deliveries_device_id"))
        batch_op.drop_constraint("fk_push_deliveries_subscription_id_push_subscriptions",
                                 type_="foreignkey")
        batch_op.drop_constraint("fk_push_deliveries_device_id_devices", type_="foreignkey")


def downgrade() -> None:
    # What the foreign keys' actions would have done meanwhile: rows of removed
    # subscriptions lose the id, rows of removed devices go.
    op.execute("UPDATE push_deliveries SET subscription_id = NULL WHERE subscription_id "
               "NOT IN (SELECT id FROM push_subscriptions)")
    op.execute("DELETE FROM push_deliveries WHERE device_id NOT IN (SELECT id FROM devices)")
    with op.batch_alter_table("push_deliveries", schema=None) as batch_op:
        batch_op.create_foreign_key("fk_push_deliveries_device_id_devices", "devices",
                                    ["device_id"], ["id"], ondelete="CASCADE")
        batch_op.create_foreign_key("fk_push_deliveries_subscription_id_push_subscriptions",
                                    "push_subscriptions", ["subscription_id"], ["id"],
                                    ondelete="SET NULL")
        batch_op.create_index(batch_op.f("ix_push_deliveries_device_id"), ["device_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_push_deliveries_subscription_id"),
                              ["subscription_id"], unique=False)
