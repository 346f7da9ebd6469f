"""What several instances share besides the store: rate limits (in Redis), and the
retention purge, which runs once in the cluster when two instances start it at once (a
PostgreSQL advisory lock)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select, text

from gateway.store.audit_tables import operations
from tests.cluster import ROOT
from tests.multinode.conftest import QR_START_LIMIT, browser, client_address, needs_cluster

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


def test_a_purge_started_on_both_instances_at_once_runs_once(running):
    before = purged_entries(running)
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "gateway", "purge"]
    environ = running.cluster.environ()
    # Hold the operation log so that whichever purge takes the cluster's lock first stays
    # inside it (it deletes old entries there) while the other one starts: "at once".
    with running.svc.store.engine.connect() as holder:
        holder.execute(text(f'LOCK TABLE "{operations.name}" IN EXCLUSIVE MODE'))
        purges = [subprocess.Popen(command, cwd=ROOT, env=environ, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, start_new_session=True)
                  for _ in ("a", "b")]
        try:
            deadline = time.monotonic() + 60
            while all(p.poll() is None for p in purges) and time.monotonic() < deadline:
                time.sleep(0.05)
            finished = [p for p in purges if p.poll() is not None]
            assert len(finished) == 1, "neither purge gave way to the other"
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
    # The one that gave way purged nothing; the other applied every retention period.
    assert removed.pop(finished[0]) == {}
    assert "operation_log" in removed.popitem()[1]
    assert purged_entries(running) == before + 1
