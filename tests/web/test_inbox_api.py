"""The inbox endpoints: the list, the unread count, marking read for the user on every
device, the event stream's start (Last-Event-ID), bad input as problems, the admin's
per-channel counts; and the inbox in the user's export and account deletion."""

from __future__ import annotations

import pytest

from tests.problems import assert_problem

pytestmark = pytest.mark.push_service


@pytest.fixture
def admin(actions, kit):
    actions.create_user("root", role="admin")
    return actions.web_sign_in("root")


def _inbox(client, device, query: str = "") -> dict:
    response = client.get(f"/api/v1/inbox{query}", headers=device.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_list_the_count_and_read_state_shared_by_the_users_devices(kit, client):
    phone, _ = kit.device("alice", consent=False)
    tablet, _ = kit.device("alice", consent=False)
    kit.send("alice", title="One", url="/app/")
    kit.send("alice", title="Two")
    kit.drain()
    listed = _inbox(client, phone)
    assert [m["title"] for m in listed["messages"]] == ["Two", "One"]
    assert listed["unread"] == 2 and listed["messages"][1]["url"] == "/app/"
    newest = listed["messages"][0]["id"]
    marked = client.post("/api/v1/inbox/read", headers=phone.headers, json={"ids": [newest]})
    assert marked.get_json() == {"unread": 1}
    on_tablet = _inbox(client, tablet)
    assert [m["read"] for m in on_tablet["messages"]] == [True, False]
    assert client.get("/api/v1/inbox/unread", headers=tablet.headers).get_json() == {"unread": 1}
    assert client.post("/api/v1/inbox/read-all", headers=tablet.headers).get_json() == \
        {"unread": 0}
    assert _inbox(client, phone, "?unread=true")["messages"] == []
    assert [m["title"] for m in _inbox(client, phone, f"?before={newest}")["messages"]] == ["One"]


def test_another_users_messages_cannot_be_read_or_marked(kit, client):
    alice, _ = kit.device("alice", consent=False)
    mallory, _ = kit.device("mallory", consent=False)
    kit.send("alice", title="Private")
    kit.drain()
    [message] = _inbox(client, alice)["messages"]
    assert _inbox(client, mallory)["messages"] == []
    response = client.post("/api/v1/inbox/read", headers=mallory.headers,
                           json={"ids": [message["id"]]})
    assert response.get_json() == {"unread": 0}
    assert _inbox(client, alice)["unread"] == 1


@pytest.mark.parametrize("call", [
    ("get", "/api/v1/inbox?before=abc", None),
    ("get", "/api/v1/inbox?limit=0", None),
    ("get", "/api/v1/inbox?colour=red", None),
    ("post", "/api/v1/inbox/read", {"ids": []}),
    ("post", "/api/v1/inbox/read", {"ids": ["one"]}),
    ("post", "/api/v1/inbox/read", {"ids": list(range(1, 300))}),
    ("post", "/api/v1/inbox/read", {"ids": [1], "extra": True}),
    ("post", "/api/v1/inbox/read", {"ids": [3566429881421588856832]}),  # no id, no column fits
    ("post", "/api/v1/inbox/read", {"ids": [0]}),
])
def test_bad_input_is_a_problem_and_changes_nothing(kit, client, call):
    device, _ = kit.device("alice", consent=False)
    kit.send("alice")
    kit.drain()
    method, path, body = call
    response = getattr(client, method)(path, headers=device.headers, json=body)
    assert_problem(response, 422, "validation-failed")
    assert _inbox(client, device)["unread"] == 1


def test_without_a_device_token_every_call_is_refused(client):
    for path in ("/api/v1/inbox", "/api/v1/inbox/unread", "/api/v1/inbox/events"):
        assert_problem(client.get(path), 401)
    assert_problem(client.post("/api/v1/inbox/read-all"), 401)


def test_the_event_stream_resumes_after_last_event_id_and_refuses_junk(kit, client):
    device, _ = kit.device("alice", consent=False)
    kit.send("alice", title="Missed while away")
    kit.drain()
    assert_problem(client.get("/api/v1/inbox/events",
                              headers={**device.headers, "Last-Event-ID": "x1"}), 400)
    response = client.get("/api/v1/inbox/events",
                          headers={**device.headers, "Last-Event-ID": "0"}, buffered=False)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    first = next(response.response).decode()
    response.close()
    assert "event: message" in first and "Missed while away" in first
    assert '"unread":1' in first


def test_the_admin_sees_per_notification_channel_counts_and_the_channel_chart(
        kit, client, admin):
    kit.device("alice")  # Web Push
    kit.device("bob", consent=False)  # inbox only
    notification = kit.send("alice", "bob")
    kit.drain()
    response = client.get(f"/api/v1/admin/push/channels?ids={notification}")
    assert response.get_json()["notifications"][notification] == \
        {"webpush": 1, "live": 0, "inbox": 1, "messages": 2}
    chart = client.get("/api/v1/admin/push/channel-stats?hours=1").get_json()
    totals = {c: sum(p["counts"][c] for p in chart["points"]) for c in ("webpush", "live", "inbox")}
    assert totals == {"webpush": 1, "live": 0, "inbox": 2}
    assert_problem(client.get("/api/v1/admin/push/channels?ids=../x"), 422)


def test_the_inbox_is_in_the_export_and_goes_with_the_account(kit, client, actions):
    kit.device("alice", consent=False)
    kit.send("alice", title="Kept for alice")
    kit.drain()
    svc = kit.svc
    user_id = kit.user("alice").id
    with svc.store.read() as connection:
        exported = svc.reactions.exports["inbox"](connection, user_id)
    assert [m["title"] for m in exported] == ["Kept for alice"]
    with svc.store.write() as connection:
        removed = svc.reactions.erasures["push_inbox_messages"](connection, svc.clock, user_id)
    assert removed == {"removed": 1}
    assert svc.inbox.page(user_id) == []


def test_the_inbox_page_is_served(client):
    response = client.get("/app/inbox")
    assert response.status_code == 200 and b"app-inbox" in response.data
