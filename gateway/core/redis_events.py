"""Events across gateway instances, through Redis pub/sub.

Same methods as ``InProcessBus``. ``publish`` hands the event to this process's own taps
and waiters at once, exactly as the in-process bus does, and sends it to Redis; one
listener thread per process receives every other process's events from there and hands
them on the same way (its own it recognises by the sender tag and skips). So a process
never depends on Redis for its own moves, and an unreachable Redis only delays what other
instances see: events stay hints, a waiter re-reads the store when its wait times out.
What other instances published while the listener was cut off from Redis is lost, so once
it is back every local subscriber is told (``RESYNC``) and re-reads what it shows at once.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Callable

import redis

from gateway.core.events import RESYNC, Event, Inbox, InProcessBus

PREFIX = "gateway:events:"
log = logging.getLogger("gateway.core.events")


class RedisBus:
    """Publishes through Redis; delivers what Redis hands back to local subscribers."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._local = InProcessBus()
        self._client: redis.Redis | None = None
        self._listener: threading.Thread | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._sender = secrets.token_hex(8)  # tells this process's own events apart
        self.client_name = f"gateway-events-{self._sender}"

    def _redis(self) -> redis.Redis:
        # Connect on first use, never at import or app creation (gunicorn forks after).
        if self._client is None:
            # Named, so that ``CLIENT LIST`` on the Redis server tells the instances apart.
            self._client = redis.Redis.from_url(self._url, socket_timeout=5,
                                                socket_connect_timeout=5,
                                                client_name=self.client_name)
        return self._client

    def publish(self, channel: str, event: Event) -> None:
        """Hand *event* to this process's taps and waiters, then to every other instance.
        Called after the move it tells of has committed, so an unreachable Redis must not
        fail the request: the others miss the event (a hint; their waiters re-read the
        store on the next heartbeat) and a warning is logged."""
        self._start()
        self._local.publish(channel, event)
        message = json.dumps({"from": self._sender, "event": event}, separators=(",", ":"))
        try:
            self._redis().publish(PREFIX + channel, message)
        except (redis.RedisError, OSError) as error:
            log.warning("event not published: Redis unreachable", extra={"error": str(error)})

    def subscribe(self, channel: str):
        self._start()
        return self._local.subscribe(channel)

    def tap(self, prefix: str, listener: Callable[[str, Event], None]) -> None:
        self._local.tap(prefix, listener)

    def attach(self, channel: str, inbox: Inbox) -> None:
        self._start()
        self._local.attach(channel, inbox)

    def detach(self, channel: str, inbox: Inbox) -> None:
        self._local.detach(channel, inbox)

    def subscribers(self, channel: str) -> int:
        return self._local.subscribers(channel)

    def _start(self) -> None:
        if self._listener is not None:
            return
        with self._lock:
            if self._listener is None:
                self._listener = threading.Thread(target=self._listen, name="gateway-events",
                                                  daemon=True)
                self._listener.start()
        # A subscriber must not miss an event published right after it subscribed.
        self._ready.wait(timeout=5)

    def close(self) -> None:
        """Stop listening: the listener thread ends within about a second."""
        self._closed.set()

    def _listen(self) -> None:
        backoff = 0.1
        cut_off = False  # events may have been missed since the last subscription
        while not self._closed.is_set():
            try:
                pubsub = self._redis().pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(PREFIX + "*")
                pubsub.get_message(timeout=1.0)  # the subscription's own confirmation
                self._ready.set()
                backoff = 0.1
                if cut_off:
                    cut_off = False
                    self._local.broadcast(RESYNC)
                while not self._closed.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message and message["type"] == "pmessage":
                        self._deliver(message["channel"].decode()[len(PREFIX):],
                                      message["data"])
                pubsub.close()
            except (redis.RedisError, OSError) as error:
                # Whoever waits in _start() waits no longer: Redis is away, and waiters
                # fall back on re-reading the store.
                self._ready.set()
                cut_off = True
                log.warning("event bus lost Redis, reconnecting", extra={"error": str(error)})
                # A real thread waiting on a real network: no clock here.
                self._closed.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    def _deliver(self, channel: str, data: bytes) -> None:
        try:
            message = json.loads(data)
            sender, event = message["from"], message["event"]
        except (ValueError, TypeError, KeyError):
            log.warning("ignored a malformed event", extra={"channel": channel})
            return
        if sender != self._sender:  # our own went to our waiters when we published it
            self._local.publish(channel, event)
