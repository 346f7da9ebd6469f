"""The outbox works in batches: a claim, a batch of recorded answers and a consent check
each cost a few statements whatever their size, and the consent memo looks only at the
pairs it is asked about. Counted statements, on the injected clock, never timed."""

from __future__ import annotations

import random
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, insert, select

from gateway import consent
from gateway.build import build_gateway
from gateway.core.tokens import digest, new_id
from gateway.identity.tables import devices, users
from gateway.push import notifications, outbox, recorder, vapid
from gateway.push.consent_check import ConsentMemo
from gateway.push.guard import PruneGuard
from gateway.push.notifications import Audience, Draft
from gateway.push.outcomes import Outcome, OutcomeKind
from gateway.push.tables import deliveries, subscriptions
from tests.push_support import push_settings
from tests.support import both

ORIGIN = "https://push.example.net"
LEASE = timedelta(seconds=20)


@pytest.fixture
def push(settings, clock):
    built = build_gateway(push_settings(settings), clock)
    built.push.ensure_vapid_key()
    yield built
    built.store.dispose()


def populate(gateway, count: int) -> list[tuple[str, str]]:
    """*count* users with one device each, push consent and a subscription; their pairs."""
    clock, now = gateway.clock, gateway.clock.now()
    policy = consent.publish_policy(gateway.store, clock, gateway.catalogue, version="1.0",
                                    texts=both("First", "The agreement."),
                                    changes=[p.name for p in gateway.catalogue])
    shown = consent.notice(gateway.catalogue.get("push"), policy)
    with gateway.store.read() as connection:
        kid = vapid.current_key(connection).kid
    pairs, rows = [], {"users": [], "devices": [], "subs": []}
    for index in range(count):
        user_id, device_id = new_id(), new_id()
        pairs.append((user_id, device_id))
        endpoint = f"{ORIGIN}/push/{index}"
        rows["users"].append(dict(id=user_id, username=f"user{index:04d}", display_name="U",
                                  role="user", password_hash="x",
                                  must_change_password=False, created_at=now))
        rows["devices"].append(dict(id=device_id, user_id=user_id, app_device_id=f"d{index}",
                                    model="Pixel", os="Android", os_version="16",
                                    app_version="1", created_at=now, last_seen_at=now))
        rows["subs"].append(dict(id=new_id(), user_id=user_id, device_id=device_id,
                                 endpoint=endpoint, endpoint_hash=digest(endpoint),
                                 origin=ORIGIN, p256dh="p", auth="a", vapid_kid=kid,
                                 created_at=now, updated_at=now))
    with gateway.store.write() as connection:
        connection.execute(insert(users), rows["users"])
        connection.execute(insert(devices), rows["devices"])
        connection.execute(insert(subscriptions), rows["subs"])
        for user_id, device_id in pairs:
            consent.record(connection, clock, gateway.catalogue, user_id=user_id,
                           device_id=device_id, purpose="push", decision="granted",
                           policy_version=policy.version, notice_hash=shown.hash)
    return pairs


def queue(gateway) -> None:
    """A notification to everyone, expanded into its outbox."""
    notifications.accept(gateway.store, gateway.clock, Draft(
        audience=Audience("everyone"), title="Report", body="Ready"),
        sender_kind="admin", sender_id="admin")
    worker = gateway.push.make_worker(expand_enough=10**9)
    while worker.expand_due():
        pass


@contextmanager
def statements(gateway):
    """The SQL statements run inside the block (BEGIN and COMMIT left out)."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "SELECT PG_")):
            seen.append(statement)

    event.listen(gateway.store.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(gateway.store.engine, "before_cursor_execute", count)


def claim(gateway, limit: int, memo: ConsentMemo | None = None):
    return outbox.claim(gateway.store, gateway.clock, limit=limit, lease=LEASE, memo=memo)


def test_a_claim_takes_many_deliveries_in_the_same_few_statements(push):
    populate(push, 300)
    queue(push)
    memo = ConsentMemo()
    with statements(push) as few:
        assert len(claim(push, 10, memo)) == 10
    with statements(push) as many:
        assert len(claim(push, 290, memo)) == 290
    # Consent is remembered after the first claim, so the second asks one small query.
    assert len(many) <= len(few) <= 10


def test_a_claim_without_memo_checks_consent_per_batch_not_per_delivery(push):
    populate(push, 300)
    queue(push)
    with statements(push) as seen:
        assert len(claim(push, 300)) == 300
    consent_reads = [s for s in seen if "consent_events" in s]
    assert 1 <= len(consent_reads) <= 3


def test_recording_many_answers_costs_the_same_few_statements(push):
    populate(push, 300)
    queue(push)
    jobs = claim(push, 300)

    def record(batch):
        results = [recorder.Result(job, Outcome(OutcomeKind.DELIVERED, 201), 0.05)
                   for job in batch]
        return recorder.record(push.store, push.clock, results, prune_guard=PruneGuard(),
                               rng=random.Random(1))

    with statements(push) as few:
        assert record(jobs[:5]) == {"delivered": 5}
    with statements(push) as many:
        assert record(jobs[5:]) == {"delivered": 295}
    assert len(many) == len(few) <= 8
    with push.store.read() as connection:
        states = connection.execute(select(deliveries.c.state)).scalars().all()
    assert states == ["delivered"] * 300


def test_a_recheck_of_a_batch_is_one_query_while_the_ledger_stands_still(push):
    pairs = populate(push, 300)
    memo = ConsentMemo()
    with push.store.read() as connection:
        assert memo.granted(connection, push.clock, pairs) == set(pairs)
    with statements(push) as seen, push.store.read() as connection:
        assert memo.granted(connection, push.clock, pairs[:256]) == set(pairs[:256])
    assert len(seen) == 1


class CountingDict(dict):
    """A memo that counts how it is read."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.looked_up = 0
        self.walked = 0

    def __contains__(self, key) -> bool:
        self.looked_up += 1
        return super().__contains__(key)

    def keys(self):
        self.walked += 1
        return super().keys()

    def __iter__(self):
        self.walked += 1
        return super().__iter__()


def test_the_memo_looks_only_at_the_pairs_asked_about(push):
    pairs = populate(push, 300)
    memo = ConsentMemo()
    with push.store.read() as connection:
        memo.granted(connection, push.clock, pairs)
        memo._answers = CountingDict(memo._answers)
        assert memo.granted(connection, push.clock, pairs[:3]) == set(pairs[:3])
    # Proportional to the claim (3 pairs), never to the memo (300).
    assert memo._answers.walked == 0
    assert memo._answers.looked_up <= 2 * 3


def test_settling_looks_deliveries_up_by_id_not_through_the_queue_index(push):
    if push.store.dialect != "sqlite":
        pytest.skip("SQLite's query plan")
    populate(push, 300)
    queue(push)
    captured = []

    def keep(conn, cursor, statement, parameters, *args):
        if statement.startswith("UPDATE push_deliveries"):
            captured.append((statement, parameters))

    event.listen(push.store.engine, "before_cursor_execute", keep)
    try:
        claim(push, 300)
    finally:
        event.remove(push.store.engine, "before_cursor_execute", keep)
    [(statement, parameters)] = captured
    with push.store.read() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    detail = " ".join(row[-1] for row in plan)
    assert "ix_push_deliveries_due" not in detail
    assert "PRIMARY KEY" in detail or "rowid" in detail.lower()


def test_the_prune_guard_forgets_answers_that_left_its_window(clock):
    guard = PruneGuard(window=timedelta(minutes=5))
    for _ in range(600):  # ten minutes of answers, none gone: no assessment is ever asked
        guard.observe(ORIGIN, False, clock.now())
        clock.advance(seconds=1)
    assert len(guard._answers[ORIGIN]) <= 301


def test_lists_bound_as_one_value_are_looked_up_by_index_not_scanned(push):
    """Every statement of a fan-out that binds a list as one value (``among``: expansion,
    the inbox, consent, quiet hours, claims, settling, recording) looks each value up
    through an index; SQLite's planner might otherwise walk the whole table per list."""
    if push.store.dialect != "sqlite":
        pytest.skip("SQLite's query plan")
    populate(push, 300)
    captured = []

    def keep(conn, cursor, statement, parameters, *args):
        if "json_each" in statement:
            captured.append((statement, parameters))

    event.listen(push.store.engine, "before_cursor_execute", keep)
    try:
        queue(push)
        jobs = claim(push, 300)
        recorder.record(push.store, push.clock,
                        [recorder.Result(job, Outcome(OutcomeKind.DELIVERED, 201), 0.05)
                         for job in jobs], prune_guard=PruneGuard(), rng=random.Random(1))
    finally:
        event.remove(push.store.engine, "before_cursor_execute", keep)
    tables = {" ".join(statement.split()[:3]) for statement, _ in captured}
    assert len(tables) >= 7, tables  # every kind of statement above was seen
    with push.store.read() as connection:
        for statement, parameters in captured:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}",
                                              parameters).all()
            scans = [row[-1] for row in plan if row[-1].startswith("SCAN")
                     and "json_each" not in row[-1]]
            assert not scans, (statement, scans)


def test_the_outbox_has_no_index_on_a_random_key():
    """Every index of the deliveries begins with a column whose values come in the order
    rows are made (a notification, a state and a moment): an index on a random key (the
    subscription's, the device's) makes every expanded delivery an insert at a random
    place in it, and a fan-out's cost grow with the table."""
    leading = {index.expressions[0].name for index in deliveries.indexes}
    assert leading <= {"notification_id", "state"}, leading
    assert not [c.name for c in deliveries.columns if c.index or c.unique]
