"""accounts and devices remember the language their user chose

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("users", "devices"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    for table in ("users", "devices"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("language")
