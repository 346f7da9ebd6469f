"""devices remember the language their phone's pages and answers were negotiated in

Revision ID: 0024
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Phones signed in before learn it when next seen (a refresh or a report).
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reads_in", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("reads_in")
