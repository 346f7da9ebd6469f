"""a QR login keeps where its coarse place is (the GeoIP city's centre and accuracy radius),
so the phone can be told how far the computer is, and the place's name in Chinese

Revision ID: 0021
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = ("place_latitude", "place_longitude", "place_radius_km")


def upgrade() -> None:
    # Logins started before have no area: their phones are told no distance.
    with op.batch_alter_table("qr_logins", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.add_column(sa.Column(column, sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("place_names", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("qr_logins", schema=None) as batch_op:
        batch_op.drop_column("place_names")
        for column in reversed(COLUMNS):
            batch_op.drop_column(column)
