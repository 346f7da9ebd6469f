"""Benchmark: no request pays for housekeeping.

The store holds EXPIRED QR logins (with their four token hashes each) that ended more than
their retention ago. Measured: the first ``POST /api/v1/qr-logins`` (a browser starting a
login) after them, against a normal start (the median of the NORMAL starts after it);
then the housekeeper's sweep (``gateway.privacy.sweep``) that removes them: its batches,
and the longest one (the longest the store's write lock is held at a time).
Load generator: Flask's test client in this process, one request at a time (a latency,
not a throughput: the client's cost is the same for every request). Baseline: the same
request on the same store once nothing is left to remove. Target: the first start within
2x of a normal one. Before the sweep existed, the start removed them itself: 1,038 ms.
Run: ``python -m tests.bench bench_housekeeping``.
"""

from __future__ import annotations

import gc
import statistics
import sys
import tempfile
import time
from datetime import timedelta

from sqlalchemy import event, insert

EXPIRED, NORMAL, ROUNDS, TARGET = 100_000, 20, 5, 2.0


def fill(store, now) -> None:
    """EXPIRED logins ended two hours before *now*, with their token hashes."""
    from gateway.core.tokens import new_id
    from gateway.qrlogin.tables import qr_login_tokens, qr_logins

    created = now - timedelta(hours=2)
    with store.write() as connection:
        for start in range(0, EXPIRED, 5000):
            ids = [new_id() for _ in range(min(5000, EXPIRED - start))]
            connection.execute(insert(qr_logins), [dict(
                id=i, state="expired", created_at=created, expires_at=created + timedelta(
                    seconds=120), browser_hash="0" * 64, csrf_hash="0" * 64,
                code_lookup=i[:4], code_hash="0" * 64, code_failures=0, browser="Chrome 131",
                os="Windows", network="198.51.100.0/24") for i in ids])
            connection.execute(insert(qr_login_tokens), [
                dict(token_hash=f"{i}{r}".ljust(64, "0"), flow_id=i, rotation=r)
                for i in ids for r in range(4)])


def checkpoint(store) -> None:
    """Copy SQLite's write-ahead log back: the rows came over hours, with checkpoints along
    the way, so the fill's own log is not the first request's to copy."""
    with store.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def sweep(gateway) -> tuple[int, int, float, float]:
    """The housekeeper's sweep: rows removed, transactions, seconds in all, and the longest
    transaction in milliseconds (the longest the store's write lock is held at a time)."""
    from gateway.privacy.housekeeping import Housekeeper

    batches = []
    engine = gateway.store.engine

    def began(*args):
        batches.append([time.perf_counter(), None])

    def ended(*args):
        if batches and batches[-1][1] is None:
            batches[-1][1] = time.perf_counter()

    event.listen(engine, "begin", began)
    event.listen(engine, "commit", ended)
    started = time.perf_counter()
    removed = Housekeeper(gateway).sweep_once()
    swept = time.perf_counter() - started
    event.remove(engine, "begin", began)
    event.remove(engine, "commit", ended)
    longest = max((end - begin) * 1000 for begin, end in batches if end)
    return removed, len(batches), swept, longest


def timed_start(client) -> float:
    started = time.perf_counter()
    answer = client.post("/api/v1/qr-logins", json={})
    assert answer.status_code == 201, answer.get_json()
    return (time.perf_counter() - started) * 1000


def main() -> int:
    from gateway import create_app
    from gateway.core.settings import Settings
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(instance_path=folder, rate_limits_enabled=False, log_level="WARNING")
        app = create_app(settings)
        gateway = app.extensions["gateway"]
        gateway.store.upgrade()
        client = app.test_client()
        timed_start(client)  # every code path loaded
        checkpoint(gateway.store)
        clean = timed_start(client)  # the first after a checkpoint, with nothing expired
        firsts, normals, afters, sweeps = [], [], [], []
        for _ in range(ROUNDS):
            fill(gateway.store, gateway.clock.now())
            checkpoint(gateway.store)
            # The fill's half a million rows were this process's objects; a gateway gets
            # them one request at a time over hours. Their collection is not the request's.
            gc.collect()
            firsts.append(timed_start(client))
            normals.append(statistics.median(timed_start(client) for _ in range(NORMAL)))
            sweeps.append(sweep(gateway))
            afters.append(statistics.median(timed_start(client) for _ in range(NORMAL)))
        gateway.store.dispose()
    first, normal, after = (statistics.median(v) for v in (firsts, normals, afters))
    removed, batches, swept, longest = max(sweeps, key=lambda s: s[3])
    print("load generator: Flask's test client in this process, one request at a time; "
          "baseline: the same start on the same store when nothing is left to remove")
    print(f"first start after {EXPIRED:,} expired logins (median of {ROUNDS} rounds: "
          f"{', '.join(f'{f:.1f}' for f in firsts)}): {first:.1f} ms; normal start (median of "
          f"{NORMAL}): {normal:.1f} ms, after the sweep {after:.1f} ms; the first "
          f"start after a checkpoint with nothing expired (same cold caches): {clean:.1f} ms "
          f"({first / clean:.2f}x)")
    print(f"the housekeeper's sweep (the slowest of {ROUNDS}): {removed:,} rows in {batches} "
          f"transactions, "
          f"{swept:.1f} s in all, the longest {longest:.1f} ms")
    ratio = first / normal
    print(f"first start = {ratio:.2f}x a normal one (target <= {TARGET:g}x)")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
