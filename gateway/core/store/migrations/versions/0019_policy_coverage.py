"""what each purpose covers, recorded with every policy version (re-consent is computed)

Revision ID: 0019
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Versions published before have no coverage: the next one counts every purpose as
    # changed (asked again once), rather than guess what they covered.
    op.create_table(
        "policy_coverage",
        sa.Column("policy_seq", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=96), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["policy_seq"], ["policy_versions.seq"],
                                name=op.f("fk_policy_coverage_policy_seq_policy_versions")),
        sa.PrimaryKeyConstraint("policy_seq", "purpose", name=op.f("pk_policy_coverage")),
    )


def downgrade() -> None:
    op.drop_table("policy_coverage")
