"""What a partner consent covers (agreement 5, PIPL Art. 23): one recipient (its name,
contact and the host of its webhook), one purpose from a fixed list, and an exact set of
fields. The notice of ``partner_sharing:<name>`` says all of it in every language, so its
hash changes with any of it: a grant made on other terms no longer counts (the user is
asked again, and nothing is sent meanwhile).

Only purposes of operating the system are on the list (agreement 4: no other commercial
use); there is no free-text purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import Connection, select

from gateway.consent.purposes import PARTNER_PREFIX
from gateway.privacy.tables import partner_configs

# purpose -> what it is, per language
PURPOSES = {
    "account_sync": {"en": "keeping your account in the partner system in step with this one",
                     "zh": "使您在合作系统中的账号与本系统保持一致"},
    "single_sign_on": {"en": "signing you in to the partner system",
                       "zh": "让您登录合作系统"},
    "support": {"en": "handling a support request you made",
                "zh": "处理您提出的支持请求"},
}
FIELD_NAMES = {
    "username": {"en": "user name", "zh": "用户名"},
    "display_name": {"en": "display name", "zh": "显示名称"},
    "email": {"en": "e-mail address", "zh": "电子邮箱"},
    "phone": {"en": "phone number", "zh": "手机号码"},
    "groups": {"en": "groups", "zh": "所属用户组"},
}
_TEMPLATES = {
    "en": "Recipient: {recipient} ({contact}), reached at {host}. Purpose: {purpose}. "
          "Sent: {fields}; nothing else.",
    "zh": "接收方：{recipient}（{contact}），地址 {host}。目的：{purpose}。"
          "发送的信息：{fields}；不发送其他信息。",
}
_SEPARATOR = {"en": ", ", "zh": "、"}


@dataclass(frozen=True)
class Terms:
    recipient: str
    contact: str
    host: str
    purpose: str
    fields: tuple[str, ...]

    def text(self, language: str) -> str:
        """The terms as the notice states them in *language* (English when unknown)."""
        language = language if language in _TEMPLATES else "en"
        return _TEMPLATES[language].format(
            recipient=self.recipient, contact=self.contact, host=self.host,
            purpose=PURPOSES[self.purpose][language],
            fields=_SEPARATOR[language].join(FIELD_NAMES[f][language] for f in self.fields))


def terms_of_row(row) -> Terms | None:
    """The terms a partner's configuration row states, None while it lacks any of them."""
    if row is None or not (row.recipient and row.contact and row.purpose):
        return None
    return Terms(row.recipient, row.contact, urlsplit(row.webhook_url).hostname or "",
                 row.purpose, tuple(sorted(row.fields)))


def current_terms(connection: Connection, partner: str) -> Terms | None:
    """The terms sharing with *partner* runs under now (None: not configured fully)."""
    return terms_of_row(connection.execute(
        select(partner_configs).where(partner_configs.c.name == partner)).first())


def notice_terms(connection: Connection, purpose: str, language: str) -> str | None:
    """For the consent notices (wired into the catalogue by ``gateway.build``): what a
    ``partner_sharing:<name>`` purpose covers now, in *language*; None for any other
    purpose, or for a partner whose terms are not all set."""
    if not purpose.startswith(PARTNER_PREFIX):
        return None
    found = current_terms(connection, purpose.removeprefix(PARTNER_PREFIX))
    return found.text(language) if found else None
