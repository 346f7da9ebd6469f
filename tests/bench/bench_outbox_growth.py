"""Benchmark: what expanding a fan-out into the outbox costs as the outbox grows, with the
deliveries' indexes of now against those they had before migration 0025.

What is measured: the expansion alone (``Deliveries.expand_due``, the worker's own call,
in this process), on a gateway instance made as ``make run`` makes it (``flask init``,
SQLite, the defaults). Each round accepts one notification to everyone and times its
expansion into delivery rows (and inbox messages), per delivery; every round leaves its
rows in the table, so later rounds expand into a larger outbox.

Load generator: none; the expansion is the work. Baseline: a second instance made the
same way, with the two indexes the deliveries had before 0025 made again (on
``subscription_id`` and ``device_id``, random keys), expanded in turns with the first
(A B B A ...), so that the machine's changes of speed weigh on both alike. Why fair: the
same code, data and audience; only the indexes differ. ``BENCH_OUTBOX_SIZE`` (20,000)
users, ``BENCH_OUTBOX_ROUNDS`` (5) rounds. Prints each round's cost and how much the last
round cost over the first. Run: ``python -m tests.bench bench_outbox_growth``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `gateway` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.push_setup import make_instance, populate, subscriptions  # noqa: E402

SIZE = int(os.environ.get("BENCH_OUTBOX_SIZE", "20000"))
ROUNDS = int(os.environ.get("BENCH_OUTBOX_ROUNDS", "5"))
ORIGIN = "http://127.0.0.1:9"  # nothing is sent
BEFORE_0025 = ("CREATE INDEX ix_push_deliveries_subscription_id "
               "ON push_deliveries (subscription_id)",
               "CREATE INDEX ix_push_deliveries_device_id ON push_deliveries (device_id)")


def instance(folder: Path, indexes: tuple[str, ...]):
    """A filled instance (with *indexes* made) and its worker."""
    made, app = make_instance(folder)
    subs = subscriptions(SIZE, made.vapid_public)
    for sub in subs:
        sub.endpoint = f"{ORIGIN}/push/{sub.id}"
    populate(app, subs, ORIGIN)
    svc = app.extensions["gateway"]
    with svc.store.write() as connection:
        for statement in indexes:
            connection.exec_driver_sql(statement)
    return svc, svc.push.make_worker(expand_enough=10**9)


def expansion_cost(svc, worker) -> float:
    """Microseconds per delivery to expand one notification to everyone."""
    from gateway.push import notifications
    from gateway.push.notifications import Audience, Draft

    notifications.accept(svc.store, svc.clock, Draft(audience=Audience("everyone"),
                                                     title="Report", body="Ready"),
                         sender_kind="admin", sender_id="bench")
    started, made = time.perf_counter(), 0
    while (chunk := worker.expand_due()):
        made += chunk
    assert made == SIZE, made
    return (time.perf_counter() - started) / made * 1e6


def main() -> int:
    scratch = Path(tempfile.mkdtemp(prefix="bench-outbox-"))
    try:
        print(f"{SIZE:,} users with a subscribed device each, twice: making them…", flush=True)
        sides = {"now": instance(scratch / "now", ()),
                 "before 0025": instance(scratch / "before", BEFORE_0025)}
        costs: dict[str, list[float]] = {name: [] for name in sides}
        print(f"{'round':>5} {'rows before':>12} {'now us/delivery':>16} "
              f"{'before 0025':>12} {'now / before':>13}")
        for round_ in range(ROUNDS):
            order = list(sides) if round_ % 2 == 0 else list(reversed(sides))
            for name in order:
                costs[name].append(expansion_cost(*sides[name]))
            now, before = costs["now"][-1], costs["before 0025"][-1]
            print(f"{round_ + 1:>5} {round_ * SIZE:>12,} {now:>16.1f} {before:>12.1f} "
                  f"{now / before:>12.2f}x", flush=True)
        for name, values in costs.items():
            print(f"{name}: the last round cost {values[-1] / values[0]:.2f}x the first")
        for svc, _ in sides.values():
            svc.store.dispose()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
