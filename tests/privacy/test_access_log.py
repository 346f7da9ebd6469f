"""The access log: requests only queue their entries; every entry reaches its day's file,
whole, whichever thread or process wrote it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from gateway.privacy.access_log import AccessLog
from tests.support import FakeClock

ROOT = Path(__file__).resolve().parents[2]


def entry(n: int = 0, **overrides) -> dict:
    return {"method": "GET", "route": "/api/v1/qr-logins/<login_id>", "status": 200,
            "latency_ms": 1.234567, "ip": f"203.0.113.{n % 250}", **overrides}


def test_entries_go_to_the_file_of_their_day_with_the_address_cut(tmp_path):
    clock = FakeClock()
    log = AccessLog(tmp_path, clock)
    log.write(**entry(7))
    first_day = clock.now().date()
    clock.advance(days=1)
    log.write(**entry(8, network_type="wifi"))
    log.flush()
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        f"access-{first_day.isoformat()}.jsonl", f"access-{clock.now().date().isoformat()}.jsonl"]
    [earlier] = log.read(first_day)
    [later] = log.read(clock.now().date())
    assert earlier["ip"] == "203.0.113.0/24" and earlier["latency_ms"] == 1.23
    assert later["network_type"] == "wifi" and later["route"] == "/api/v1/qr-logins/<login_id>"


def test_many_threads_lose_no_entry_and_break_no_line(tmp_path):
    log = AccessLog(tmp_path, FakeClock())

    def requests(thread: int) -> None:
        for n in range(500):
            log.write(**entry(n, route=f"/thread/{thread}"))
            if n % 97 == 0:
                log.flush()  # flushes racing the writers

    threads = [threading.Thread(target=requests, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries = log.read(FakeClock().now().date())  # json.loads fails on a broken line
    assert len(entries) == 8 * 500
    for t in range(8):
        assert sum(e["route"] == f"/thread/{t}" for e in entries) == 500


def test_a_forked_child_writes_its_own_entries_and_not_its_parents_again(tmp_path):
    log = AccessLog(tmp_path, FakeClock())
    log.write(**entry(1, route="/parent"))
    child = os.fork()
    if child == 0:  # pragma: no cover (the child process)
        try:
            log.write(**entry(2, route="/child"))
            log.flush()
        finally:
            os._exit(0)
    os.waitpid(child, 0)
    routes = sorted(e["route"] for e in log.read(FakeClock().now().date()))
    assert routes == ["/child", "/parent"]


def test_what_is_queued_is_written_when_the_process_exits(tmp_path):
    script = (
        "from pathlib import Path\n"
        "from gateway.privacy.access_log import AccessLog\n"
        "from tests.support import FakeClock\n"
        f"log = AccessLog(Path({str(tmp_path)!r}), FakeClock())\n"
        "log.write(method='GET', route='/healthz', status=200, latency_ms=0.5, ip='127.0.0.1')\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=60)
    [written] = tmp_path.glob("access-*.jsonl")
    assert json.loads(written.read_text())["route"] == "/healthz"


def test_a_log_that_cannot_be_written_does_not_fail_the_requests(tmp_path, caplog):
    blocked = tmp_path / "logs"
    blocked.write_text("a file where the folder should be")
    log = AccessLog(blocked, FakeClock())
    log.write(**entry())
    log.flush()
    assert "not written" in caplog.text
