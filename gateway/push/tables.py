"""Tables of Web Push: VAPID keys, subscriptions, topics and preferences, notifications and
their durable outbox (one delivery row per device), alerts and delivery statistics."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from gateway.core.store.metadata import metadata
from gateway.core.store.types import UTCDateTime

_BIGINT = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER only

vapid_keys = Table(
    "push_vapid_keys",
    metadata,
    Column("kid", String(64), primary_key=True),  # RFC 7638 thumbprint of the public key
    Column("public_key", String(100), nullable=False),  # applicationServerKey, base64url
    Column("private_key", Text, nullable=False),  # AES-GCM wrapped PKCS#8, never in clear
    Column("state", String(16), nullable=False),  # current, previous, retired
    Column("created_at", UTCDateTime, nullable=False),
    Column("retired_at", UTCDateTime),
)

# What the admin console may change at run time (the VAPID subject, extra push hosts).
config = Table(
    "push_config",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(32)),
)

subscriptions = Table(
    "push_subscriptions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    # One subscription per device: subscribing again replaces its endpoint and keys.
    Column("device_id", ForeignKey("devices.id", ondelete="CASCADE"), nullable=False,
           unique=True),
    Column("family_id", String(32)),  # the sign-in it was made under; signing out removes it
    Column("endpoint", Text, nullable=False),
    Column("endpoint_hash", String(64), nullable=False, unique=True),
    Column("origin", String(255), nullable=False),
    Column("p256dh", String(100), nullable=False),
    Column("auth", String(32), nullable=False),
    Column("vapid_kid", ForeignKey("push_vapid_keys.kid"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("last_delivered_at", UTCDateTime),
)

topics = Table(
    "push_topics",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("title", String(128), nullable=False),
    Column("description", Text, nullable=False),
    Column("ttl", Integer, nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

topic_opt_outs = Table(
    "push_topic_opt_outs",
    metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("topic", ForeignKey("push_topics.name", ondelete="CASCADE"), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
)

quiet_hours = Table(
    "push_quiet_hours",
    metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("starts", String(5), nullable=False),  # HH:MM local time
    Column("ends", String(5), nullable=False),
    Column("timezone", String(64), nullable=False),  # IANA name
    Column("updated_at", UTCDateTime, nullable=False),
)

notifications = Table(
    "push_notifications",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("sender_kind", String(16), nullable=False),  # admin, integration, test
    Column("sender_id", String(32), nullable=False),
    Column("idempotency_key", String(128)),
    Column("request_hash", String(64), nullable=False),
    Column("audience", JSON, nullable=False),
    Column("topic", String(64)),  # no foreign key: the history outlives a deleted topic
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("url", Text),
    Column("collapse_key", String(32)),
    Column("ttl", Integer, nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("send_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expanded_at", UTCDateTime),  # when its last delivery rows were made
    # Expansion goes through the audience in user id order, one chunk per transaction;
    # this is the last user id done, so a crashed expansion resumes where it stopped.
    Column("expanded_cursor", String(32)),
    Column("recipients", Integer),
    Column("skipped", JSON),  # counts of devices left out at expansion, by reason
    UniqueConstraint("sender_id", "idempotency_key", name="uq_push_notifications_idempotency"),
    Index("ix_push_notifications_pending", "expanded_at", "send_at"),
    Index("ix_push_notifications_created", "created_at"),
)

deliveries = Table(
    "push_deliveries",
    metadata,
    Column("id", _BIGINT, primary_key=True, autoincrement=True),
    Column("notification_id", ForeignKey("push_notifications.id", ondelete="CASCADE"),
           nullable=False),
    # The subscription and device it goes to, without foreign keys: their keys are random,
    # and the index each foreign key needs took an insert at a random place per delivery,
    # so a fan-out's expansion cost grew with the table (tests/bench/bench_outbox_growth:
    # 41 rising to 66 us a delivery over five fan-outs, against a flat 30). Nothing is lost: a claim
    # finds a removed subscription or a revoked device through its outer joins (pruned),
    # and the rows go with their user (user_id), who owns the device.
    Column("subscription_id", String(32)),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("device_id", String(32), nullable=False),
    Column("origin", String(255), nullable=False),
    # a DeliveryState (gateway.push.states): queued, sending, retrying, delivered,
    # suppressed, pruned, failed, expired
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    # When it may be tried next; while `sending`, when the claim's lease runs out.
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("trimmed", Boolean, nullable=False, default=False),  # body dropped after a 413
    Column("last_status", Integer),
    Column("reason", String(200)),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    Column("displayed_at", UTCDateTime),
    # Which channel the row is for: webpush (a request to the device's push service) or
    # live (the companion's open event stream carried it; gateway.push.live_receipts).
    Column("channel", String(8), nullable=False, server_default="webpush"),
    Index("ix_push_deliveries_due", "state", "next_attempt_at"),
    Index("ix_push_deliveries_notification", "notification_id", "state"),
)

# Per minute, origin and outcome: the console's chart and the /metrics counters.
delivery_stats = Table(
    "push_delivery_stats",
    metadata,
    Column("minute", UTCDateTime, primary_key=True),
    Column("origin", String(255), primary_key=True),
    Column("outcome", String(16), primary_key=True),
    Column("count", _BIGINT, nullable=False),
)

# Cumulative send latency histogram per origin: one row per bucket bound, plus "sum".
latency_stats = Table(
    "push_latency_stats",
    metadata,
    Column("origin", String(255), primary_key=True),
    Column("bucket", String(16), primary_key=True),
    Column("value", Float, nullable=False),
)

# A push service whose 404/410 share looked wrong: pruning paused until the time given.
origins = Table(
    "push_origins",
    metadata,
    Column("origin", String(255), primary_key=True),
    Column("prune_paused_until", UTCDateTime),
    Column("reason", Text),
)

alerts = Table(
    "push_alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # our-fault, mass-prune, unsafe-endpoint
    Column("origin", String(255), nullable=False),
    Column("detail", Text, nullable=False),
    Column("count", Integer, nullable=False),
    Column("first_at", UTCDateTime, nullable=False),
    Column("last_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    Column("resolved_by", String(32)),
    Index("ix_push_alerts_open", "kind", "origin", "resolved_at"),
)
