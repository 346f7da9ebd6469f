"""The inbox's live stream across instances: a companion's event stream parked on
instance B (gunicorn, the run command's worker) gets a message sent through instance A and
expanded by a separate push worker, at once, by Redis; and read on A shows on B's stream."""

from __future__ import annotations

import json
import queue
import threading
import time

import pytest
import requests

from tests.multinode_support import needs_cluster
from tests.support import Actions

pytestmark = [pytest.mark.multinode, needs_cluster]


def read_events(response, into: queue.Queue) -> None:
    """Put each (event, data) of the SSE *response* into *into*, until it is closed."""
    kind, data = "message", []
    try:
        for line in response.iter_lines(decode_unicode=True):
            if line == "":
                if data:
                    into.put((kind, json.loads("\n".join(data))))
                kind, data = "message", []
            elif line.startswith("event:"):
                kind = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
    except Exception:  # noqa: BLE001  the test closed the stream under the reader
        pass


def next_event(events: queue.Queue, kind: str, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        found, data = events.get(timeout=left)
        if found == kind:
            return data
    raise AssertionError(f"no {kind} event within {timeout} s")


def test_a_message_sent_on_a_reaches_a_companion_streaming_from_b_at_once(running):
    svc = running.svc
    actions = Actions(running.app, running.app.test_client())
    actions.ensure_policy()
    actions.create_user("inbox-walker")
    phone = actions.device_sign_in("inbox-walker", device_id="inbox-walker-phone")
    admin = actions.create_user("inbox-admin", role="admin")
    assert admin.role == "admin"
    _, key = svc.identity.integrations.create(name="bi-inbox", scopes=["push:send"],
                                              created_by=None)
    stream = requests.get(f"{running.b.url}/api/v1/inbox/events", headers=phone.headers,
                          stream=True, timeout=(5, 30))
    assert stream.status_code == 200, stream.text
    events: queue.Queue = queue.Queue()
    threading.Thread(target=read_events, args=(stream, events), daemon=True).start()
    assert next_event(events, "unread") == {"unread": 0}
    started = time.perf_counter()
    sent = requests.post(f"{running.a.url}/api/v1/push/notifications", timeout=30,
                         headers={"Authorization": f"Bearer {key}"},
                         json={"audience": {"kind": "users", "users": ["inbox-walker"]},
                               "title": "Across instances", "body": "From A to B"})
    assert sent.status_code == 202, sent.text
    arrived = next_event(events, "message")
    elapsed = time.perf_counter() - started
    assert arrived["message"]["title"] == "Across instances" and arrived["unread"] == 1
    print(f"sent on A, shown on B's stream after {elapsed * 1000:.0f} ms")
    marked = requests.post(f"{running.a.url}/api/v1/inbox/read-all", headers=phone.headers,
                           timeout=10)
    assert marked.json() == {"unread": 0}
    assert next_event(events, "read") == {"all": True, "unread": 0}
    stream.close()
