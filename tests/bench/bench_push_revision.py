"""Benchmark: the run command's push fan-out from this working tree against the same from
another revision of the code, in alternating rounds on one instance.

What is measured: as ``bench_push`` measures the gateway (``make run``'s gunicorn with the
embedded worker and its encryption helper, SQLite, every setting at its default, one
notification to everyone timed until every delivery is recorded), started anew for every
round from one of the two source trees, in turns (A B B A A B ...) on the same instance and
push service, so that the store growing by a fan-out each round weighs on both alike. It
also prints each side's CPU a message, split between the worker's process and its helper,
and the push service's.

Load generator: none; the fan-out is the load. The push service is ``tests.pushservice``
answering every request after 50 ms, as in ``bench_push``. Baseline: the revision
``BENCH_PUSH_REVISION``, taken with ``git archive`` into a temporary folder (by default
``HEAD`` when ``gateway/`` has uncommitted changes, so that they are judged against their
commit, else ``HEAD~1``, so that ``make bench`` judges the last commit); the two must share the
database schema (the instance is made once, by the working tree). Why fair: the same
machine, instance, service and subscriptions, in turns, so a machine that slows or speeds
up weighs on both. ``BENCH_PUSH_REVISION_SIZE`` (20,000) devices,
``BENCH_PUSH_REVISION_ROUNDS`` (4) rounds of each. Prints both medians and the working
tree's rate over the revision's. Run: ``python -m tests.bench bench_push_revision``.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `gateway` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench_push import Gateway  # noqa: E402
from tests.bench.common import ROOT, tree_cpu_seconds  # noqa: E402
from tests.bench.push_setup import (  # noqa: E402
    make_instance,
    populate,
    start_service,
    subscriptions,
)


def _default_revision() -> str:
    changed = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "gateway"], cwd=ROOT)
    return "HEAD" if changed.returncode else "HEAD~1"


REVISION = os.environ.get("BENCH_PUSH_REVISION") or _default_revision()
SIZE = int(os.environ.get("BENCH_PUSH_REVISION_SIZE", "20000"))
ROUNDS = int(os.environ.get("BENCH_PUSH_REVISION_ROUNDS", "4"))


def _own_cpu_seconds(pid: int) -> float:
    """The CPU time of the process *pid* itself (all its threads, no children)."""
    fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fan_out(instance, root: Path, subs: list, origin: str, service: int) -> dict:
    """One round from the tree at *root*: a warm-up message, then the fan-out to
    everyone; its rate, and the CPU a message of the worker's process, its helper and
    the push service."""
    gateway = Gateway(instance, root)
    try:
        gateway.warm_up(subs, origin)
        worker, pushed = gateway.worker_pid, tree_cpu_seconds(service)
        before = _own_cpu_seconds(worker)
        result = gateway.send({"kind": "everyone"}, origin)
        assert result["states"] == {"delivered": len(subs)}, result
        own = _own_cpu_seconds(worker) - before
        return {"rate": len(subs) / result["elapsed"], "worker": own / len(subs),
                "helper": (result["cpu"] - own) / len(subs),
                "service": (tree_cpu_seconds(service) - pushed) / len(subs)}
    finally:
        gateway.stop()


def main() -> int:
    scratch = Path(tempfile.mkdtemp(prefix="bench-push-revision-"))
    other = scratch / "revision"
    other.mkdir()
    archive = subprocess.run(["git", "archive", REVISION], cwd=ROOT, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(other)], input=archive, check=True)
    commit = subprocess.run(["git", "rev-parse", "--short", REVISION], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    sides = {"this tree": ROOT, f"revision {REVISION} ({commit})": other}
    rounds: dict[str, list[dict]] = {side: [] for side in sides}
    try:
        folder = scratch / "instance"
        folder.mkdir()
        instance, app = make_instance(folder)
        print(f"{SIZE:,} devices: making subscriptions, users, consents…", flush=True)
        subs = subscriptions(SIZE, instance.vapid_public)
        service, origin = start_service(folder, subs)
        try:
            populate(app, subs, origin)
            for number in range(ROUNDS * 2):
                side = list(sides)[0 if number % 4 in (0, 3) else 1]
                result = fan_out(instance, sides[side], subs, origin, service.pid)
                rounds[side].append(result)
                print(f"  round {number + 1}, {side}: {result['rate']:,.0f} msg/s, CPU a "
                      f"message: worker {result['worker'] * 1e6:,.0f} us, helper "
                      f"{result['helper'] * 1e6:,.0f} us, push service "
                      f"{result['service'] * 1e6:,.0f} us; load {os.getloadavg()[0]:.2f}",
                      flush=True)
        finally:
            service.terminate()
            service.wait(timeout=10)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"\npush fan-out of {SIZE:,}, medians of {ROUNDS} rounds each:")
    medians = {}
    for side, results in rounds.items():
        medians[side] = {key: statistics.median(r[key] for r in results)
                         for key in ("rate", "worker", "helper", "service")}
        m = medians[side]
        print(f"  {side}: {m['rate']:,.0f} msg/s; CPU a message: worker {m['worker'] * 1e6:,.0f}"
              f" us, helper {m['helper'] * 1e6:,.0f} us, push service "
              f"{m['service'] * 1e6:,.0f} us")
    ours, theirs = (medians[side]["rate"] for side in sides)
    print(f"  this tree / revision: {ours / theirs:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
