"""Events across gateway instances, through Redis pub/sub.

Same two methods as ``InProcessBus``: ``publish`` sends the event to Redis; one listener
thread per process receives every gateway event and hands it to this process's waiters
(and taps), exactly as the in-process bus would. Events stay hints: a waiter re-reads the
store when its wait times out, so an event lost while Redis reconnects costs latency only.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

import redis

from gateway.events import Event, InProcessBus

PREFIX = "gateway:events:"
log = logging.getLogger("gateway.events")


class RedisBus:
    """Publishes through Redis; delivers what Redis hands back to local subscribers."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._local = InProcessBus()
        self._client: redis.Redis | None = None
        self._listener: threading.Thread | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()

    def _redis(self) -> redis.Redis:
        # Connect on first use, never at import or app creation (gunicorn forks after).
        if self._client is None:
            self._client = redis.Redis.from_url(self._url, socket_timeout=5,
                                                socket_connect_timeout=5)
        return self._client

    def publish(self, channel: str, event: Event) -> None:
        self._start()
        self._redis().publish(PREFIX + channel, json.dumps(event, separators=(",", ":")))

    def subscribe(self, channel: str):
        self._start()
        return self._local.subscribe(channel)

    def tap(self, prefix: str, listener: Callable[[str, Event], None]) -> None:
        self._local.tap(prefix, listener)

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

    def _listen(self) -> None:
        backoff = 0.1
        while True:
            try:
                pubsub = self._redis().pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(PREFIX + "*")
                pubsub.get_message(timeout=1.0)  # the subscription's own confirmation
                self._ready.set()
                backoff = 0.1
                while True:
                    message = pubsub.get_message(timeout=1.0)
                    if message and message["type"] == "pmessage":
                        channel = message["channel"].decode()[len(PREFIX):]
                        self._local.publish(channel, json.loads(message["data"]))
            except (redis.RedisError, OSError) as error:
                log.warning("event bus lost Redis, reconnecting", extra={"error": str(error)})
                time.sleep(backoff)  # a real thread waiting on a real network: no clock here
                backoff = min(backoff * 2, 5.0)
