"""A fan-out of 2,000 push messages with two delivery workers on one PostgreSQL, to the
local push service (tests/pushservice.py), which checks every request's VAPID JWT and
decrypts it. One worker is stopped in the middle and another started in its place:

- killed with SIGKILL: every consented device receives the notification, none is lost, and
  a copy goes out twice only for a delivery the dead worker held (its lease ran out and
  another worker took it again); the test counts and prints these duplicates;
- stopped with SIGTERM: it sends and records what it claimed, so each device gets exactly
  one copy.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import pytest
import requests
from sqlalchemy import func, select

from gateway.push.states import CLAIMABLE
from gateway.push.tables import deliveries, notifications
from tests.multinode_support import needs_cluster
from tests.push_population import populate
from tests.pushservice import PushService

pytestmark = [pytest.mark.multinode, needs_cluster]
CONSENTED, WITHDRAWN = 2000, 20
STOP_AFTER = 600  # requests the push service has seen when a worker is stopped
DEADLINE = 120  # seconds the whole fan-out may take at most


def states(running, notification_id: str) -> Counter:
    with running.svc.store.read() as connection:
        return Counter(dict(connection.execute(
            select(deliveries.c.state, func.count())
            .where(deliveries.c.notification_id == notification_id)
            .group_by(deliveries.c.state)).all()))


def delivery_ids(running, notification_id: str, *conditions) -> set[int]:
    with running.svc.store.read() as connection:
        return set(connection.execute(select(deliveries.c.id).where(
            deliveries.c.notification_id == notification_id, *conditions)).scalars())


def wait_until_settled(running, notification_id: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        counts = states(running, notification_id)
        if counts and not any(counts[state] for state in CLAIMABLE):
            return
        time.sleep(0.2)
    raise AssertionError(f"the fan-out did not settle within {DEADLINE} s: {dict(counts)}")


def wait_mid_fan_out(running, service: PushService, notification_id: str, before: int) -> None:
    """Wait until both workers are sending: the notification fully expanded (until then
    one worker may be busy expanding and hold no claim) and a hundred requests more, at
    least STOP_AFTER requests into the fan-out."""
    deadline = time.monotonic() + 60
    while True:
        with running.svc.store.read() as connection:
            if connection.execute(select(notifications.c.expanded_at).where(
                    notifications.c.id == notification_id)).scalar() is not None:
                break
        assert time.monotonic() < deadline, "the notification was never expanded"
        time.sleep(0.02)
    wanted = max(before + STOP_AFTER, service.counts["requests"] + 100)
    assert service.wait_for_requests(wanted, timeout=60), "the workers stopped sending"


@dataclass
class Fleet:
    service: PushService
    phones: list
    key: str  # an integration key with push:send


@pytest.fixture(scope="module")
def fleet(running):
    svc = running.svc
    with PushService(delay=0.05) as service:
        phones = populate(running.app, service, consented=CONSENTED, withdrawn=WITHDRAWN)
        _, key = svc.identity.integrations.create(name="bi-server", scopes=["push:send"],
                                                  created_by=None)
        yield Fleet(service, phones, key)


def send_to_everyone(running, fleet: Fleet, title: str) -> str:
    sent = requests.post(f"{running.a.url}/api/v1/push/notifications", timeout=30,
                         headers={"Authorization": f"Bearer {fleet.key}"},
                         json={"audience": {"kind": "everyone"}, "title": title,
                               "body": "Revenue is up 4 %", "ttl": 900})
    assert sent.status_code == 202, sent.text
    return sent.json()["id"]


def copies(fleet: Fleet, notification_id: str) -> dict[str, int]:
    """How many copies of the notification each phone received."""
    return {phone.device_id: sum(m["notification"] == notification_id
                                 for m in phone.subscription.messages)
            for phone in fleet.phones}


def replace_worker(running, stop):
    """Stop the longest-running worker with *stop* and start another in its place, as a
    supervisor would; returns the new one (not waited for)."""
    victim = running.workers.pop(0)
    stop(victim)
    restarted = running.cluster.worker(f"{victim.name}-next")
    running.workers.append(restarted)
    return restarted


def test_every_consented_device_gets_the_notification_despite_a_killed_worker(
        running, fleet, record_property):
    service = fleet.service
    before = service.counts["requests"]
    started = time.perf_counter()
    notification_id = send_to_everyone(running, fleet, "Q3 is out")
    wait_mid_fan_out(running, service, notification_id, before)
    restarted = replace_worker(running, lambda worker: worker.kill())
    in_flight_at_kill = delivery_ids(running, notification_id, deliveries.c.state == "sending")
    received_at_kill = service.counts["requests"] - before
    assert received_at_kill < CONSENTED, "the kill came after the fan-out"
    running.cluster.ready(restarted)
    wait_until_settled(running, notification_id)
    elapsed = time.perf_counter() - started
    # The progress reads the same on the other instance.
    progress = requests.get(f"{running.b.url}/api/v1/push/notifications/{notification_id}",
                            headers={"Authorization": f"Bearer {fleet.key}"}, timeout=30).json()

    assert states(running, notification_id) == Counter(delivered=CONSENTED)
    assert progress["progress"]["done"] and progress["recipients"] == CONSENTED
    assert service.refusals == []  # every request carried a valid VAPID JWT and decrypted
    received = copies(fleet, notification_id)
    assert all(received[p.device_id] >= 1 for p in fleet.phones if p.consented), "one was lost"
    assert all(p.subscription.requests == 0 for p in fleet.phones if not p.consented)

    # Taken again after the dead worker's lease ran out: exactly what it held when it died.
    reclaimed = delivery_ids(running, notification_id, deliveries.c.attempts > 1)
    mine = delivery_ids(running, notification_id)
    duplicated = {d for d, n in service.deliveries_seen.items() if n > 1 and d in mine}
    assert reclaimed, (f"the killed worker had nothing in flight ({len(in_flight_at_kill)} "
                       f"sending at the kill, {received_at_kill} received): the kill proved nothing")
    assert reclaimed <= in_flight_at_kill
    assert duplicated <= reclaimed  # no other delivery ever went out twice
    assert all(service.deliveries_seen[d] <= 2 for d in mine)
    record_property("fan_out_seconds", round(elapsed, 2))
    record_property("in_flight_at_kill", len(in_flight_at_kill))
    record_property("reclaimed_after_lease", len(reclaimed))
    record_property("duplicates", len(duplicated))
    print(f"\n{CONSENTED} devices, 2 workers, one SIGKILLed after {received_at_kill} requests "
          f"and restarted: all delivered in {elapsed:.1f} s; {len(in_flight_at_kill)} in "
          f"flight at the kill, {len(reclaimed)} taken again after the lease, "
          f"{len(duplicated)} duplicate(s), 0 lost")


def test_a_worker_stopped_mid_fan_out_finishes_its_claims_so_each_device_gets_one_copy(
        running, fleet):
    service = fleet.service
    before = service.counts["requests"]
    notification_id = send_to_everyone(running, fleet, "Q4 is out")
    wait_mid_fan_out(running, service, notification_id, before)
    # SIGTERM, as a deploy stops it: the worker sends and records what it claimed.
    restarted = replace_worker(running, lambda worker: worker.terminate(timeout=30))
    assert service.counts["requests"] - before < CONSENTED, "the stop came after the fan-out"
    running.cluster.ready(restarted)
    wait_until_settled(running, notification_id)

    assert states(running, notification_id) == Counter(delivered=CONSENTED)
    received = copies(fleet, notification_id)
    assert {received[p.device_id] for p in fleet.phones if p.consented} == {1}
    assert all(received[p.device_id] == 0 for p in fleet.phones if not p.consented)
