"""The Redis event bus carries events between two gateway instances."""

import os
import uuid

import pytest
import redis

from gateway.core.events import RESYNC
from gateway.core.redis_events import PREFIX, RedisBus

REDIS_URL = os.environ.get("GATEWAY_TEST_REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="GATEWAY_TEST_REDIS_URL not set")


def test_an_event_published_on_one_instance_reaches_a_waiter_on_another():
    instance_a, instance_b = RedisBus(REDIS_URL), RedisBus(REDIS_URL)
    channel = f"qr:{uuid.uuid4().hex}"
    with instance_a.subscribe(channel) as inbox:
        instance_b.publish(channel, {"state": "confirmed"})
        assert inbox.get(timeout=5) == {"state": "confirmed"}


def test_taps_see_events_from_other_instances():
    instance_a, instance_b = RedisBus(REDIS_URL), RedisBus(REDIS_URL)
    seen = []
    channel = f"qr:{uuid.uuid4().hex}"
    instance_a.tap("qr:", lambda name, event: seen.append((name, event)))
    with instance_a.subscribe(channel) as inbox:
        instance_b.publish(channel, {"state": "scanned"})
        inbox.get(timeout=5)
    assert (channel, {"state": "scanned"}) in seen


def test_other_channels_are_not_delivered():
    bus = RedisBus(REDIS_URL)
    with bus.subscribe(f"qr:{uuid.uuid4().hex}") as inbox:
        bus.publish(f"qr:{uuid.uuid4().hex}", {"state": "expired"})
        assert inbox.get(timeout=0.3) is None


def test_an_instance_hears_its_own_event_once_and_at_once():
    bus = RedisBus(REDIS_URL)
    channel = f"qr:{uuid.uuid4().hex}"
    with bus.subscribe(channel) as inbox:
        bus.publish(channel, {"state": "scanned"})
        assert inbox.get(timeout=0) == {"state": "scanned"}  # handed over before Redis
        assert inbox.get(timeout=0.5) is None  # and not a second time through Redis


def test_a_malformed_message_on_the_channel_is_ignored():
    instance_a, instance_b = RedisBus(REDIS_URL), RedisBus(REDIS_URL)
    channel = f"qr:{uuid.uuid4().hex}"
    with instance_a.subscribe(channel) as inbox:
        instance_b._redis().publish(PREFIX + channel, b"\xff not json")
        instance_b.publish(channel, {"state": "denied"})
        assert inbox.get(timeout=5) == {"state": "denied"}
        assert inbox.get(timeout=0.3) is None


def test_once_back_from_a_cut_off_every_subscriber_is_told_to_read_again():
    bus, other = RedisBus(REDIS_URL), RedisBus(REDIS_URL)
    channel = f"inbox:{uuid.uuid4().hex}"
    with bus.subscribe(channel) as inbox:
        admin = redis.Redis.from_url(REDIS_URL)
        # Cut this instance's listener off (only its own connection: others may be in use).
        [listener] = [c for c in admin.client_list(_type="pubsub")
                      if c["name"] == bus.client_name]
        admin.client_kill_filter(_id=listener["id"])
        # What was published meanwhile may be lost: the subscriber hears it may have been.
        assert inbox.get(timeout=10) == RESYNC
        other.publish(channel, {"kind": "read", "unread": 0})
        assert inbox.get(timeout=5) == {"kind": "read", "unread": 0}
    bus.close()
    other.close()
