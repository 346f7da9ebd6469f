"""The languages the gateway speaks, how a language tag is read, and the marker for words
that are translated where a person reads them.

Simplified Chinese and English are first-class. English is the source language: every
message is written in English in the code and looked up in the Chinese catalogue
(``gateway/translations``) when shown. Domains do not translate (they know no request);
they mark their words with ``N_`` so that the catalogue extraction finds them, and the web
layer translates them in the language negotiated for the request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

LANGUAGES = ("zh", "en")  # the catalogues' locale names
SOURCE_LANGUAGE = "en"  # what the code is written in
HTML_TAGS = {"zh": "zh-CN", "en": "en"}  # <html lang>: Simplified Chinese as used in China
_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}")  # at most 35 characters
NAMES = {"zh": "中文", "en": "English"}  # each language in its own words, for the switch


def N_(text: str) -> str:
    """Mark *text* for translation and return it unchanged (it is translated where shown)."""
    return text


@dataclass(frozen=True)
class Phrase:
    """Words to be translated where they are read, kept apart from the message around them:
    fixed English (``N_``-marked) with "{name}" for each of *params*. An error's reason is
    one, so that the reason inside a translated message is translated too; read as a
    ``str`` it is the English."""

    text: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text.format(**self.params) if self.params else self.text


def language_of(tag: str) -> str | None:
    """The supported language a tag such as ``zh-CN``, ``zh-Hans`` or ``en-GB`` names, or
    None for another."""
    base = tag.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


def pick_language(preferences: Iterable[str], default: str = SOURCE_LANGUAGE) -> str:
    """The first supported language among *preferences* (best first), else *default*."""
    for tag in preferences:
        found = language_of(tag)
        if found:
            return found
    return default


def require_language(tag: str) -> str:
    """The supported language *tag* (a BCP 47 tag such as ``zh-CN``) names. Raises
    ``ValueError`` for another, or for anything that is not such a tag."""
    found = language_of(tag) if _TAG.fullmatch(tag) else None
    if found is None:
        raise ValueError(f"expected one of {', '.join(HTML_TAGS.values())}")
    return found
