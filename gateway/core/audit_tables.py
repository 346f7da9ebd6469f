"""The operation log: who did what, hash-chained like the consent ledger."""

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String, Table

from gateway.core.store.metadata import metadata
from gateway.core.store.types import UTCDateTime

operations = Table(
    "operations",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("actor", String(32)),  # a user id; None for the gateway itself
    Column("device_id", String(32)),
    Column("action", String(64), nullable=False),
    Column("subject", String(128)),
    Column("details", JSON, nullable=False),
    Column("ip", String(64)),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_operations_actor", "actor", "seq"),
)
