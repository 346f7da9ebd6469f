"""Benchmark: push fan-out of the run command's default configuration against the Node
``web-push`` library, side by side, at 10,000 and 50,000 devices.

What is measured: the gateway started as ``make run`` starts it (``flask init``, then
gunicorn with ``gateway.gunicorn_conf``: one process whose embedded delivery worker sends,
with its default encryption helper process; SQLite; every push setting at its default
except the test-only permission to call http://127.0.0.1). One notification to everyone is
sent as the BI server sends it (``POST /api/v1/push/notifications`` with an integration
key), timed from that request until the last delivery is recorded ``delivered`` in the
store (read from outside, from the SQLite file).

Load generator: none; the fan-out is the load. The push service is ``tests.pushservice``
in its own process (aiohttp), answering every request 201 after 50 ms, checking the VAPID
JWT of and decrypting 1 request in 20 (so that it stays a small share of the 2 cores);
it refuses what fails.

Baseline: the Node ``web-push`` library (installed here with ``npm install web-push`` in
a temporary folder), sending to the same subscriptions on the same service with 256
requests in flight over an http keep-alive agent; each message built by
``generateRequestDetails`` (encrypted and VAPID-signed as its ``sendNotification`` would:
its sender only speaks https). Node's time runs from its first request to its last answer
(its start-up and reading the subscriptions are left out; the gateway's figure includes
the request, expansion into the outbox and recording every answer). Why fair: the same
machine, service, subscriptions and payload size, measured in turns within one run; Node's
encryption is native OpenSSL, and its per-message JWT signing is the library's own
behaviour. The gateway's default keeps 512 requests in flight: so Node runs a second time
with 512 too (labelled), and the stricter ratio, against the faster of Node's two runs, is
printed beside the target's (against 256).

A warm-up message goes first (the encryption helper process starts on the first fan-out).
Targets: the gateway >= 3x Node at both sizes, and its 50k rate >= 0.95x its 10k rate.
``BENCH_PUSH_ROUNDS`` (default 3) rounds per size, medians reported; ``BENCH_PUSH_SIZES``
(default ``10000,50000``); ``BENCH_PUSH_PROFILE=FOLDER`` adds a py-spy profile of one more
gateway round at the largest size. Run: ``python -m tests.bench bench_push``.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `gateway` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import requests  # noqa: E402

from tests.bench import profiling  # noqa: E402
from tests.bench.common import (  # noqa: E402
    ROOT,
    free_port,
    listening,
    raise_fd_limit,
    tree_cpu_seconds,
)
from tests.bench.node_peer import NodePeer  # noqa: E402
from tests.bench.push_setup import (  # noqa: E402
    make_instance,
    populate,
    start_service,
    subscriptions,
)

SIZES = tuple(int(n) for n in os.environ.get("BENCH_PUSH_SIZES", "10000,50000").split(","))
ROUNDS = int(os.environ.get("BENCH_PUSH_ROUNDS", "3"))
TARGET_RATIO, TARGET_LINEAR = 3.0, 0.95
WIDE = 512  # the gateway's default requests in flight: Node is also run with as many
TITLE, BODY = "Quarterly report ready", "Revenue is up 4 % on last quarter; open the app."
# The Node peer's payload: the gateway's fields, a receipt token of the same length.
PAYLOAD = {"notification": "0" * 32, "title": TITLE, "body": BODY, "url": None, "tag": None,
           "topic": None, "receipt": "r" * 43}


class Gateway:
    """The run command on an instance, and a fan-out through it."""

    def __init__(self, instance, root: Path = ROOT) -> None:
        """The run command of the source tree at *root* (this one by default)."""
        port = free_port()
        self.instance = instance
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:gateway.gunicorn_conf",
             "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
            cwd=root, env={**os.environ, **instance.env, "PYTHONPATH": str(root)},
            preexec_fn=raise_fd_limit)
        self.base = listening(self.process, port, "the run command")
        self.database = sqlite3.connect(f"file:{instance.folder}/gateway.sqlite3?mode=ro",
                                        uri=True)

    @property
    def worker_pid(self) -> int:
        return int(Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
                   .read_text().split()[0])

    def warm_up(self, subs: list, service: str) -> None:
        """One message to the first device, before any timed round: the encryption helper
        process starts on the first fan-out."""
        warm = self.send({"kind": "users", "users": [f"user{subs[0].id}"]}, service)
        assert warm["states"] == {"delivered": 1}, warm

    def send(self, audience: dict, service: str) -> dict:
        """One notification to *audience*, timed until every delivery is recorded."""
        cpu = tree_cpu_seconds(self.process.pid)
        started = time.perf_counter()
        response = requests.post(
            f"{self.base}/api/v1/push/notifications", timeout=30,
            headers={"Authorization": f"Bearer {self.instance.key}"},
            json={"audience": audience, "title": TITLE, "body": BODY, "ttl": 3600})
        assert response.status_code == 202, response.text
        notification = response.json()["id"]
        deadline = started + 600
        while time.perf_counter() < deadline:
            # Whether any is pending, not how many: counting 25,000 pending rows took
            # 1.7 ms, and every 20 ms that was 8 % of a core taken from the gateway.
            expanded, pending = self.database.execute(
                "SELECT (SELECT expanded_at FROM push_notifications WHERE id = ?), "
                "EXISTS (SELECT 1 FROM push_deliveries WHERE notification_id = ? "
                "AND state IN ('queued', 'retrying', 'sending'))",
                (notification, notification)).fetchone()
            if expanded is not None and not pending:
                break
            time.sleep(0.02 if time.perf_counter() - started > 1 else 0.05)
        elapsed = time.perf_counter() - started
        states = dict(self.database.execute(
            "SELECT state, count(*) FROM push_deliveries WHERE notification_id = ? GROUP BY state",
            (notification,)).fetchall())
        spent = tree_cpu_seconds(self.process.pid) - cpu  # the encryption helper's included
        return {"elapsed": elapsed, "states": states, "cpu": spent}

    def stop(self) -> None:
        self.database.close()
        self.process.terminate()
        self.process.wait(timeout=60)


def run_size(size: int, node: NodePeer, scratch: Path) -> dict:
    """The rounds at one size: the gateway and Node in turns, on one service."""
    folder = scratch / f"instance-{size}"
    folder.mkdir()
    instance, app = make_instance(folder)
    print(f"{size:,} devices: making subscriptions, users, consents…", flush=True)
    subs = subscriptions(size, instance.vapid_public)
    service, origin = start_service(folder, subs)
    gateway = None
    try:
        populate(app, subs, origin)
        node.prepare(instance, subs, PAYLOAD)
        gateway = Gateway(instance)
        gateway.warm_up(subs, origin)
        rounds = []
        for number in range(ROUNDS):
            service_cpu = tree_cpu_seconds(service.pid)
            ours = gateway.send({"kind": "everyone"}, origin)
            ours["service_cpu"] = tree_cpu_seconds(service.pid) - service_cpu
            service_cpu = tree_cpu_seconds(service.pid)
            theirs = node.send()
            theirs["service_cpu"] = tree_cpu_seconds(service.pid) - service_cpu
            wide = node.send(WIDE)
            ours["rate"], theirs["rate"] = size / ours["elapsed"], size / theirs["elapsed"]
            wide["rate"] = size / wide["elapsed"]
            rounds.append((ours, theirs, wide))
            print(f"  round {number + 1}: gateway {ours['rate']:,.0f} msg/s {ours['states']}; "
                  f"web-push {theirs['rate']:,.0f} msg/s {theirs['statuses']}, "
                  f"with {WIDE} in flight {wide['rate']:,.0f} msg/s; "
                  f"load {os.getloadavg()[0]:.2f}", flush=True)
        profile = None
        if os.environ.get("BENCH_PUSH_PROFILE") and size == max(SIZES) and profiling.py_spy():
            out = Path(os.environ["BENCH_PUSH_PROFILE"]) / f"push-{size}.txt"
            out.parent.mkdir(parents=True, exist_ok=True)
            spy = profiling.record(gateway.worker_pid, out)
            time.sleep(1)
            gateway.send({"kind": "everyone"}, origin)
            profiling.stop(spy)
            profile = profiling.summarize(out)
        stats = requests.get(f"{origin}/stats", timeout=5).json()
    finally:
        if gateway is not None:
            gateway.stop()
        service.terminate()
        service.wait(timeout=10)
    return {"size": size, "rounds": rounds, "stats": stats, "profile": profile}


def main() -> int:
    scratch = Path(tempfile.mkdtemp(prefix="bench-push-"))
    try:
        node = NodePeer(scratch / "node")
        print(f"baseline: Node {subprocess.check_output(['node', '--version'], text=True).strip()}"
              f", web-push {node.version}; load {os.getloadavg()[0]:.2f}", flush=True)
        results = [run_size(size, node, scratch) for size in SIZES]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return report(results)


def _median(rounds: list, side: int, key: str) -> float:
    return statistics.median(r[side][key] for r in rounds)


def report(results: list[dict]) -> int:
    ok = True
    print(f"\npush fan-out, medians of {ROUNDS} rounds (gateway = the run command's default: "
          "gunicorn + embedded worker + 1 encryption helper, SQLite, 512 requests in flight; "
          "web-push with 256):")
    print(f"{'devices':>8} {'gateway msg/s':>14} {'web-push msg/s':>15} {'ratio':>6} "
          f"{'gateway CPU/msg':>16} {'web-push CPU/msg':>17} {'service CPU/msg':>16}    "
          f"web-push with {WIDE} in flight, ratio to the faster web-push")
    rates = {}
    for result in results:
        size, rounds = result["size"], result["rounds"]
        ours, theirs = _median(rounds, 0, "rate"), _median(rounds, 1, "rate")
        rates[size] = ours
        us = lambda side, key: _median(rounds, side, key) / size * 1e6  # noqa: E731
        wide = _median(rounds, 2, "rate")
        print(f"{size:>8,} {ours:>14,.0f} {theirs:>15,.0f} {ours / theirs:>5.2f}x "
              f"{us(0, 'cpu'):>13.0f} us {us(1, 'cpu'):>14.0f} us "
              f"{us(0, 'service_cpu'):>7.0f}/{us(1, 'service_cpu'):.0f} us    "
              f"{wide:,.0f} msg/s, {ours / max(theirs, wide):.2f}x")
        ok &= ours / theirs >= TARGET_RATIO
        ok &= all(r[0]["states"] == {"delivered": size} for r in rounds)
        ok &= all(r[side]["statuses"] == {"201": size} for r in rounds for side in (1, 2))
        stats = result["stats"]
        refused = stats.get("requests", 0) - stats.get("verified", 0) - stats.get("unverified", 0)
        print(f"{'':>8} push service: {stats.get('requests', 0):,} requests, "
              f"{stats.get('verified', 0):,} checked (JWT + decryption), {refused} refused")
        ok &= not refused
        if result["profile"]:
            print("\n".join(["  profile of one more gateway round (py-spy):"] +
                            [f"    {line}" for line in result["profile"]]))
    if len(rates) > 1:
        small, large = min(rates), max(rates)
        linear = rates[large] / rates[small]
        print(f"gateway {large:,} rate / {small:,} rate: {linear:.2f} "
              f"(target >= {TARGET_LINEAR})")
        ok &= linear >= TARGET_LINEAR
    print(f"targets: gateway >= {TARGET_RATIO:.0f}x web-push at every size")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
