"""Benchmark: the run command's push fan-out with its default settings against the same
with some settings changed, in alternating rounds on one instance.

What is measured: as ``bench_push`` measures the gateway (``make run``'s gunicorn with the
embedded worker, SQLite, one notification to everyone timed until every delivery is
recorded), started anew for every round, once with the defaults and once with the
variant's ``GATEWAY_*`` settings, in turns (A B B A A B ...) on the same instance and
push service, so that the store growing by a fan-out each round weighs on both alike.

Load generator: none; the fan-out is the load. The push service is ``tests.pushservice``
answering every request after 50 ms, as in ``bench_push``. Baseline: the defaults, which
run first. ``BENCH_PUSH_SETTINGS`` is the variant, a JSON object of settings (by default
256 requests in flight, the default before 512); ``BENCH_PUSH_SETTINGS_SIZE`` (20,000)
devices, ``BENCH_PUSH_SETTINGS_ROUNDS`` (4) rounds of each. Prints both medians and the
variant's rate over the default's. Run: ``python -m tests.bench bench_push_settings``.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `gateway` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_push import Gateway  # noqa: E402
from tests.bench.push_setup import (  # noqa: E402
    make_instance,
    populate,
    start_service,
    subscriptions,
)

VARIANT = json.loads(os.environ.get("BENCH_PUSH_SETTINGS") or json.dumps(
    {"GATEWAY_PUSH_CONCURRENCY": "256", "GATEWAY_PUSH_ORIGIN_CONCURRENCY": "256"}))
SIZE = int(os.environ.get("BENCH_PUSH_SETTINGS_SIZE", "20000"))
ROUNDS = int(os.environ.get("BENCH_PUSH_SETTINGS_ROUNDS", "4"))


def fan_out(instance, settings: dict, subs: list, origin: str) -> float:
    """One round: the run command with *settings*, a warm-up message, then the fan-out to
    everyone; its rate in messages a second."""
    instance.env.update(settings)
    gateway = Gateway(instance)
    try:
        gateway.warm_up(subs, origin)
        result = gateway.send({"kind": "everyone"}, origin)
        assert result["states"] == {"delivered": len(subs)}, result
        return len(subs) / result["elapsed"]
    finally:
        gateway.stop()
        for name in settings:
            instance.env.pop(name)


def main() -> int:
    scratch = Path(tempfile.mkdtemp(prefix="bench-push-settings-"))
    rates: dict[str, list[float]] = {"default": [], "variant": []}
    try:
        instance, app = make_instance(scratch)
        print(f"{SIZE:,} devices: making subscriptions, users, consents…", flush=True)
        subs = subscriptions(SIZE, instance.vapid_public)
        service, origin = start_service(scratch, subs)
        try:
            populate(app, subs, origin)
            for number in range(ROUNDS * 2):
                side = "default" if number % 4 in (0, 3) else "variant"
                rate = fan_out(instance, {} if side == "default" else VARIANT, subs, origin)
                rates[side].append(rate)
                print(f"  round {number + 1}, {side}: {rate:,.0f} msg/s; "
                      f"load {os.getloadavg()[0]:.2f}", flush=True)
        finally:
            service.terminate()
            service.wait(timeout=10)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    default, variant = (statistics.median(rates[side]) for side in ("default", "variant"))
    print(f"\npush fan-out of {SIZE:,}, medians of {ROUNDS} rounds each:")
    print(f"  default settings (the run command's): {default:,.0f} msg/s")
    print(f"  variant {json.dumps(VARIANT)}: {variant:,.0f} msg/s")
    print(f"  variant / default: {variant / default:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
