"""Several gateway processes on one PostgreSQL and one Redis, for the multi-node tests and
the scale-out benchmark: a schema of their own, gunicorn instances and push workers on
127.0.0.1, started with the real commands (``gunicorn --config python:gateway.gunicorn_conf
wsgi:app``, ``flask --app wsgi gateway worker``).

Every process runs in a process group of its own, so killing it (a crash test) or cleaning
up after a failure takes its children too (gunicorn's workers, the worker's encryption
helpers). Every wait is bounded; a process that dies early fails with its log's tail.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import text

from gateway.core.store import make_engine

ROOT = Path(__file__).resolve().parents[1]
FAST_HASH = "scrypt:1024:8:1"
SUBJECT = "mailto:ops@gateway.example.com"


@contextmanager
def fresh_schema(database_url: str) -> Iterator[str]:
    """A new, empty schema in the database of *database_url*; yields a URL whose
    ``search_path`` is that schema, and drops the schema (and all in it) afterwards."""
    schema = f"gw_cluster_{uuid.uuid4().hex[:10]}"
    admin = make_engine(database_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in database_url else "?"
    try:
        yield f"{database_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '20s'"))  # bounded, never stuck
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Process:
    """One started command, in its own process group, writing to its own log file."""

    name: str
    popen: subprocess.Popen
    log: Path

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 30) -> str:
        text_ = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text_.splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL the whole group at once, as a crash would, and reap it."""
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(timeout=10)

    def terminate(self, timeout: float = 30) -> None:
        """SIGTERM to the main process only (``kill PID``; systemd's KillMode=mixed): it
        stops its own children. Then SIGKILL to whatever of the group is left."""
        if self.alive:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM (let it finish what is in flight), then SIGKILL after *timeout*."""
        if self.alive:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
                self.popen.wait(timeout=timeout)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        self.kill()


@dataclass
class Instance:
    """A gateway served by gunicorn."""

    process: Process
    url: str


class Cluster:
    """Gateway instances and push workers sharing one database, one Redis and one keys
    folder (so every instance signs and verifies with the same keys)."""

    def __init__(self, folder: Path, database_url: str, redis_url: str, **settings: str) -> None:
        self.folder = folder
        self.processes: list[Process] = []
        self.public_port = free_port()
        self.env = {
            "GATEWAY_DATABASE_URL": database_url,
            "GATEWAY_REDIS_URL": redis_url,
            "GATEWAY_PUBLIC_URL": f"http://127.0.0.1:{self.public_port}",
            "GATEWAY_INSTANCE_PATH": str(folder / "instance"),
            "GATEWAY_KEYS_DIR": str(folder / "keys"),
            "GATEWAY_PUSH_WORKER": "external",
            "GATEWAY_PUSH_ALLOW_INSECURE_LOCAL_ENDPOINTS": "true",
            "GATEWAY_PUSH_SUBJECT": SUBJECT,
            "GATEWAY_PASSWORD_HASH": FAST_HASH,
            "GATEWAY_LOG_LEVEL": "WARNING",
            **settings,
        }

    def environ(self) -> dict[str, str]:
        """The environment of the cluster's processes: the caller's, without any of its
        own GATEWAY_* variables, plus the cluster's settings."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        return {**base, **self.env, "PYTHONUNBUFFERED": "1"}

    def start(self, name: str, command: list[str]) -> Process:
        """Start *command* in the project folder with the cluster's settings."""
        log = self.folder / f"{name}.log"
        with open(log, "ab") as output:
            popen = subprocess.Popen(command, cwd=ROOT, env=self.environ(), stdout=output,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run ``flask --app wsgi ARGS`` to its end (bounded by *timeout*)."""
        return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args],
                              cwd=ROOT, env=self.environ(), capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def init(self) -> None:
        """What the systemd unit runs before starting: migrate, make keys and an admin."""
        done = self.run("init", timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"flask init failed:\n{done.stderr[-3000:]}")

    def gateway(self, name: str, *, port: int | None = None, threads: int | None = None,
                connections: int | None = None) -> Instance:
        """Start a gateway instance with the run command's gunicorn settings (another number
        of threads, or of connections held, when asked); ``ready()`` waits for it."""
        port = port or free_port()
        command = [sys.executable, "-m", "gunicorn", "--config", "python:gateway.gunicorn_conf",
                   "--bind", f"127.0.0.1:{port}"]
        if threads:
            command += ["--threads", str(threads)]
        if threads or connections:
            command += ["--worker-connections", str(connections or threads + 100)]
        return Instance(self.start(name, command + ["wsgi:app"]), f"http://127.0.0.1:{port}")

    def worker(self, name: str) -> Process:
        """Start a push delivery worker (``flask gateway worker``); ``ready()`` waits for it."""
        return self.start(name, [sys.executable, "-m", "flask", "--app", "wsgi", "gateway",
                                 "worker"])

    @staticmethod
    def ready(*started: Instance | Process, timeout: float = 60) -> None:
        """Wait until each instance answers ``/readyz`` and each worker has said which VAPID
        key it signs with (its first line). Raises with the log's tail if one exits early."""
        deadline = time.monotonic() + timeout
        waiting = list(started)
        while waiting and time.monotonic() < deadline:
            for item in list(waiting):
                process = item.process if isinstance(item, Instance) else item
                if not process.alive:
                    raise RuntimeError(f"{process.name} exited early:\n{process.tail()}")
                if _is_ready(item):
                    waiting.remove(item)
            time.sleep(0.1)
        if waiting:
            names = ", ".join((i.process if isinstance(i, Instance) else i).name for i in waiting)
            raise RuntimeError(f"not ready within {timeout} s: {names}")

    def close(self) -> None:
        """Stop every process still running (a finalizer: safe after any failure)."""
        for process in reversed(self.processes):
            process.stop(timeout=5)


def _is_ready(item: Instance | Process) -> bool:
    if isinstance(item, Process):
        return "VAPID key" in item.tail(5)
    try:
        return requests.get(f"{item.url}/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False
