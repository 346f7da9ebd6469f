"""browser sessions keep the hash of their CSRF token, not the token

Revision ID: 0011
Revises: 0002
"""

import hashlib
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

import gateway.core.store.types

revision = "0011"
down_revision = "0002"
branch_labels = None
depends_on = None


def _sessions(column: str) -> sa.TableClause:
    return sa.table("web_sessions", sa.column("id_hash", sa.String()),
                    sa.column(column, sa.String()),
                    sa.column("revoked_at", gateway.core.store.types.UTCDateTime()))


def _end_live_sessions(table: sa.TableClause) -> None:
    # A session's CSRF token is now derived from its id, which the store never had: the
    # tokens of sessions opened before cannot be told again, so those browsers sign in anew.
    # (Migrations run outside the gateway, without its clock.)
    op.get_bind().execute(sa.update(table).where(table.c.revoked_at.is_(None))
                          .values(revoked_at=datetime.now(timezone.utc)))


def upgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.alter_column("csrf_token", new_column_name="csrf_hash",
                              existing_type=sa.String(length=64), existing_nullable=False)
    table, connection = _sessions("csrf_hash"), op.get_bind()
    rows = connection.execute(sa.select(table.c.id_hash, table.c.csrf_hash)).all()
    for id_hash, token in rows:
        connection.execute(sa.update(table).where(table.c.id_hash == id_hash).values(
            csrf_hash=hashlib.sha256(token.encode("utf-8")).hexdigest()))
    _end_live_sessions(table)


def downgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.alter_column("csrf_hash", new_column_name="csrf_token",
                              existing_type=sa.String(length=64), existing_nullable=False)
    # The column holds hashes, which the older code would take for tokens.
    _end_live_sessions(_sessions("csrf_token"))
