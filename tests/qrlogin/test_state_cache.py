"""The cache of QR flows' states: dropped on every move, never set back by a slow read."""

from gateway.core.events import InProcessBus
from gateway.qrlogin.state_cache import StateCache
from tests.support import FakeClock


def test_a_snapshot_is_served_until_the_flow_moves():
    clock, bus = FakeClock(), InProcessBus()
    cache = StateCache(clock)
    bus.tap("qrlogin:", cache.listener("qrlogin:"))
    cache.put("a", "pending snapshot", "pending")
    assert cache.get("a") == "pending snapshot"
    bus.publish("qrlogin:a", {"state": "scanned"})
    assert cache.get("a") is None


def test_a_read_that_raced_a_move_cannot_put_the_old_state_back():
    cache = StateCache(FakeClock())
    cache.moved("a", "scanned")
    cache.put("a", "stale pending snapshot", "pending")
    assert cache.get("a") is None
    cache.put("a", "scanned snapshot", "scanned")
    assert cache.get("a") == "scanned snapshot"


def test_snapshots_go_stale_after_a_second():
    clock = FakeClock()
    cache = StateCache(clock)
    cache.put("a", "snapshot", "pending")
    clock.advance(0.999)
    assert cache.get("a") == "snapshot"
    clock.advance(0.001)
    assert cache.get("a") is None


def test_the_cache_holds_a_bounded_number_of_flows():
    cache = StateCache(FakeClock(), size=2)
    for key in "abc":
        cache.put(key, key, "pending")
    assert cache.get("a") is None and cache.get("c") == "c"


def test_other_channels_do_not_touch_the_cache():
    clock, bus = FakeClock(), InProcessBus()
    cache = StateCache(clock)
    bus.tap("qrlogin:", cache.listener("qrlogin:"))
    cache.put("a", "snapshot", "pending")
    bus.publish("enrollment:a", {"state": "claimed"})
    assert cache.get("a") == "snapshot"
