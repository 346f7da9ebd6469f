"""Bounds on open event streams: per flow, per client address, and in all.

A browser waiting on a QR flow holds one Server-Sent Events stream (two for a moment
while it reconnects). Without a bound, one anonymous QR login could open thousands and
starve everyone else of the server's connections. So each stream takes a ``Slot`` before
it starts and gives it back when it ends, however it ends; past a bound the request is
refused with a problem answer and ``Retry-After``, and the browser's page falls back to
the long poll.

The counts live in this process: each gateway instance bounds its own streams.
"""

from __future__ import annotations

import ipaddress
import threading
from collections import Counter

from gateway.core.errors import GatewayError

RETRY_AFTER_SECONDS = 10  # a slot frees when a stream ends; a flow lasts two minutes


class TooManyStreams(GatewayError):
    """This flow, or this client address, has as many event streams open as it may."""

    status = 429
    slug = "too-many-streams"
    title = "Too many event streams"
    retry_after = RETRY_AFTER_SECONDS


class StreamsFull(GatewayError):
    """The gateway has as many event streams open as it serves at once."""

    status = 503
    slug = "streams-full"
    title = "The gateway is busy"
    retry_after = RETRY_AFTER_SECONDS


def address_key(address: str | None) -> str:
    """The bucket a client address counts in: the address itself for IPv4, its /64 for
    IPv6 (one host is handed a whole /64, so its addresses are one client)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "?"  # unknown or junk: one shared bucket
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class Slot:
    """One open stream's place in the counts; ``release`` gives it back (once only)."""

    def __init__(self, quota: StreamQuota, flow: str, address: str) -> None:
        self._quota, self.flow, self.address = quota, flow, address
        self._held = True

    @property
    def held(self) -> bool:
        return self._held

    def release(self) -> None:
        """Give the place back; calling it again changes nothing."""
        self._quota._release(self)


class StreamQuota:
    """Counts of open streams, per flow (*per_flow*), per address (*per_address*) and in
    all (*total*). Thread-safe: streams start on request threads and end on any thread."""

    def __init__(self, per_flow: int, per_address: int, total: int) -> None:
        self.per_flow, self.per_address, self.total = per_flow, per_address, total
        self._flows: Counter[str] = Counter()
        self._addresses: Counter[str] = Counter()
        self._open = 0
        self._lock = threading.Lock()

    def acquire(self, flow: str, address: str | None) -> Slot:
        """A slot for one more stream of *flow* (a flow's one side, e.g. its events URL)
        from *address*. Raises ``StreamsFull`` when the gateway has *total* open,
        ``TooManyStreams`` when the flow or the address has its bound open."""
        bucket = address_key(address)
        with self._lock:
            if self._open >= self.total:
                raise StreamsFull("The gateway has {total} event streams open, as many as it can. "
                                  "Wait with the long poll, or try again later.",
                                  params={"total": self.total})
            if self._flows[flow] >= self.per_flow:
                raise TooManyStreams("This page has {count} event streams open already. Close "
                                     "one first.", params={"count": self.per_flow},
                                     scope="flow")
            if self._addresses[bucket] >= self.per_address:
                raise TooManyStreams("This client address has {count} event streams open "
                                     "already. Close one first.",
                                     params={"count": self.per_address},
                                     scope="address")
            self._open += 1
            self._flows[flow] += 1
            self._addresses[bucket] += 1
            return Slot(self, flow, bucket)

    def lower_total(self, most: int) -> None:
        """Keep the bound in all at *most* if it was higher (the server holds no more)."""
        with self._lock:
            self.total = max(1, min(self.total, most))

    def _release(self, slot: Slot) -> None:
        with self._lock:
            if not slot._held:
                return
            slot._held = False
            self._open -= 1
            for counts, key in ((self._flows, slot.flow), (self._addresses, slot.address)):
                counts[key] -= 1
                if counts[key] <= 0:
                    del counts[key]  # keys of streams gone take no memory

    def __len__(self) -> int:
        """How many streams hold a slot now."""
        return self._open

    def open_for(self, *, flow: str | None = None, address: str | None = None) -> int:
        """How many streams *flow* or *address* holds now."""
        if flow is not None:
            return self._flows[flow]
        return self._addresses[address_key(address)]
