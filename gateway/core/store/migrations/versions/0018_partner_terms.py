"""partner consent covers one recipient, one purpose and exact fields

Revision ID: 0018
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Partners configured before have no recipient or purpose: nothing is shared with them
    # until the operator says both (and the users consent to those terms).
    with op.batch_alter_table("partner_configs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recipient", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("contact", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("purpose", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("partner_configs", schema=None) as batch_op:
        batch_op.drop_column("purpose")
        batch_op.drop_column("contact")
        batch_op.drop_column("recipient")
