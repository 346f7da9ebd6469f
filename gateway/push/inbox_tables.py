"""The in-app inbox's table: every notification addressed to a user, kept for the user to
read in the companion whether or not any push service reached a device."""

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text

from gateway.core.store.metadata import metadata
from gateway.core.store.types import UTCDateTime

_BIGINT = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER only

inbox_messages = Table(
    "push_inbox_messages",
    metadata,
    # Grows in insertion order: the companion's event stream resumes after it
    # (Last-Event-ID), and the list pages by it.
    Column("id", _BIGINT, primary_key=True, autoincrement=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # No foreign key: a message outlives its notification's delivery history when the
    # inbox is kept longer, so it carries its own copy of what it says.
    Column("notification_id", String(32), nullable=False),
    Column("topic", String(64)),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("url", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("read_at", UTCDateTime),  # per user: read on one device is read on all
    Index("ix_push_inbox_messages_user", "user_id", "id"),
    Index("ix_push_inbox_messages_notification", "notification_id"),
    Index("ix_push_inbox_messages_created", "created_at"),
)
