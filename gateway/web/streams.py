"""The process's bound on open event streams, as the web layer takes its slots.

``claim()`` is called by every view that answers with an event stream, after the caller
is known to be allowed to wait and before the stream is made: the stream then holds the
slot until it ends (``gateway.web.waiting``). One ``StreamQuota`` per application, so per
process: each gateway instance bounds its own streams.
"""

from __future__ import annotations

from flask import Flask, current_app, request

from gateway.web.context import client_ip
from gateway.web.stream_quota import Slot, StreamQuota

QUOTA = "gateway.web.stream_quota"


def claim() -> Slot:
    """A slot for the event stream this request opens: its path names the flow and the
    side that waits, the client address is the one seen through the trusted proxies.
    Raises ``TooManyStreams`` (429) or ``StreamsFull`` (503), both with Retry-After."""
    return current_app.extensions[QUOTA].acquire(request.path, client_ip())


def quota(app: Flask) -> StreamQuota:
    """The application's stream quota (tests read its counts)."""
    return app.extensions[QUOTA]


def fit_to_server(app: Flask, *, parks: bool, connections: int, threads: int) -> int:
    """Lower the application's bound in all to what its server holds without starving the
    other requests: its bound on parked streams (*connections*) when it parks them, else
    half its *threads*, since each stream then holds one. Returns the bound in force."""
    found = quota(app)
    found.lower_total(connections if parks else threads // 2)
    return found.total


def init_app(app: Flask) -> None:
    settings = app.extensions["gateway"].settings
    app.extensions[QUOTA] = StreamQuota(per_flow=settings.streams_per_flow,
                                        per_address=settings.streams_per_address,
                                        total=settings.streams_total)
