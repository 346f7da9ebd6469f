"""The access log (agreement 1.2.2): one JSON line per request in a file per day.

It records the method, the route *template* (never the raw URL, which may carry a
token), the status, the latency, the network type and quality the app reports, and the
client address truncated at once (the full address serves no purpose here). Files older
than the retention period are removed by the purge.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import weakref
from collections import deque
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import groupby
from pathlib import Path

from gateway.core.clock import Clock
from gateway.core.netaddr import truncate_ip

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.5  # entries reach the file this soon; a SIGKILL loses this much at most
FLUSH_LINES = 1000  # or sooner, when this many entries wait

# Clients come back again and again: cut each address once, not on every request.
_network_of = lru_cache(maxsize=4096)(truncate_ip)
_encode = json.JSONEncoder(separators=(",", ":")).encode
_open_logs: weakref.WeakSet[AccessLog] = weakref.WeakSet()


class AccessLog:
    """Appends entries to ``<folder>/access-YYYY-MM-DD.jsonl``.

    A request only queues its entry; a flusher thread writes what waits every
    ``FLUSH_SECONDS`` (sooner when ``FLUSH_LINES`` wait, and at ``read``, ``close`` and
    process exit), each day's batch in one ``write`` on a file opened with ``O_APPEND``,
    so threads and processes interleave whole lines. Writing on the request's own thread
    made every request give up the interpreter lock for a system call and queue to get it
    back, which cost the status read a waiting browser polls a tenth of its speed
    (tests/bench/bench_qrlogin.py).
    """

    def __init__(self, folder: Path, clock: Clock) -> None:
        self.folder = folder
        self.clock = clock
        self._fresh()
        _open_logs.add(self)

    def _fresh(self) -> None:
        # Also in a forked child: the parent writes what it had queued, and its lock and
        # flusher thread did not come along.
        self._pending: deque[tuple[date, bytes]] = deque()  # appends and pops are atomic
        self._lock = threading.Lock()  # one flush at a time, so batches stay in order
        self._wake = threading.Event()
        self._flushing = False  # this process's flusher thread runs

    def write(self, *, method: str, route: str, status: int, latency_ms: float,
              ip: str | None, network_type: str | None = None,
              network_quality: str | None = None) -> None:
        """Queue one entry; it reaches the day's file within ``FLUSH_SECONDS``."""
        now = self.clock.now()
        line = _encode({
            "time": now.isoformat(timespec="milliseconds"), "method": method, "route": route,
            "status": status, "latency_ms": round(latency_ms, 2), "ip": _network_of(ip),
            "network_type": network_type, "network_quality": network_quality,
        })
        self._pending.append((now.date(), (line + "\n").encode("utf-8")))
        if not self._flushing:
            self._start_flusher()
        if len(self._pending) >= FLUSH_LINES:
            self._wake.set()

    def flush(self) -> None:
        """Write every queued entry to its day's file now."""
        with self._lock:
            batch = []
            while True:
                try:
                    batch.append(self._pending.popleft())
                except IndexError:
                    break
            for day, entries in groupby(batch, key=lambda entry: entry[0]):
                self._append(day, b"".join(line for _, line in entries))

    def close(self) -> None:
        """Write what is queued (the flusher thread, a daemon, ends with the process)."""
        self.flush()

    def _start_flusher(self) -> None:
        with self._lock:
            if self._flushing:
                return  # another thread started it meanwhile
            self._flushing = True
        # The thread holds only a weak reference: an app that is gone takes its log along.
        threading.Thread(target=_flush_forever, args=(weakref.ref(self), self._wake),
                         name="access-log", daemon=True).start()

    def _append(self, day: date, data: bytes) -> None:
        try:
            if not self.folder.exists():
                self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self._path(day), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                written = memoryview(data)
                while written:  # a short write (a signal, a nearly full disk) goes on
                    written = written[os.write(fd, written):]
            finally:
                os.close(fd)
        except OSError as error:  # a full disk must not take the requests down with it
            log.error("access log entries of %s not written: %s", day, error)

    def _path(self, day: date) -> Path:
        return self.folder / f"access-{day.isoformat()}.jsonl"

    def read(self, day: date) -> list[dict]:
        """The entries of one day (for tests and the export of the operator)."""
        self.flush()
        path = self._path(day)
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line]

    def purge(self, before: datetime, dry_run: bool = False) -> int:
        """Remove the files of days wholly before *before*; returns how many."""
        self.flush()  # so no queued entry recreates a file just removed
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


def _flush_forever(ref: weakref.ref[AccessLog], wake: threading.Event) -> None:
    while (access_log := ref()) is not None:
        del access_log  # hold no strong reference while waiting
        wake.wait(FLUSH_SECONDS)
        wake.clear()
        if (access_log := ref()) is not None:
            try:
                access_log.flush()
            except Exception:  # keep flushing: a dead flusher would let the queue grow
                log.exception("access log flush failed")
            del access_log


@atexit.register
def flush_all() -> None:
    """Write what every access log of this process has queued (at exit, and for tests)."""
    for access_log in list(_open_logs):
        access_log.flush()


def _after_fork_in_child() -> None:
    for access_log in list(_open_logs):
        access_log._fresh()


os.register_at_fork(after_in_child=_after_fork_in_child)
