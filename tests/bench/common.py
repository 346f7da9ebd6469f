"""What the benchmarks share: starting the gateway as the run command does (or any app
under the run command's gunicorn worker), free ports, open-file limits, memory of a
process tree, and percentiles."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def raise_fd_limit() -> None:
    """Allow this process (and what it starts) thousands of open connections."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 32768 if hard == resource.RLIM_INFINITY else hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))


def serve(target: str, env: dict, threads: int) -> tuple[subprocess.Popen, str]:
    """Start gunicorn on *target* with the run command's worker settings."""
    from gateway import gunicorn_conf as conf

    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
               "--workers", str(conf.workers), "--worker-class", conf.worker_class,
               "--threads", str(threads), "--worker-connections", str(threads + 100),
               "--keep-alive", str(conf.keepalive), "--timeout", str(conf.timeout),
               "--log-level", "warning", target]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env},
                               preexec_fn=raise_fd_limit)
    return process, listening(process, port, target)


def listening(process: subprocess.Popen, port: int, what: str) -> str:
    """The base URL of *process* once it accepts connections on *port* (at most 30 s)."""
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                return f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gunicorn did not start for {what}")


def serve_run_command(env: dict, *options: str,
                      port: int | None = None) -> tuple[subprocess.Popen, str]:
    """Start the gateway as ``make run`` does: ``flask init``, then gunicorn with the run
    command's settings file (only the address differs: *port*, or a free one; and any
    gunicorn *options*)."""
    full_env = {**os.environ, **env}
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "init"], cwd=ROOT,
                   env=full_env, check=True, capture_output=True, timeout=120)
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "python:gateway.gunicorn_conf",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", *options, "wsgi:app"],
        cwd=ROOT, env=full_env)
    return process, listening(process, port, "the run command")


def serve_bare(target: str, env: dict) -> tuple[subprocess.Popen, str]:
    """Serve the app *target* exactly as the run command serves the gateway (its gunicorn
    settings, ``tests/bench/bare_gunicorn_conf.py``): the yardstick of the HTTP benches."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "python:tests.bench.bare_gunicorn_conf",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", target],
        cwd=ROOT, env={**os.environ, **env})
    return process, listening(process, port, target)


def _tree(pid: int) -> list[int]:
    """*pid* and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, ()))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) *pid* and its descendants have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for each in _tree(pid):
        try:
            fields = (Path("/proc") / str(each) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def tree_rss_mb(pid: int) -> float:
    """The resident memory of *pid* and all its descendants, in MB (from /proc; pages two
    processes share are counted in each, so this is an upper bound)."""
    total_kb = 0
    for each in _tree(pid):
        try:
            status = (Path("/proc") / str(each) / "status").read_text()
        except OSError:
            continue  # gone meanwhile
        total_kb += next((int(line.split()[1]) for line in status.splitlines()
                          if line.startswith("VmRSS:")), 0)
    return total_kb / 1024


def settled_rss_mb(pid: int, seconds: float = 3.0) -> float:
    """The tree's RSS once it stops moving: the largest of several readings taken over
    *seconds* (threads and the push worker start lazily after boot)."""
    readings = []
    for _ in range(int(seconds / 0.25)):
        readings.append(tree_rss_mb(pid))
        time.sleep(0.25)
    return max(readings[len(readings) // 2:])


def prepare_instance(instance: Path) -> None:
    """Migrate the store and make a user, as ``flask init`` would."""
    from gateway.core.clock import SystemClock
    from gateway.core.store import Store, sqlite_url
    from gateway.identity.accounts import Accounts
    from gateway.identity.passwords import Passwords
    from tests.qr_client import publish_first_policy

    store = Store.from_url(sqlite_url(instance / "gateway.sqlite3"))
    store.upgrade()
    accounts = Accounts(store, SystemClock(), Passwords("scrypt:1024:8:1"))
    accounts.create_user(username="alice", password="correct horse battery")
    publish_first_policy(store, SystemClock())
    store.dispose()


def percentile(values: list[float], p: float) -> float:
    """The *p*-th percentile of *values* (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def next_event(content: aiohttp.StreamReader) -> str:
    """The name of the next SSE event (heartbeat comments are skipped)."""
    while True:
        frame = (await content.readuntil(b"\n\n")).decode()
        for line in frame.splitlines():
            if line.startswith("event: "):
                return line[7:]
