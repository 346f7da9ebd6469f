"""The scheduled purge (agreement 2.2) of the embedded default: a daemon thread that
applies the retention periods once at start and then once a day, and every few minutes
sweeps ended QR logins, phone-connection offers and used device proofs away in small
batches (``gateway.privacy.sweep``: no request removes them any more).

Clusters may run it on every instance: the purge's advisory lock and its look at when the
store was last purged make one of them purge the shared store once a day (each still
purges its own access log files). Or run ``flask gateway purge`` from a timer instead.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import TYPE_CHECKING

from gateway.privacy import retention, sweep

if TYPE_CHECKING:
    from gateway.build import Gateway

PERIOD_SECONDS = 24 * 3600
SWEEP_SECONDS = 300  # ended flows are kept an hour by default: gone within five minutes of it
log = logging.getLogger("gateway.privacy.housekeeping")


class Housekeeper:
    """Purges on a schedule until stopped."""

    def __init__(self, gateway: Gateway, period: float = PERIOD_SECONDS,
                 sweep_every: float = SWEEP_SECONDS) -> None:
        self.gateway = gateway
        self.period = period
        self.sweep_every = sweep_every
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

    def sweep_once(self) -> int:
        """Remove ended flows and used device proofs past their retention, in batches;
        returns how many rows went."""
        svc = self.gateway
        removed = sweep.sweep_ended_flows(svc.store, svc.clock, svc.settings)
        if removed:
            log.info("ended flows swept", extra={"removed": removed})
        return removed

    def _main(self) -> None:
        rounds_per_purge = max(1, round(self.period / self.sweep_every))
        round_no = 0
        while not self._stop.is_set():
            try:
                self.sweep_once()
                if round_no % rounds_per_purge == 0:
                    self.purge_once()
            except Exception:  # the database may be away for a moment; try next round
                log.exception("retention purge failed")
            round_no += 1
            self._stop.wait(self.sweep_every)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._main, name="housekeeping", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
