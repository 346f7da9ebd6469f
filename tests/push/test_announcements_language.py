"""The gateway's own announcements reach each person in their language: the one they chose
with the pages' switch, else the one their phone asks for, else the deployment's default."""

from __future__ import annotations

import pytest

from gateway.core.catalogues import translate
from gateway.core.languages import N_
from gateway.core.useragent import Requester
from gateway.push import announcements

pytestmark = pytest.mark.push_service

CHANGED = N_("The user agreement changed (version {version})")
SIGN_IN = N_("New sign-in")
CHROME = Requester(browser="Chrome 131", os="Windows", network="198.51.100.0/24", place=None,
                   country=None)


def choose(client, device, language):
    answer = client.put("/api/v1/language", json={"language": language}, headers=device.headers)
    assert answer.status_code == 204


def test_a_new_version_is_announced_to_each_reader_in_their_language(client, actions, kit):
    alice, alices = kit.device("alice")
    bob, bobs = kit.device("bob")
    choose(client, alice, "zh-CN")
    policy = actions.publish_policy(version="2.0", changes=[])
    svc = kit.svc
    announcements.policy_published(svc.store, svc.clock, policy)
    kit.settle()
    assert [m["title"] for m in alices.messages] == [translate("zh", CHANGED, version="2.0")]
    assert [m["title"] for m in bobs.messages] == [CHANGED.format(version="2.0")]
    assert alices.messages[0]["title"] != bobs.messages[0]["title"]


def test_one_who_chose_no_language_hears_in_the_deployments_default(client, actions, kit):
    _, alices = kit.device("alice")
    policy = actions.publish_policy(version="2.0", changes=[])
    svc = kit.svc
    announcements.policy_published(svc.store, svc.clock, policy, default_language="zh")
    kit.settle()
    assert [m["title"] for m in alices.messages] == [translate("zh", CHANGED, version="2.0")]


def test_a_new_phone_is_told_in_the_owners_language(client, actions, kit):
    alice, alices = kit.device("alice")
    choose(client, alice, "zh")
    svc = kit.svc
    announcements.phone_connected(svc.store, svc.clock, user_id=alice.user_id,
                                  model="Pixel 8", notice_id="n-1")
    kit.settle()
    (message,) = alices.messages
    assert message["title"] == translate("zh", N_("A new phone was connected"))
    assert message["body"] == translate("zh", N_("{model} can now use your account."),
                                        model="Pixel 8")
    assert "Pixel 8" in message["body"]


def test_a_new_sign_in_names_the_browser_and_place_as_the_owners_language_writes_them(
        client, actions, kit):
    alice, alices = kit.device("alice")
    _, bobs = kit.device("bob")
    choose(client, alice, "zh")
    svc = kit.svc
    requester = Requester(browser="Chrome 131", os="Windows", network="198.51.100.0/24",
                          place="Changchun, China", country="CN",
                          place_names={"zh": "中国长春"})
    announcements.new_sign_in(svc.store, svc.clock, user_id=alice.user_id,
                              requester=requester, notice_id="n-1")
    announcements.new_sign_in(svc.store, svc.clock, user_id=kit.user("bob").id,
                              requester=requester, notice_id="n-2")
    kit.settle()
    (chinese,), (english,) = alices.messages, bobs.messages
    assert chinese["title"] == translate("zh", N_("New sign-in"))
    assert "中国长春" in chinese["body"] and "Changchun" not in chinese["body"]
    assert " on " not in chinese["body"]  # no English left inside the Chinese sentence
    assert "Chrome 131" in chinese["body"] and "Windows" in chinese["body"]
    assert english["body"] == ("New sign-in on Chrome 131 (Windows) in Changchun, China. "
                               "Not you? Revoke it.")


def test_the_gateways_own_topic_is_named_in_the_readers_language(client, actions, kit):
    alice, _ = kit.device("alice")
    announcements.ensure_policy_topic(kit.svc.store, kit.svc.clock)

    def policy_topic(language):
        listed = client.get("/api/v1/push/topics", headers={**alice.headers,
                                                            "Accept-Language": language})
        return next(t for t in listed.get_json()["topics"]
                    if t["name"] == announcements.POLICY_TOPIC)

    title, description = announcements.POLICY_TOPIC_WORDS
    chinese = policy_topic("zh-CN")
    assert (chinese["title"], chinese["description"]) == (translate("zh", title),
                                                           translate("zh", description))
    assert chinese["title"] != title
    assert policy_topic("en")["title"] == title
    actions.create_user("root", role="admin")
    admin = actions.web_sign_in("root")
    console = client.get("/api/v1/admin/push/topics", headers={**admin,
                                                                "Accept-Language": "zh-CN"})
    assert translate("zh", title) in [t["title"] for t in console.get_json()["topics"]]
    # An admin's own words for it are shown as written, in every language.
    renamed = client.put(f"/api/v1/admin/push/topics/{announcements.POLICY_TOPIC}",
                         headers=admin, json={"title": "用户协议", "description": "",
                                              "ttl": 3600, "urgency": "normal"})
    assert renamed.status_code == 200, renamed.get_json()
    assert policy_topic("en")["title"] == "用户协议"


def test_an_admins_test_notification_is_in_the_language_of_their_page(client, actions, kit):
    actions.create_user("root", role="admin")
    admin = actions.web_sign_in("root")
    _, roots = kit.device("root")
    sent = client.post("/api/v1/admin/push/test", json={},
                       headers={**admin, "Accept-Language": "zh-CN"})
    assert sent.status_code == 202, sent.get_json()
    kit.settle()
    (message,) = roots.messages
    assert message["title"] == translate("zh", N_("Test notification")) != "Test notification"
    assert message["body"] == translate(
        "zh", N_("If you can read this, push works on this device."))


def announce_sign_in_and_policy(kit, actions, *users):
    """A browser signs in to each of *users*, then version 2.0 of the agreement is
    published, announced as the gateway does (with its default language)."""
    svc = kit.svc
    for number, user in enumerate(users):
        announcements.new_sign_in(svc.store, svc.clock, user_id=user.user_id, requester=CHROME,
                                  notice_id=f"n-{number}",
                                  default_language=svc.settings.default_language)
    policy = actions.publish_policy(version="2.0", changes=[])
    announcements.policy_published(svc.store, svc.clock, policy,
                                   default_language=svc.settings.default_language)
    kit.settle()


def titles(subscription):
    return sorted(m["title"] for m in subscription.messages)


def test_one_who_never_chose_hears_in_the_language_their_phone_asks_for(client, actions, kit):
    assert kit.svc.settings.default_language == "en"
    alice, alices = kit.device("alice", accept_language="zh-CN,zh;q=0.9,en;q=0.5")
    bob, bobs = kit.device("bob", accept_language="en-GB,en;q=0.8")
    announce_sign_in_and_policy(kit, actions, alice, bob)
    assert titles(alices) == sorted([translate("zh", SIGN_IN),
                                     translate("zh", CHANGED, version="2.0")])
    assert titles(bobs) == sorted([SIGN_IN, CHANGED.format(version="2.0")])
    (signed_in,) = [m["body"] for m in alices.messages
                    if m["title"] == translate("zh", SIGN_IN)]
    assert signed_in == translate("zh", N_("New sign-in on {browser}. Not you? Revoke it."),
                                  browser=translate("zh", N_("{browser} ({os})"),
                                                    browser="Chrome 131", os="Windows"))


def test_a_choice_made_with_the_switch_wins_over_the_phones_language(client, actions, kit):
    alice, alices = kit.device("alice", accept_language="zh-CN")
    bob, bobs = kit.device("bob", accept_language="en")
    choose(client, alice, "en")
    choose(client, bob, "zh-CN")
    announce_sign_in_and_policy(kit, actions, alice, bob)
    assert titles(alices) == sorted([SIGN_IN, CHANGED.format(version="2.0")])
    assert titles(bobs) == sorted([translate("zh", SIGN_IN),
                                   translate("zh", CHANGED, version="2.0")])


def test_a_choice_saved_from_a_browser_wins_over_the_phones_language(client, actions, kit):
    alice, alices = kit.device("alice", accept_language="zh-CN")
    browser = actions.web_sign_in("alice")
    chosen = client.put("/api/v1/language", json={"language": "en"}, headers=browser)
    assert chosen.status_code == 204
    announce_sign_in_and_policy(kit, actions, alice)
    assert titles(alices) == sorted([SIGN_IN, CHANGED.format(version="2.0")])


@pytest.mark.parametrize("seen", ["refresh", "report"])
def test_the_phone_is_heard_again_each_time_it_is_seen(client, actions, kit, seen):
    alice, alices = kit.device("alice")  # signed in asking for no language
    asking = {"Accept-Language": "zh-CN"}
    if seen == "refresh":
        answer = client.post("/api/v1/auth/refresh", headers=asking,
                             json={"refresh_token": alice.refresh_token})
    else:
        answer = client.post("/api/v1/devices/current/report", headers={**alice.headers,
                                                                         **asking},
                             json={"model": "Pixel 9", "os": "Android", "os_version": "15",
                                   "app_version": "1.0"})
    assert answer.status_code == 200, answer.get_json()
    announce_sign_in_and_policy(kit, actions, alice)
    assert titles(alices) == sorted([translate("zh", SIGN_IN),
                                     translate("zh", CHANGED, version="2.0")])


def test_the_phone_seen_last_speaks_for_its_owner(client, actions, kit, clock):
    alice, alices = kit.device("alice", accept_language="en")
    clock.advance(60)
    _, newer = kit.device("alice", accept_language="zh-CN")
    announce_sign_in_and_policy(kit, actions, alice)
    chinese = sorted([translate("zh", SIGN_IN), translate("zh", CHANGED, version="2.0")])
    assert titles(alices) == titles(newer) == chinese
