"""Push's running parts, built once by the composition root and bound to the store and
clock: the settings, the key-wrapping and receipt keys (from one secret in the keys
folder), the resolver, delivery workers, and, in the embedded default, the delivery
worker on its own event loop in a thread beside the web server."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gateway.core.clock import Clock
from gateway.core.keys import load_secret
from gateway.core.settings import Settings
from gateway.core.store import Store
from gateway.push import vapid
from gateway.push.config import PushOptions
from gateway.push.endpoints import Resolver, system_resolver
from gateway.push.receipts import ReceiptKey
from gateway.push.vapid import KeyWrap
from gateway.push.worker import Worker

log = logging.getLogger("gateway.push")


class EmbeddedWorker:
    """A ``Worker`` running in a daemon thread with its own event loop."""

    def __init__(self, make_worker: Callable[[], Worker]) -> None:
        self._make_worker = make_worker
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._worker: Worker | None = None
        self._ready = threading.Event()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (once); returns when the worker's loop is up."""
        if self.running:
            return
        self._ready.clear()
        self._thread = threading.Thread(target=self._main, name="push-worker", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=10)

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._stop = asyncio.Event()
        self._worker = self._make_worker()
        # As ``flask gateway worker`` does: what the process allocated up to now (the app,
        # its modules) lives as long as it does; keep it out of the cyclic collector's full
        # passes, which a fan-out's allocations would otherwise trigger again and again.
        gc.freeze()
        self._ready.set()
        try:
            loop.run_until_complete(self._worker.run(self._stop))
        finally:
            loop.close()

    def wake(self) -> None:
        """Tell the worker new work was committed (it would otherwise poll within 1 s)."""
        if self.running and self._loop is not None and self._worker is not None:
            self._loop.call_soon_threadsafe(self._worker.wake.set)

    def stop(self, timeout: float = 20) -> None:
        """Stop taking work, finish what is in flight, and join the thread."""
        if not self.running:
            return
        self._loop.call_soon_threadsafe(self._stop.set)
        self._loop.call_soon_threadsafe(self._worker.wake.set)
        self._thread.join(timeout)


@dataclass
class PushRuntime:
    store: Store
    clock: Clock
    worker_mode: str  # "embedded": a worker runs in each web process; "external": apart
    options: PushOptions
    wrap: KeyWrap
    receipts: ReceiptKey
    resolve: Resolver = system_resolver
    embedded: EmbeddedWorker | None = field(default=None)
    # Told of each notification's recipients as it is expanded (the in-app inbox).
    on_recipients: Callable | None = field(default=None)

    @classmethod
    def build(cls, settings: Settings, keys_dir: Path, store: Store, clock: Clock) -> PushRuntime:
        secret = load_secret(keys_dir, "push")
        return cls(store, clock, settings.push_worker, PushOptions.from_settings(settings),
                   KeyWrap(secret), ReceiptKey(secret))

    def make_worker(self, **overrides) -> Worker:
        """A delivery worker on this gateway's store (tests override the sleeper, the
        random source, the options...)."""
        overrides.setdefault("options", self.options)
        overrides.setdefault("on_recipients", self.on_recipients)
        return Worker(store=self.store, clock=self.clock, wrap=self.wrap,
                      receipts=self.receipts, **overrides)

    def ensure_vapid_key(self) -> str:
        """Make the first VAPID key if there is none; a line saying which key is in use."""
        key, created = vapid.ensure_key(self.store, self.clock, self.wrap)
        return f"VAPID key {key.kid} {'created' if created else 'ready'}: {key.public_key}"

    def start_embedded(self) -> EmbeddedWorker | None:
        """Start the delivery worker in a thread of this process, unless the operator runs
        it separately (GATEWAY_PUSH_WORKER=external)."""
        if self.worker_mode != "embedded":
            return None
        if self.embedded is None:
            self.embedded = EmbeddedWorker(self.make_worker)
        self.embedded.start()
        return self.embedded

    def stop_embedded(self) -> None:
        """Let the embedded worker finish what is in flight, and stop it."""
        if self.embedded is not None:
            self.embedded.stop()

    def wake(self) -> None:
        if self.embedded is not None:
            self.embedded.wake()
