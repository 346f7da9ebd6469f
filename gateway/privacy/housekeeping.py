"""The scheduled purge (agreement 2.2) of the embedded default: a daemon thread that
applies the retention periods once at start and then once a day.

Clusters may run it on every instance: the purge's advisory lock and its look at when the
store was last purged make one of them purge the shared store once a day (each still
purges its own access log files). Or run ``flask gateway purge`` from a timer instead.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import TYPE_CHECKING

from gateway.privacy import retention

if TYPE_CHECKING:
    from gateway.build import Gateway

PERIOD_SECONDS = 24 * 3600
log = logging.getLogger("gateway.privacy.housekeeping")


class Housekeeper:
    """Purges on a schedule until stopped."""

    def __init__(self, gateway: Gateway, period: float = PERIOD_SECONDS) -> None:
        self.gateway = gateway
        self.period = period
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def purge_once(self) -> dict[str, int]:
        svc = self.gateway
        # A little under the period: clocks of different machines may differ a bit.
        result = retention.purge(svc.store, svc.clock, svc.settings, svc.reactions.retention,
                                 access_log=svc.access_log,
                                 every=timedelta(seconds=self.period * 0.9))
        log.info("retention purge done", extra={"removed": result})
        return result

    def _main(self) -> None:
        while not self._stop.is_set():
            try:
                self.purge_once()
            except Exception:  # the database may be away for a moment; try next round
                log.exception("retention purge failed")
            self._stop.wait(self.period)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._main, name="housekeeping", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
