"""A policy version's words per language: both required, read in the reader's language,
and versions recorded before the languages split by the migration (0020)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, update

from gateway import consent
from gateway.consent import first_policy
from gateway.consent.policy_texts import PolicyText, check_texts
from gateway.consent.tables import policy_texts, policy_versions
from gateway.core.errors import InvalidRequest


def test_both_languages_are_required_naming_the_missing_field():
    with pytest.raises(InvalidRequest) as refused:
        check_texts({"zh": PolicyText("变更", "全文")})
    assert refused.value.extensions["field"] == "texts.en.text"
    with pytest.raises(InvalidRequest) as refused:
        check_texts({"zh": PolicyText(" ", "全文"), "en": PolicyText("Changes", "Text")})
    assert refused.value.extensions["field"] == "texts.zh.summary"


def test_a_version_is_read_in_a_language_else_english():
    words = {"zh": PolicyText("变更", "全文"), "en": PolicyText("Changes", "Text")}
    version = consent.PolicyVersion(1, "2.0", "", "", "", (), None, None,
                                    tuple(words.items()))
    assert version.in_language("zh").text == "全文"
    assert version.in_language("fr").text == "Text"


def test_versions_recorded_before_the_languages_are_split_by_the_migration(app):
    svc = app.extensions["gateway"]
    store = svc.store
    store.downgrade("0020-1")  # policy_texts does not exist yet
    whole = f"{first_policy.CHINESE}\n\n---\n\n{first_policy.ENGLISH}"
    with store.write() as connection:
        for seq, (version, text, summary) in enumerate(
                [("1.0", whole, "首个版本 · First version"), ("1.1", "One text only.", "Typos")], 1):
            connection.execute(insert(policy_versions).values(
                seq=seq, version=version, text=text, text_hash=consent.sha256(text),
                summary=summary, effective_at=svc.clock.now(), published_at=svc.clock.now()))
    store.upgrade()
    with store.read() as connection:
        first = consent.get_policy(connection, "1.0")
        other = consent.get_policy(connection, "1.1")
        assert consent.verify_texts(connection) == []
    assert first.in_language("zh") == PolicyText("首个版本", first_policy.CHINESE)
    assert first.in_language("en") == PolicyText("First version", first_policy.ENGLISH)
    assert other.in_language("zh") == other.in_language("en") == PolicyText("Typos",
                                                                            "One text only.")
    with store.write() as connection:  # leave the store as the fixture made it
        connection.execute(delete(policy_texts))
        connection.execute(delete(policy_versions))


def test_an_altered_text_in_one_language_is_found(gateway):
    svc = gateway
    policy = consent.publish_policy(svc.store, svc.clock, svc.catalogue, version="1.0",
                                    texts={"zh": PolicyText("变更", "全文"),
                                           "en": PolicyText("Changes", "Text")}, changes=[])
    with svc.store.write() as connection:
        connection.execute(update(policy_texts).where(policy_texts.c.language == "en")
                           .values(text="Edited"))
        assert consent.verify_texts(connection) == [policy.version]
