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


def _store_reads(gateway, read) -> int:
    """How many statements *read()* sends to the store."""
    from sqlalchemy import event

    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(gateway.store.engine, "before_cursor_execute", listener)
    try:
        read()
    finally:
        event.remove(gateway.store.engine, "before_cursor_execute", listener)
    return len(seen)


def test_in_one_process_a_polled_login_costs_no_store_read_until_it_moves(gateway, clock):
    """The embedded default's bus carries every move, so the cache is trusted for as long
    as a login lives: two thousand browsers polling their own logins read no store."""
    from tests.qrlogin_support import DESKTOP

    browser = gateway.qrlogin.browser
    started = browser.start(DESKTOP)
    login_id, secret = started.login.id, started.browser_secret
    assert _store_reads(gateway, lambda: browser.status(login_id, secret, cached=True)) >= 1
    clock.advance(seconds=100)
    assert _store_reads(gateway, lambda: browser.status(login_id, secret, cached=True)) == 0
    gateway.events.publish(f"qrlogin:{login_id}", {"state": "scanned"})  # a move
    assert _store_reads(gateway, lambda: browser.status(login_id, secret, cached=True)) >= 1


def test_across_instances_a_cached_state_is_trusted_for_a_second(settings, clock):
    """Through Redis an event may be lost: a move made elsewhere shows within a second."""
    from dataclasses import replace

    from gateway.build import build_gateway
    from tests.qrlogin_support import DESKTOP

    shared = build_gateway(replace(settings, redis_url="redis://127.0.0.1:9/0"), clock)
    try:
        browser = shared.qrlogin.browser
        started = browser.start(DESKTOP)
        login_id, secret = started.login.id, started.browser_secret
        browser.status(login_id, secret, cached=True)
        assert _store_reads(shared, lambda: browser.status(login_id, secret, cached=True)) == 0
        clock.advance(seconds=1)
        assert _store_reads(shared, lambda: browser.status(login_id, secret, cached=True)) >= 1
    finally:
        shared.store.dispose()
