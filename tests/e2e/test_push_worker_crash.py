"""Killing the delivery worker process with SIGKILL in the middle of a fan-out and starting
it again loses nothing: every delivery reaches the push service and ends delivered. The
only cost is duplicates, and only of deliveries that were in flight (``sending``) when
the process died; the test counts and reports them."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.core.clock import SystemClock
from gateway.core.settings import Settings
from gateway.push.tables import deliveries
from tests.push_support import PushKit, push_settings
from tests.pushservice import PushService

ROOT = Path(__file__).resolve().parents[2]
DEVICES, NOTIFICATIONS, CONCURRENCY = 30, 10, 4


@pytest.fixture
def clock():
    return SystemClock()  # the worker runs in another process, on real time


@pytest.fixture
def settings(settings):
    # One encryption helper process too: it dies with the worker and is started anew.
    return push_settings(settings, push_worker="external", push_concurrency=CONCURRENCY,
                         push_send_timeout_seconds=1.0, push_encrypt_processes=1)


def environment(settings: Settings) -> dict[str, str]:
    """The GATEWAY_* variables that make another process build the same gateway."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    defaults = Settings()
    for field in dataclasses.fields(Settings):
        value = getattr(settings, field.name)
        if value == getattr(defaults, field.name):
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, tuple):
            value = ",".join(value)
        env[f"GATEWAY_{field.name.upper()}"] = str(value)
    return env


def worker(settings: Settings, *extra: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", "gateway", "worker", *extra]


def states(kit: PushKit) -> dict[str, int]:
    with kit.svc.store.read() as connection:
        return dict(connection.execute(select(deliveries.c.state, func.count())
                                       .group_by(deliveries.c.state)).all())


def test_sigkill_mid_fan_out_then_restart_loses_nothing(app, client, clock, settings,
                                                        record_property):
    env = environment(settings)
    with PushService(delay=0.05) as service:
        kit = PushKit(app, client, service, clock)
        for index in range(DEVICES):
            kit.device(f"user{index:02d}")
        users = [f"user{index:02d}" for index in range(DEVICES)]
        for number in range(NOTIFICATIONS):
            kit.send(*users, title=f"Fan-out {number}")
        total = DEVICES * NOTIFICATIONS

        first = subprocess.Popen(worker(settings), cwd=ROOT, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            assert service.wait_for_requests(total // 3, timeout=60), "the worker never sent"
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        killed_at = states(kit)
        sent_before_kill = service.total_requests
        in_flight = killed_at.get("sending", 0)
        assert 0 < service.total_requests < total, "the kill did not land mid fan-out"
        assert killed_at.get("delivered", 0) < total

        second = subprocess.run(worker(settings, "--until-idle"), cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 0, second.stderr[-2000:]

        assert states(kit) == {"delivered": total}
        received = set(service.deliveries_seen)
        assert received == {row.id for row in kit.deliveries()}  # every one arrived
        duplicates = service.duplicates()
        record_property("push_crash_duplicates", duplicates)
        record_property("push_crash_in_flight_at_kill", in_flight)
        print(f"\nSIGKILL after {sent_before_kill} of {total} requests: {in_flight} in flight "
              f"at the kill, {duplicates} duplicate(s), 0 lost")
        assert duplicates <= in_flight
