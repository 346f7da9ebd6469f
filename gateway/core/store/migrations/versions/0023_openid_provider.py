"""the OpenID Provider: registered clients, waiting authorization requests, codes, tokens

Revision ID: 0023
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

from gateway.core.store.types import UTCDateTime

revision = "0023"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oidc_clients",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=True),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("logout_uris", sa.JSON(), nullable=False),
        sa.Column("backchannel_uri", sa.Text(), nullable=True),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_clients")),
        sa.UniqueConstraint("name", name=op.f("uq_oidc_clients_name")),
    )
    op.create_table(
        "oidc_requests",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("login_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["oidc_clients.id"], ondelete="CASCADE",
                                name=op.f("fk_oidc_requests_client_id_oidc_clients")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_requests")),
    )
    op.create_index(op.f("ix_oidc_requests_expires_at"), "oidc_requests", ["expires_at"])
    op.create_index(op.f("ix_oidc_requests_login_id"), "oidc_requests", ["login_id"])
    op.create_table(
        "oidc_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("nonce", sa.String(length=256), nullable=True),
        sa.Column("code_challenge", sa.String(length=128), nullable=True),
        sa.Column("code_challenge_method", sa.String(length=8), nullable=True),
        sa.Column("auth_time", sa.Integer(), nullable=False),
        sa.Column("amr", sa.JSON(), nullable=False),
        sa.Column("acr", sa.String(length=64), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["oidc_clients.id"], ondelete="CASCADE",
                                name=op.f("fk_oidc_codes_client_id_oidc_clients")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_oidc_codes_user_id_users")),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_oidc_codes")),
    )
    op.create_index(op.f("ix_oidc_codes_expires_at"), "oidc_codes", ["expires_at"])
    op.create_table(
        "oidc_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("auth_time", sa.Integer(), nullable=False),
        sa.Column("amr", sa.JSON(), nullable=False),
        sa.Column("acr", sa.String(length=64), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["oidc_clients.id"], ondelete="CASCADE",
                                name=op.f("fk_oidc_tokens_client_id_oidc_clients")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_oidc_tokens_user_id_users")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_oidc_tokens")),
    )
    op.create_index(op.f("ix_oidc_tokens_code_hash"), "oidc_tokens", ["code_hash"])
    op.create_index(op.f("ix_oidc_tokens_expires_at"), "oidc_tokens", ["expires_at"])
    op.create_index("ix_oidc_tokens_session", "oidc_tokens", ["session_hash"])
    op.create_index("ix_oidc_tokens_user", "oidc_tokens", ["user_id"])


def downgrade() -> None:
    op.drop_table("oidc_tokens")
    op.drop_table("oidc_codes")
    op.drop_table("oidc_requests")
    op.drop_table("oidc_clients")
