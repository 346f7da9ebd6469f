"""What several instances share besides the store: rate limits (in Redis); and the
retention purge, which purges the shared store once (a PostgreSQL advisory lock, and a
schedule that looks when the store was last purged) and each machine's own access log
files, whether the instances' schedules or two operators start it at once."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select, text

from gateway.core.audit_tables import operations
from tests.cluster import ROOT
from tests.multinode_support import QR_START_LIMIT, browser, client_address, needs_cluster

pytestmark = [pytest.mark.multinode, needs_cluster]


def test_a_rate_limit_reached_on_a_holds_on_b(running):
    address = client_address()
    on_a, on_b = browser(address), browser(address)
    for _ in range(QR_START_LIMIT):
        assert on_a.post(f"{running.a.url}/api/v1/qr-logins", json={},
                         timeout=10).status_code == 201
    refused = on_b.post(f"{running.b.url}/api/v1/qr-logins", json={}, timeout=10)
    assert refused.status_code == 429, refused.text
    assert refused.headers["Content-Type"] == "application/problem+json"
    # The limit is per address: another client on B is not held back.
    assert browser().post(f"{running.b.url}/api/v1/qr-logins", json={},
                          timeout=10).status_code == 201


def purged_entries(running) -> int:
    with running.svc.store.read() as connection:
        return connection.execute(select(func.count()).select_from(operations)
                                  .where(operations.c.action == "retention.purged")).scalar_one()


def scheduled_purges(instance) -> list[dict]:
    """What the instance's scheduled purge removed, each round (from its log)."""
    rounds = []
    for line in instance.process.log.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"retention purge done"' in line:
            rounds.append(json.loads(line)["removed"])
    return rounds


def test_the_scheduled_purges_of_both_instances_purged_the_store_once(running):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(
            scheduled_purges(instance) for instance in (running.a, running.b)):
        time.sleep(0.1)
    rounds = [scheduled_purges(instance) for instance in (running.a, running.b)]
    assert all(rounds), "an instance's scheduled purge did not run (see its log)"
    first_rounds = [instance_rounds[0] for instance_rounds in rounds]
    # Both started at once: one purged the shared store; the other, finding the lock taken
    # or the store purged moments ago, removed only its own old access log files.
    assert sorted("sessions" in removed for removed in first_rounds) == [False, True]
    assert {"access_log_files": 0} in first_rounds
    assert purged_entries(running) == 1


def test_a_purge_started_on_two_machines_at_once_purges_the_store_once_and_each_ones_files(
        running, tmp_path):
    before = purged_entries(running)
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "gateway", "purge"]
    old_logs = []
    for machine in ("a", "b"):  # each machine has an instance folder (and access log) of its own
        old_log = tmp_path / machine / "logs" / "access-2020-01-01.jsonl"
        old_log.parent.mkdir(parents=True)
        old_log.write_text("{}\n")
        old_logs.append(old_log)
    # Hold the operation log so that whichever purge takes the cluster's lock first stays
    # inside it (it deletes old entries there) while the other one starts: "at once".
    with running.svc.store.engine.connect() as holder:
        holder.execute(text(f'LOCK TABLE "{operations.name}" IN EXCLUSIVE MODE'))
        purges = [subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**running.cluster.environ(), "GATEWAY_INSTANCE_PATH": str(log.parents[1])})
            for log in old_logs]
        try:
            deadline = time.monotonic() + 60
            while all(p.poll() is None for p in purges) and time.monotonic() < deadline:
                time.sleep(0.05)
            gave_way = [p for p in purges if p.poll() is not None]
            assert len(gave_way) == 1, "neither purge gave way to the other"
            holder.rollback()  # let the one holding the lock finish
            for purge in purges:
                purge.wait(timeout=60)
        finally:
            for purge in purges:
                if purge.poll() is None:
                    purge.kill()
    removed = {}
    for purge in purges:
        out, err = purge.communicate()
        assert purge.returncode == 0, err[-2000:]
        removed[purge] = json.loads(out[out.index("{"):])["removed"]
    # The one that gave way removed only its own machine's old access log; the other one
    # applied every retention period, and recorded so once.
    assert removed.pop(gave_way[0]) == {"access_log_files": 1}
    assert "operation_log" in removed.popitem()[1]
    assert purged_entries(running) == before + 1
    assert not any(log.exists() for log in old_logs)
