"""The in-app inbox: every notification addressed to a user is kept for them, with or
without push consent, minus their topic opt-outs; read state is the user's; the live
stream's receipts and the channel counts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from gateway.core.events import RESYNC
from gateway.push import channels, inbox, notifications, topics
from gateway.push.inbox_tables import inbox_messages
from gateway.push.notifications import Audience, Draft
from gateway.web.inbox_stream import RESYNC_SPREAD_MS, InboxStream
from gateway.web.waiting import RETRY_MS

pytestmark = pytest.mark.push_service


def _titles(kit, username: str) -> list[str]:
    return [m.title for m in kit.svc.inbox.page(kit.user(username).id)]


def test_every_audience_kind_reaches_the_inbox(kit):
    kit.device("alice")
    kit.user("bob")  # no device at all: the inbox still keeps it
    kit.user("carol")
    kit.svc.identity.accounts.set_groups(kit.user("carol").id, ("sales",))
    kit.send("alice", title="To alice")
    notifications.accept(kit.svc.store, kit.clock, Draft(Audience("groups", groups=("sales",)),
                                                         title="To sales"),
                         sender_kind="admin", sender_id=kit.user("root").id)
    kit.send(kind="everyone", title="To everyone")
    kit.drain()
    assert _titles(kit, "alice") == ["To everyone", "To alice"]
    assert _titles(kit, "bob") == ["To everyone"]
    assert _titles(kit, "carol") == ["To everyone", "To sales"]
    assert kit.svc.inbox.unread(kit.user("bob").id) == 1


def test_a_device_without_push_consent_gets_no_request_but_the_inbox_has_it(kit, service):
    _, refusing = kit.device("bob", consent=False)
    notification = kit.send("bob", title="Report ready")
    kit.drain()
    assert refusing.requests == 0 and kit.states(notification) == {}
    [message] = kit.svc.inbox.page(kit.user("bob").id)
    assert message.title == "Report ready" and message.read_at is None
    with kit.svc.store.read() as connection:
        reached = channels.reached(connection, [notification])[notification]
    assert reached == {"webpush": 0, "live": 0, "inbox": 1, "messages": 1}


def test_topic_opt_outs_apply_to_the_inbox(kit):
    kit.device("alice")
    kit.device("bob")
    topics.save(kit.svc.store, kit.clock, name="sales", title="Sales", description="",
                ttl=3600, urgency="normal", actor=None)
    topics.set_opt_out(kit.svc.store, kit.clock, user_id=kit.user("bob").id, topic="sales",
                       out=True)
    kit.send(kind="topic", topic="sales", title="Sales news")
    kit.drain()
    assert _titles(kit, "alice") == ["Sales news"]
    assert _titles(kit, "bob") == []


def test_read_state_is_the_users_and_is_announced_to_every_open_companion(kit):
    kit.device("alice")
    alice = kit.user("alice").id
    kit.send("alice", title="One")
    kit.send("alice", title="Two")
    kit.drain()
    first, second = kit.svc.inbox.page(alice)
    with kit.svc.events.subscribe(inbox.channel(alice)) as heard:
        assert kit.svc.inbox.mark_read(alice, [first.id]) == 1
        assert heard.get(0) == {"kind": "read", "ids": [first.id], "unread": 1}
        assert kit.svc.inbox.mark_read(kit.user("mallory").id, [second.id]) == 0
        assert kit.svc.inbox.unread(alice) == 1  # another user's marks change nothing
        assert kit.svc.inbox.mark_all_read(alice) == 0
        assert heard.get(0) == {"kind": "read", "all": True, "unread": 0}


def test_a_new_message_is_announced_after_its_expansion_commits(kit):
    kit.device("alice")
    alice = kit.user("alice").id
    with kit.svc.events.subscribe(inbox.channel(alice)) as heard:
        kit.send("alice", title="Hello")
        kit.drain()
        event = heard.get(0)
    assert event["kind"] == "message" and event["unread"] == 1
    assert event["message"]["title"] == "Hello"
    [kept] = kit.svc.inbox.page(alice)
    assert event["message"] == kept.shown()


def test_each_user_hears_of_their_own_message_as_the_list_shows_it(kit):
    names = ["alice", "bob", "carol"]
    ids = {name: kit.user(name).id for name in names}
    kit.send("bob", title="Earlier")  # bob has one unread already
    kit.drain()
    with kit.svc.events.subscribe(inbox.channel(ids["alice"])) as alice, \
            kit.svc.events.subscribe(inbox.channel(ids["bob"])) as bob, \
            kit.svc.events.subscribe(inbox.channel(ids["carol"])) as carol:
        kit.send(*names, title="To three", body="Hello", url="https://bi.example.com/r/1")
        kit.drain()
        heard = {"alice": alice.get(0), "bob": bob.get(0), "carol": carol.get(0)}
    for name in names:
        newest = kit.svc.inbox.page(ids[name])[0]
        assert heard[name]["message"] == newest.shown()
    assert len({heard[name]["message"]["id"] for name in names}) == 3
    assert [heard[name]["unread"] for name in names] == [1, 2, 1]


def test_the_live_stream_writes_new_messages_and_resumes_after_last_event_id(kit):
    device, _ = kit.device("alice", consent=False)
    alice = kit.user("alice").id
    svc = kit.svc
    kit.send("alice", title="Before")
    kit.drain()
    stream = InboxStream(svc.events, svc.inbox, svc.live_receipts, user_id=alice,
                         device_id=device.device_id, last_event_id=None)
    opening = stream.start()
    assert "event: unread" in opening and '"unread":1' in opening
    assert "Before" not in opening  # a first connection reads the list, not the stream
    notification = kit.send("alice", title="Live one")
    kit.drain()
    frames = stream.step(stream.take())
    assert "event: message" in frames and "Live one" in frames
    stream.close()
    svc.live_receipts.flush()  # what its timer does a moment later
    with svc.store.read() as connection:
        reached = channels.reached(connection, [notification])[notification]
    assert reached["live"] == 1 and reached["inbox"] == 0
    assert [(r.channel, r.state) for r in kit.deliveries(notification)] == [("live", "delivered")]
    # Reconnecting after the first message resends what came since, once.
    [newest, oldest] = svc.inbox.page(alice)
    again = InboxStream(svc.events, svc.inbox, svc.live_receipts, user_id=alice,
                        device_id=device.device_id, last_event_id=oldest.id)
    resumed = again.start()
    assert f"id: {newest.id}" in resumed and "Live one" in resumed and "Before" not in resumed
    again.close()
    svc.live_receipts.flush()
    assert len(kit.deliveries(notification)) == 1  # the second receipt is not a second row


def test_the_stream_ends_after_its_lifetime_so_the_companion_reconnects(kit):
    device, _ = kit.device("alice", consent=False)
    now = [0.0]
    stream = InboxStream(kit.svc.events, kit.svc.inbox, kit.svc.live_receipts,
                         user_id=kit.user("alice").id, device_id=device.device_id,
                         last_event_id=None, lifetime=timedelta(seconds=30),
                         timer=lambda: now[0])
    stream.start()
    assert stream.step(None) == ": heartbeat\n\n"
    now[0] = 31
    assert stream.step(None) == "" and stream.done


def _open_stream(kit, device) -> InboxStream:
    stream = InboxStream(kit.svc.events, kit.svc.inbox, kit.svc.live_receipts,
                         user_id=device.user_id, device_id=device.device_id, last_event_id=None)
    stream.start()
    return stream


def test_revoking_the_device_ends_its_open_stream_at_once(kit):
    device, _ = kit.device("alice", consent=False)
    other, _ = kit.device("alice", consent=False)
    stream, others = _open_stream(kit, device), _open_stream(kit, other)
    kit.svc.identity.devices.revoke(device.user_id, device.device_id)
    assert stream.step(stream.take()) == "" and stream.done
    kit.send("alice", title="After the revocation")
    kit.drain()
    assert stream.take() is None  # it no longer listens
    assert "After the revocation" in others.step(others.take())  # the other device does
    others.close()


def test_after_events_may_have_been_lost_the_stream_ends_and_its_companion_comes_back_later(
        kit):
    device, _ = kit.device("alice", consent=False)
    stream = _open_stream(kit, device)
    kit.svc.events.broadcast(RESYNC)  # what the Redis bus does once it is back
    frames = stream.step(stream.take())
    assert stream.done and re.fullmatch(r"retry: (\d+)\n\n", frames)
    # Each stream picks its own pause, so that thousands do not come back at once.
    assert RETRY_MS <= int(frames.split()[1]) <= RESYNC_SPREAD_MS
    assert stream.take() is None  # it no longer listens


def test_signing_the_device_out_ends_its_open_stream(kit, client):
    device, _ = kit.device("alice", consent=False)
    stream = _open_stream(kit, device)
    assert client.post("/api/v1/auth/sign-out", headers=device.headers).status_code == 204
    assert stream.step(stream.take()) == "" and stream.done


def test_a_reused_refresh_token_ends_the_devices_open_stream(kit, client):
    device, _ = kit.device("alice", consent=False)
    stream = _open_stream(kit, device)
    body = {"refresh_token": device.refresh_token}
    assert client.post("/api/v1/auth/refresh", json=body).status_code == 200
    assert client.post("/api/v1/auth/refresh", json=body).status_code == 401  # a thief's reuse
    assert stream.step(stream.take()) == "" and stream.done


def test_disabling_the_account_ends_its_open_streams(kit):
    device, _ = kit.device("alice", consent=False)
    stream = _open_stream(kit, device)
    kit.svc.identity.administration.set_disabled(device.user_id, True,
                                                  actor=kit.user("root").id)
    assert stream.step(stream.take()) == "" and stream.done


def test_retention_purges_old_messages_read_or_not(kit):
    kit.device("alice")
    kit.send("alice")
    kit.drain()
    cutoff = kit.clock.now() + timedelta(seconds=1)
    with kit.svc.store.write() as connection:
        assert inbox.purge(connection, kit.clock, cutoff, dry_run=True) == 1
        assert inbox.purge(connection, kit.clock, cutoff, dry_run=False) == 1
        assert connection.execute(inbox_messages.select()).all() == []
