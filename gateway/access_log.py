"""The access log (agreement 1.2.2): one JSON line per request in a file per day.

It records the method, the route *template* (never the raw URL, which may carry a
token), the status, the latency, the network type and quality the app reports, and the
client address truncated at once (the full address serves no purpose here). Files older
than the retention period are removed by the purge.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

from gateway.clock import Clock
from gateway.netaddr import truncate_ip


class AccessLog:
    """Appends entries to ``<folder>/access-YYYY-MM-DD.jsonl``.

    Each entry opens the file in append mode and writes one line in one call, so threads
    and forked processes interleave whole lines and no handle is held between requests.
    """

    def __init__(self, folder: Path, clock: Clock) -> None:
        self.folder = folder
        self.clock = clock

    def write(self, *, method: str, route: str, status: int, latency_ms: float,
              ip: str | None, network_type: str | None = None,
              network_quality: str | None = None) -> None:
        now = self.clock.now()
        entry = {
            "time": now.isoformat(timespec="milliseconds"), "method": method, "route": route,
            "status": status, "latency_ms": round(latency_ms, 2), "ip": truncate_ip(ip),
            "network_type": network_type, "network_quality": network_quality,
        }
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        path = self._path(now.date())
        if not path.parent.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line)

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
