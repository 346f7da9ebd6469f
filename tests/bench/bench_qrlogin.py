"""Benchmark: the QR login's status read, as waiting desktops poll it, under the run command.

Server: the gateway exactly as ``make run`` starts it (``flask init``, then ``gunicorn
--config python:gateway.gunicorn_conf``: SQLite, push worker and housekeeper inside, rate
limits on: every setting its default).
Baseline: a bare Flask app (``bare_app``: one route with a path parameter, a constant JSON
body of the status's size, nothing else) served by the same gunicorn settings
(``bare_gunicorn_conf.py``) and hit by the same requests (same paths' length, same Cookie
header). Why fair: both pay gunicorn, the worker and Flask's routing and request handling;
the difference is what the gateway adds (cookie check, state, expiry, the JSON, security
headers, access log). It is the floor a status read served by Flask could reach.
Load generator: wrk (``tests/bench/loadgen.py``), CONNECTIONS kept-alive connections, its
CPU per request printed beside the server's to show it is not the bottleneck.

Two loads, each in ROUNDS interleaved rounds (order alternating) of ROUND_SECONDS:
- one login, read over and over (the cache's best case);
- LOGINS distinct pending logins, each read in turn, as LOGINS real desktops poll their own;
  the logins are started fresh every round (a login lives two minutes) through the
  gateway, each from an address of its own (the start's rate limit stays on).
Targets: 2,000 logins >= 0.85x the bare endpoint, one login >= 0.9x (medians of the
rounds' ratios). Run: ``python -m tests.bench bench_qrlogin``.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import sys
import tempfile
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.bench import loadgen
from tests.bench.common import (
    prepare_instance,
    raise_fd_limit,
    serve_bare,
    serve_run_command,
    tree_cpu_seconds,
)

LOGINS = 2000
CONNECTIONS = 32
ROUNDS = 5
ROUND_SECONDS = 4.0
TARGETS = {"one login": 0.90, f"{LOGINS} logins": 0.85}
BODY = ('{"id":"0123456789abcdef0123456789abcdef","state":"pending","number":null,'
        '"expires_at":"2026-11-28T12:02:00Z","expires_in":118,"rotation":0,'
        '"rotates_at":"2026-11-28T12:00:30Z","rotates_in":28.5,"reason":null}')


def bare_app():
    """A Flask app with one JSON endpoint and nothing else: the yardstick."""
    from flask import Flask

    app = Flask("bare")

    @app.get("/api/v1/bare-logins/<login_id>")
    def bare(login_id: str):
        return app.response_class(BODY, mimetype="application/json")

    return app


def gateway_env(instance: Path) -> dict:
    """Every setting its default, except where the instance lives, a cheap password hash
    (only the bench's own sign-in pays it) and warnings only in the error log."""
    return {"GATEWAY_INSTANCE_PATH": str(instance), "GATEWAY_PASSWORD_HASH": "scrypt:1024:8:1",
            "GATEWAY_LOG_LEVEL": "WARNING"}


def start_logins(base: str, count: int) -> list[tuple[str, str]]:
    """*count* pending logins started through the gateway, as desktops start them: each
    from an address of its own (127.0.x.y; the start's rate limit is per address, and on),
    eight at a time. Returns (status path, Cookie header) of each."""
    host, port = base.removeprefix("http://").split(":")

    def one(n: int) -> tuple[str, str]:
        connection = http.client.HTTPConnection(
            host, int(port), timeout=30, source_address=(f"127.0.{1 + n // 250}.{1 + n % 250}", 0))
        try:
            connection.request("POST", "/api/v1/qr-logins", body=b"{}",
                               headers={"Content-Type": "application/json"})
            answer = connection.getresponse()
            body = json.loads(answer.read())
            assert answer.status == 201, body
            cookie = answer.getheader("Set-Cookie").split(";", 1)[0]
            return f"/api/v1/qr-logins/{body['id']}", cookie
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(count)))


def bare_targets(targets: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The same requests to the bare endpoint (paths of the same length, same cookie)."""
    return [(path.replace("/qr-logins/", "/bare-logins/"), cookie) for path, cookie in targets]


def still_pending(base: str, path: str, cookie: str) -> bool:
    request = urllib.request.Request(base + path, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())["state"] == "pending"


def measure(base: str, bare: str, pids: dict[str, int]) -> dict[str, list]:
    """Per load and side, each round's (wrk run, server CPU seconds)."""
    results: dict[str, list] = {}
    for round_no in range(ROUNDS):
        logins = start_logins(base, LOGINS)
        loads = {"one login": logins[:1], f"{LOGINS} logins": logins}
        if round_no == 0:  # warm both servers up (code paths, connections)
            for url, targets in ((base, logins[:1]), (bare, bare_targets(logins[:1]))):
                loadgen.run(url, targets, seconds=1, connections=CONNECTIONS)
        for load, targets in loads.items():
            sides = [("gateway", base, targets), ("bare", bare, bare_targets(targets))]
            for side, url, spread in sides if round_no % 2 == 0 else reversed(sides):
                cpu = tree_cpu_seconds(pids[side])
                run = loadgen.run(url, spread, seconds=ROUND_SECONDS, connections=CONNECTIONS)
                results.setdefault(f"{load}, {side}", []).append(
                    (run, tree_cpu_seconds(pids[side]) - cpu))
                assert run.errors == 0, f"{load}, {side}: {run.errors} errors"
        assert still_pending(base, *logins[-1]), "the logins ran out during the round"
    return results


def report(results: dict[str, list]) -> bool:
    print(f"load generator: wrk, 1 thread, {CONNECTIONS} kept-alive connections, {ROUNDS} "
          f"interleaved rounds of {ROUND_SECONDS:g} s; server: gunicorn with "
          f"gateway/gunicorn_conf.py (the run command), both sides")
    print("baseline: a bare Flask endpoint (constant JSON of the same size) under the same "
          "server and the same requests: the floor of a status read served by Flask")
    for name, runs in results.items():
        rates = [run.rate for run, _ in runs]
        wrk_us = statistics.median(run.wrk_cpu / run.requests * 1e6 for run, _ in runs)
        server_us = statistics.median(cpu / run.requests * 1e6 for run, cpu in runs)
        p99 = statistics.median(run.p99_ms for run, _ in runs)
        print(f"  {name:<24} median {statistics.median(rates):7.0f} req/s  p99 {p99:5.1f} ms  "
              f"CPU per request: server {server_us:5.0f} us, wrk {wrk_us:4.0f} us  "
              f"(rounds: {', '.join(f'{r:.0f}' for r in rates)})")
    failed = False
    for load, target in TARGETS.items():
        ratios = [gw.rate / bare.rate for (gw, _), (bare, _)
                  in zip(results[f"{load}, gateway"], results[f"{load}, bare"])]
        ratio = statistics.median(ratios)
        print(f"status read, {load}: {ratio:.2f}x the bare endpoint (target >= {target:.2f}x; "
              f"rounds: {', '.join(f'{r:.2f}' for r in ratios)})")
        failed |= ratio < target
    return failed


def main() -> int:
    if not loadgen.available():
        print("wrk is not installed (apt-get install wrk): skipped")
        return 1
    raise_fd_limit()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        prepare_instance(instance)
        env = gateway_env(instance)
        gateway_proc, base = serve_run_command(env)
        bare_proc, bare = serve_bare("tests.bench.bench_qrlogin:bare_app()", env)
        try:
            results = measure(base, bare, {"gateway": gateway_proc.pid, "bare": bare_proc.pid})
        finally:
            for process in (gateway_proc, bare_proc):
                process.terminate()
                process.wait(30)
    return 1 if report(results) else 0


if __name__ == "__main__":
    sys.exit(main())
