"""A policy version's words in each language: the agreement's text and the summary of
what changed, written by the administrator in Chinese and in English. A version is not
published while either language lacks its text or summary; a person reads the one in
their language (English where a version predates the languages)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select

from gateway.consent.tables import policy_texts
from gateway.core.errors import InvalidRequest
from gateway.core.languages import LANGUAGES

MAX_TEXT = 200_000
MAX_SUMMARY = 2_000
SEPARATOR = "\n\n---\n\n"  # between the languages in the version's one document


def _missing(language: str, part: str) -> InvalidRequest:
    """The refusal of a version whose *part* (text or summary) is missing in *language*;
    one message per language, so that it names the missing one in the reader's words."""
    field = f"texts.{language}.{part}"
    if part == "text" and language == "zh":
        return InvalidRequest("Write the agreement's text in Chinese too: a version is "
                              "published in Chinese and English.", field=field, language=language)
    if part == "text":
        return InvalidRequest("Write the agreement's text in English too: a version is "
                              "published in Chinese and English.", field=field, language=language)
    if language == "zh":
        return InvalidRequest("Say in Chinese too what changed.", field=field, language=language)
    return InvalidRequest("Say in English too what changed.", field=field, language=language)


@dataclass(frozen=True)
class PolicyText:
    """A version's summary and full text in one language."""

    summary: str
    text: str

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def check_texts(texts: Mapping[str, PolicyText]) -> dict[str, PolicyText]:
    """The texts of a new version, one per language, stripped of surrounding blanks.
    Raises ``InvalidRequest`` naming the field (``texts.<language>.text`` or
    ``.summary``) of the first language whose text or summary is missing or too long."""
    checked = {}
    for language in LANGUAGES:
        given = texts.get(language) or PolicyText("", "")
        text, summary = given.text.strip(), given.summary.strip()
        fields = {part: f"texts.{language}.{part}" for part in ("text", "summary")}
        if not text:
            raise _missing(language, "text")
        if len(text) > MAX_TEXT:
            raise InvalidRequest("The text has 1 to {most} characters.",
                                 params={"most": MAX_TEXT}, field=fields["text"])
        if not summary:
            raise _missing(language, "summary")
        if len(summary) > MAX_SUMMARY:
            raise InvalidRequest("The summary has 1 to {most} characters.",
                                 params={"most": MAX_SUMMARY},
                                 field=fields["summary"])
        checked[language] = PolicyText(summary, text)
    return checked


def document(texts: Mapping[str, PolicyText]) -> PolicyText:
    """Every language's words in one text (Chinese first), as the version's record."""
    summaries = list(dict.fromkeys(texts[code].summary for code in LANGUAGES if code in texts))
    return PolicyText(" · ".join(summaries),
                      SEPARATOR.join(texts[code].text for code in LANGUAGES if code in texts))


def store_texts(connection: Connection, seq: int, texts: Mapping[str, PolicyText]) -> None:
    """Record the version *seq*'s words in each language."""
    connection.execute(insert(policy_texts), [
        {"policy_seq": seq, "language": code, "summary": found.summary, "text": found.text,
         "text_hash": found.hash} for code, found in texts.items()])


def texts_of(connection: Connection, seqs: list[int]) -> dict[int, dict[str, PolicyText]]:
    """The words of the versions *seqs* in each language they have."""
    found: dict[int, dict[str, PolicyText]] = {}
    rows = connection.execute(select(policy_texts).where(policy_texts.c.policy_seq.in_(seqs)))
    for row in rows:
        found.setdefault(row.policy_seq, {})[row.language] = PolicyText(row.summary, row.text)
    return found


def altered_texts(connection: Connection) -> list[int]:
    """The seqs of versions whose text in some language no longer matches its hash."""
    rows = connection.execute(select(policy_texts.c.policy_seq, policy_texts.c.text,
                                     policy_texts.c.text_hash))
    return sorted({row.policy_seq for row in rows
                   if PolicyText("", row.text).hash != row.text_hash})
