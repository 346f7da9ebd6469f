"""The access log (agreement 1.2.2): one JSON line per request in a file per day.

It records the method, the route *template* (never the raw URL, which may carry a
token), the status, the latency, the network type and quality the app reports, and the
client address truncated at once (the full address serves no purpose here). Files older
than the retention period are removed by the purge.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from gateway.clock import Clock
from gateway.netaddr import truncate_ip


# Clients come back again and again: cut each address once, not on every request.
_network_of = lru_cache(maxsize=4096)(truncate_ip)


class AccessLog:
    """Appends entries to ``<folder>/access-YYYY-MM-DD.jsonl``.

    Each entry is one ``write`` on a descriptor opened with ``O_APPEND``, so threads and
    forked processes interleave whole lines. The day's descriptor stays open (opening
    and closing a file per request cost more than the rest of a cheap request) and is
    swapped under a lock when the day changes.
    """

    def __init__(self, folder: Path, clock: Clock) -> None:
        self.folder = folder
        self.clock = clock
        self._lock = threading.Lock()
        self._day: date | None = None
        self._fd: int | None = None

    def write(self, *, method: str, route: str, status: int, latency_ms: float,
              ip: str | None, network_type: str | None = None,
              network_quality: str | None = None) -> None:
        now = self.clock.now()
        entry = {
            "time": now.isoformat(timespec="milliseconds"), "method": method, "route": route,
            "status": status, "latency_ms": round(latency_ms, 2), "ip": _network_of(ip),
            "network_type": network_type, "network_quality": network_quality,
        }
        line = (json.dumps(entry, separators=(",", ":")) + "\n").encode("utf-8")
        day = now.date()
        with self._lock:  # held while writing, so no descriptor is closed under a writer
            if day != self._day or self._fd is None:
                self._open(day)
            os.write(self._fd, line)

    def close(self) -> None:
        """Close the day's descriptor (the next entry opens it again)."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd, self._day = None, None

    def __del__(self) -> None:
        if getattr(self, "_fd", None) is not None:
            os.close(self._fd)

    def _open(self, day: date) -> None:
        if not self.folder.exists():
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self._path(day), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        if self._fd is not None:
            os.close(self._fd)
        self._fd, self._day = fd, day

    def _path(self, day: date) -> Path:
        return self.folder / f"access-{day.isoformat()}.jsonl"

    def read(self, day: date) -> list[dict]:
        """The entries of one day (for tests and the export of the operator)."""
        path = self._path(day)
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line]

    def purge(self, before: datetime, dry_run: bool = False) -> int:
        """Remove the files of days wholly before *before*; returns how many."""
        cutoff = before.date() - timedelta(days=1)
        removed = 0
        for path in sorted(self.folder.glob("access-*.jsonl")):
            try:
                day = date.fromisoformat(path.stem.removeprefix("access-"))
            except ValueError:
                continue
            if day <= cutoff:
                removed += 1
                if not dry_run:
                    path.unlink(missing_ok=True)
        return removed
