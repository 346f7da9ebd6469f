"""a policy version carries its text and summary in Chinese and English

Revision ID: 0020
Revises: 0019
"""

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

SEPARATOR = "\n\n---\n\n"  # how the first agreement joined its Chinese and English


def _split(text: str, summary: str) -> dict[str, tuple[str, str]]:
    # The first agreement was one document, Chinese then English, with its summaries
    # joined by " · ": each language gets its half. Any other text is given to both.
    parts, summaries = text.split(SEPARATOR), summary.split(" · ")
    if len(parts) == 2 and len(summaries) == 2:
        return {"zh": (summaries[0], parts[0]), "en": (summaries[1], parts[1])}
    return {"zh": (summary, text), "en": (summary, text)}


def upgrade() -> None:
    texts = op.create_table(
        "policy_texts",
        sa.Column("policy_seq", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["policy_seq"], ["policy_versions.seq"],
                                name=op.f("fk_policy_texts_policy_seq_policy_versions")),
        sa.PrimaryKeyConstraint("policy_seq", "language", name=op.f("pk_policy_texts")),
    )
    versions = op.get_bind().execute(sa.text("SELECT seq, summary, text FROM policy_versions"))
    rows = [{"policy_seq": row.seq, "language": language, "summary": summary, "text": text,
             "text_hash": hashlib.sha256(text.encode("utf-8")).hexdigest()}
            for row in versions
            for language, (summary, text) in _split(row.text, row.summary).items()]
    if rows:
        op.bulk_insert(texts, rows)


def downgrade() -> None:
    op.drop_table("policy_texts")
