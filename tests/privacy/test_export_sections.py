"""The export's sections are named for people in their language; the keys never change."""

from __future__ import annotations

from gateway.privacy import sections


def test_every_section_of_the_export_has_a_name(app):
    exported = set(app.extensions["gateway"].reactions.exports)
    assert exported - set(sections.NAMES) == set(), "name the new section in gateway/privacy/sections.py"


def test_the_names_follow_the_readers_language_and_the_keys_stay(client, actions):
    actions.create_user("alice")
    alice = actions.device_sign_in()
    english = client.get("/api/v1/me/export", headers={**alice.headers, "Accept-Language": "en"})
    chinese = client.get("/api/v1/me/export",
                         headers={**alice.headers, "Accept-Language": "zh-CN"}).get_json()
    english = english.get_json()
    assert set(english) == set(chinese)  # the same keys in every language
    assert english["section_names"]["devices"] == "Your phones"
    assert chinese["section_names"]["devices"] == "您的手机"
    assert set(chinese["section_names"]) <= set(chinese)  # each names a key of the file
