"""The cost of checking push consent again just before sending (``Worker.still_consented``).

Load generator and peer: ``bench_push``'s fan-out of 10,000 messages through the real worker
to its scripted push service. Baseline: the same worker with the check replaced by a
pass-through (what the gateway did before: consent checked at the claim only). The two
alternate in one process, five pairs, so both see the same machine; it prints each round's
rate and worker CPU, and the paired ratios. Run: ``python -m tests.bench bench_push_recheck``.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
from pathlib import Path

from gateway.push.worker import Worker
from tests.bench import bench_push

PAIRS = 5


def _pass_through(self, messages):
    return {message.job.delivery_id for message in messages}


def main() -> int:
    checked = Worker.still_consented
    folder = Path(tempfile.mkdtemp(prefix="bench-push-recheck-"))
    app = bench_push.build(folder)
    subscriptions = bench_push.populate(app, "http://127.0.0.1:1")
    service, origin = bench_push.start_service(folder, subscriptions)
    rates: dict[str, list[float]] = {"without the check": [], "with the check": []}
    try:
        bench_push.point_at(app, origin)
        number = 0
        for _ in range(PAIRS):
            for name, method in (("without the check", _pass_through),
                                 ("with the check", checked)):
                Worker.still_consented = method
                result = bench_push.fan_out(app, service.pid, number)
                number += 1
                rates[name].append(result["rate"])
                print(f"{name:18s} {result['rate']:7,.0f} msg/s  worker CPU "
                      f"{result['cpu']:.2f} s", flush=True)
    finally:
        Worker.still_consented = checked
        service.terminate()
        service.wait(timeout=10)
        app.extensions["gateway"].store.dispose()
        shutil.rmtree(folder, ignore_errors=True)
    pairs = [after / before for before, after in
             zip(rates["without the check"], rates["with the check"], strict=True)]
    print("paired rate ratio with/without the check: "
          + ", ".join(f"{ratio:.3f}" for ratio in pairs)
          + f"; median {statistics.median(pairs):.3f} (goal: >= 0.95)")
    return 0
