"""The in-process event bus."""

import threading

from gateway.core.events import RESYNC, InProcessBus


def test_a_published_event_reaches_every_subscriber_of_its_channel_only():
    bus = InProcessBus()
    with bus.subscribe("a") as first, bus.subscribe("a") as second, bus.subscribe("b") as other:
        bus.publish("a", {"state": "scanned"})
        assert first.get(timeout=1) == {"state": "scanned"}
        assert second.get(timeout=1) == {"state": "scanned"}
        assert other.get(timeout=0) is None


def test_a_broadcast_reaches_every_subscriber_once_whatever_its_channels():
    bus = InProcessBus()
    both = _Collect()
    bus.attach("a", both)
    bus.attach("b", both)
    with bus.subscribe("a") as first, bus.subscribe("c") as second:
        bus.broadcast(RESYNC)
        assert first.get(timeout=1) == RESYNC and second.get(timeout=1) == RESYNC
        assert first.get(timeout=0) is None
    assert both.events == [RESYNC]


class _Collect:
    def __init__(self) -> None:
        self.events = []

    def put(self, event) -> None:
        self.events.append(event)


def test_an_event_without_subscribers_is_dropped_and_channels_are_cleaned_up():
    bus = InProcessBus()
    bus.publish("a", {"state": "pending"})
    with bus.subscribe("a") as inbox:
        assert bus.subscribers("a") == 1
        assert inbox.get(timeout=0) is None
    assert bus.subscribers("a") == 0 and not bus._channels


def test_a_waiting_thread_wakes_when_another_publishes():
    bus = InProcessBus()
    received = []
    ready = threading.Event()

    def wait():
        with bus.subscribe("login") as inbox:
            ready.set()
            received.append(inbox.get(timeout=10))

    waiter = threading.Thread(target=wait)
    waiter.start()
    ready.wait(5)
    bus.publish("login", {"state": "confirmed"})
    waiter.join(5)
    assert received == [{"state": "confirmed"}]
