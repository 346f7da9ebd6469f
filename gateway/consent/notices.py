"""Notices: the text shown before asking for a purpose, in the user's language, and the
proof that it (or a policy announcement) was shown.

A decision carries the SHA-256 of the notice it answered; the ledger refuses a hash that
is not the one this gateway serves for that purpose, policy version and language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, exists, insert, select

from gateway.consent.policies import PolicyVersion, sha256
from gateway.consent.purposes import DEFAULT_LANGUAGE, LANGUAGES, Catalogue, Purpose
from gateway.consent.tables import notices_served, policy_acknowledgements
from gateway.core import languages
from gateway.core.clock import Clock
from gateway.core.errors import InvalidRequest

_TEMPLATES = {
    "en": ("{title}. {why} Needed for: {function}. Data: {data}. {sensitive}"
           "Refusing only turns off this function; everything else keeps working. You can "
           "withdraw at any time in the app's settings. Policy version {version}."),
    "zh": ("{title}。{why}用于：{function}。涉及的数据：{data}。{sensitive}"
           "拒绝只会关闭此功能，其他功能照常使用。您可以随时在应用的设置中撤回同意。"
           "政策版本 {version}。"),
}
_SENSITIVE = {
    "en": "This is sensitive personal information: it is asked for separately and used "
          "for this purpose only. ",
    "zh": "这属于敏感个人信息：我们单独征求您的同意，并仅用于此目的。",
}
_SEPARATOR = {"en": "; ", "zh": "；"}
_KEPT = {"en": "Kept for {days} days. ", "zh": "保存 {days} 天。"}


@dataclass(frozen=True)
class Notice:
    purpose: str
    policy_version: str
    language: str
    text: str

    @property
    def hash(self) -> str:
        return sha256(self.text)


def pick_language(preferences: Iterable[str]) -> str:
    """The first supported language among *preferences* (best first), else English."""
    return languages.pick_language(preferences, DEFAULT_LANGUAGE)


def require_language(code: str) -> str:
    """The supported language *code* names. Raises ``InvalidRequest`` for another."""
    found = languages.language_of(code)
    if found is None:
        raise InvalidRequest("Notices exist in {languages} only.",
                             params={"languages": ", ".join(LANGUAGES)}, field="language")
    return found


def notice_text(purpose: Purpose, policy: PolicyVersion, language: str = DEFAULT_LANGUAGE,
                terms: str | None = None) -> str:
    """The notice the app shows before asking for *purpose* under *policy*, stating the
    *terms* it covers now when it has any (a partner's recipient, purpose and fields)."""
    language = language if language in _TEMPLATES else DEFAULT_LANGUAGE
    wording = purpose.wording(language)
    text = _TEMPLATES[language].format(
        title=wording.title, why=wording.why, function=wording.function,
        data=_SEPARATOR[language].join(wording.data),
        sensitive=(_SENSITIVE[language] if purpose.sensitive else "")
        + (_KEPT[language].format(days=purpose.kept_days) if purpose.kept_days else ""),
        version=policy.version,
    )
    return f"{text} {terms}" if terms else text


def notice(purpose: Purpose, policy: PolicyVersion, language: str = DEFAULT_LANGUAGE,
           terms: str | None = None) -> Notice:
    """The notice for *purpose* under *policy* in *language*, with its hash."""
    return Notice(purpose.name, policy.version, language,
                  notice_text(purpose, policy, language, terms))


def current_notice(connection: Connection, catalogue: Catalogue, purpose: Purpose,
                   policy: PolicyVersion, language: str = DEFAULT_LANGUAGE) -> Notice:
    """The notice for *purpose* under *policy* with the terms it covers now."""
    return notice(purpose, policy, language, catalogue.terms(connection, purpose.name, language))


def serve_notice(connection: Connection, clock: Clock, *, user_id: str, device_id: str,
                 purpose: str | None, policy: PolicyVersion, notice_hash: str,
                 language: str = DEFAULT_LANGUAGE) -> bool:
    """Record that a notice (or, with *purpose* None, the policy itself) was shown to the
    device, once: the first showing is the evidence, repeats add nothing. Returns whether
    a row was written."""
    shown = connection.execute(select(exists().where(
        notices_served.c.device_id == device_id,
        notices_served.c.purpose.is_(None) if purpose is None
        else notices_served.c.purpose == purpose,
        notices_served.c.policy_version == policy.version,
        notices_served.c.notice_hash == notice_hash,
        notices_served.c.user_id == user_id,
    ))).scalar()
    if not shown:
        connection.execute(insert(notices_served).values(
            user_id=user_id, device_id=device_id, purpose=purpose,
            policy_version=policy.version, notice_hash=notice_hash, language=language,
            served_at=clock.now()))
    return not shown


def notices_shown(connection: Connection, *, user_id: str, device_id: str) -> list[dict]:
    """Every notice recorded as shown on the device, oldest first."""
    rows = connection.execute(
        select(notices_served).where(notices_served.c.user_id == user_id,
                                     notices_served.c.device_id == device_id)
        .order_by(notices_served.c.id))
    return [dict(row._mapping) for row in rows]


def acknowledge_policy(connection: Connection, clock: Clock, *, user_id: str, device_id: str,
                       policy: PolicyVersion) -> None:
    """Record that the user saw the announcement of *policy* (clause 6) on the device."""
    connection.execute(insert(policy_acknowledgements).values(
        user_id=user_id, device_id=device_id, policy_version=policy.version,
        acknowledged_at=clock.now()))


def policy_seen(connection: Connection, *, user_id: str, version: str) -> bool:
    """Whether the user acknowledged *version* on any of their devices."""
    return bool(connection.execute(select(exists().where(
        policy_acknowledgements.c.user_id == user_id,
        policy_acknowledgements.c.policy_version == version))).scalar())
