"""Benchmark: the consent check against the floor of one prebuilt indexed SELECT of the
last decision, and against the first design, which loaded every policy version (full text
included) on each check.

Run as ``python -m tests.bench bench_consent`` from the project root. A SQLite file with
VERSIONS published versions of TEXT_BYTES each and a ledger of EVENTS decisions; rounds
are interleaved so machine drift hits every variant alike. Exits 1 if ``require`` costs
more than TARGET times the floor.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `gateway` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import bindparam, select  # noqa: E402

from gateway import consent  # noqa: E402
from gateway.consent.purposes import Catalogue  # noqa: E402
from gateway.consent.tables import consent_events  # noqa: E402
from gateway.core.store import Store, sqlite_url  # noqa: E402
from tests.support import (
    FakeClock,  # noqa: E402
    both,  # noqa: E402
)

VERSIONS = 100
TEXT_BYTES = 20_000
EVENTS = 5_000
ROUNDS = 9
CALLS = 200
TARGET = 1.5
USER, DEVICE = "u" * 32, "d" * 32


def build(path: Path) -> tuple[Store, FakeClock, Catalogue]:
    store, clock = Store.from_url(sqlite_url(path)), FakeClock()
    catalogue = Catalogue.for_partners()
    store.upgrade()
    for n in range(1, VERSIONS + 1):
        consent.publish_policy(store, clock, catalogue, version=f"{n}.0",
                               texts=both("s", "x" * TEXT_BYTES),
                               changes=["camera"] if n % 10 == 0 else ["push"])
        clock.advance(hours=1)
    with store.write() as connection:
        policy = consent.current_policy(connection, clock)
        hashes = {p.name: consent.notice(p, policy).hash for p in catalogue}
        for n in range(EVENTS):
            purpose = ("camera", "push", "location")[n % 3]
            device = DEVICE if n >= EVENTS - 3 else f"{n:032d}"
            consent.record(connection, clock, catalogue, user_id=USER, device_id=device,
                           purpose=purpose, decision="granted", policy_version=policy.version,
                           notice_hash=hashes[purpose])
            clock.advance(seconds=1)
    clock.advance(minutes=1)
    return store, clock, catalogue


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        store, clock, catalogue = build(Path(folder) / "bench.sqlite3")

        last_decision = (  # the floor: the last decision alone, statement built once
            select(consent_events.c.decision)
            .where(consent_events.c.user_id == bindparam("u"),
                   consent_events.c.device_id == bindparam("d"),
                   consent_events.c.purpose == bindparam("p"))
            .order_by(consent_events.c.seq.desc()).limit(1))

        def floor():
            with store.read() as connection:
                connection.execute(last_decision, {"u": USER, "d": DEVICE, "p": "camera"}).first()

        def first_design():  # the last event, then every version scanned in Python
            with store.read() as connection:
                floor_row = connection.execute(
                    select(consent_events).where(
                        consent_events.c.user_id == USER, consent_events.c.device_id == DEVICE,
                        consent_events.c.purpose == "camera")
                    .order_by(consent_events.c.seq.desc()).limit(1)).first()
                max(p.seq for p in consent.list_policies(connection)
                    if p.effective_at <= clock.now() and "camera" in p.changes)
                assert floor_row is not None

        def require():
            with store.read() as connection:
                consent.require(connection, clock, catalogue, user_id=USER, device_id=DEVICE,
                                purpose="camera")

        def statuses():
            with store.read() as connection:
                consent.statuses(connection, clock, catalogue, user_id=USER, device_id=DEVICE)

        variants = {"floor: one SELECT": floor, "first design": first_design,
                    "require()": require, "statuses() x3": statuses}
        times: dict[str, list[float]] = {name: [] for name in variants}
        for round_ in range(ROUNDS):
            order = list(variants.items())
            for name, fn in order if round_ % 2 == 0 else reversed(order):
                start = time.perf_counter()
                for _ in range(CALLS):
                    fn()
                times[name].append((time.perf_counter() - start) / CALLS)
        store.dispose()
    base = statistics.median(times["floor: one SELECT"])
    print(f"  {VERSIONS} versions of {TEXT_BYTES} bytes, {EVENTS} events, SQLite")
    for name, found in times.items():
        med = statistics.median(found)
        print(f"  {name:<18} median {med * 1e3:7.3f} ms   {med / base:6.2f}x the floor")
    ratio = statistics.median(times["require()"]) / base
    first = statistics.median(times["first design"]) / statistics.median(times["require()"])
    print(f"require() is {first:.0f}x faster than the first design; "
          f"{ratio:.2f}x the floor (target <= {TARGET:g}x)")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
