"""Which push services the gateway will call: a host allowlist (after sygnal's
``allowed_endpoints``), the big four by default, operators add their own.

A pattern is a host name (``push.example.com``) or a wildcard for its subdomains
(``*.example.com``, which does not match ``example.com`` itself).
"""

from __future__ import annotations

import re

from gateway.core.languages import N_, Phrase

DEFAULT_HOSTS = (
    "fcm.googleapis.com",  # Chrome, Edge on Android, Opera, Samsung Internet
    "*.push.services.mozilla.com",  # Firefox (updates.push.services.mozilla.com)
    "*.push.apple.com",  # Safari, iOS/iPadOS home-screen apps (web.push.apple.com)
    "*.notify.windows.com",  # Edge on Windows (wns2-*.notify.windows.com)
)

# Who runs each default push service: every notification to a subscription there passes
# through that company's servers, outside the customer's server and often the country.
OPERATORS = (
    ("fcm.googleapis.com", "Google Firebase Cloud Messaging", "Google Firebase 云消息传递"),
    ("*.push.services.mozilla.com", "Mozilla Push Service", "Mozilla 推送服务"),
    ("*.push.apple.com", "Apple Push Notification service", "Apple 推送通知服务"),
    ("*.notify.windows.com", "Microsoft Windows Push Notification Services",
     "Microsoft Windows 推送通知服务"),
)

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_PATTERN = re.compile(rf"^(\*\.)?{_LABEL}(\.{_LABEL})+$")


def check_host_pattern(text: str) -> str:
    """*text* lower-cased if it is a host name or ``*.``-wildcard of one (no scheme, port
    or path); raises ``ValueError`` otherwise."""
    pattern = text.strip().lower().rstrip(".")
    if not _PATTERN.match(pattern):
        raise ValueError(Phrase(N_("“{host}” is not a push service host such as "
                                   "push.example.com or *.example.com"), {"host": text}))
    return pattern


def host_patterns(text: str) -> tuple[str, ...]:
    """A comma-separated list of host patterns, each checked (for the settings)."""
    return tuple(check_host_pattern(item) for item in text.split(",") if item.strip())


def allowed(host: str, patterns: tuple[str, ...] | list[str]) -> bool:
    """Whether *host* matches one of *patterns*."""
    host = host.lower().rstrip(".")
    for pattern in patterns:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


def service_of(host: str, language: str = "en") -> str:
    """Who runs the push service at *host*, in *language* (en, zh): one of the big four
    by name, else the host itself."""
    for pattern, english, chinese in OPERATORS:
        if allowed(host, (pattern,)):
            return chinese if language == "zh" else english
    return f"推送服务 {host}" if language == "zh" else f"the push service at {host}"
