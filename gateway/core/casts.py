"""How the text of a ``GATEWAY_*`` variable becomes a setting's value: one strict cast per
kind of setting. Each raises ``ValueError`` saying what it expected; ``Settings`` adds the
variable's name.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def flag(text: str) -> bool:
    """true/false, yes/no, on/off or 1/0, in any case. Raises ``ValueError``."""
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected one of true/false, yes/no, on/off, 1/0")


def positive_int(text: str) -> int:
    """A whole number above zero. Raises ``ValueError``."""
    value = int(text.strip(), 10)
    if value <= 0:
        raise ValueError("expected a whole number above zero")
    return value


def count(text: str) -> int:
    """A whole number, zero or more. Raises ``ValueError``."""
    value = int(text.strip(), 10)
    if value < 0:
        raise ValueError("expected a whole number, zero or more")
    return value


def http_url(text: str) -> str:
    """An absolute http(s) URL without query or fragment, its trailing slash removed.
    Raises ``ValueError``."""
    text = text.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("expected an absolute http(s) URL such as https://gateway.example.com")
    if parts.query or parts.fragment:
        raise ValueError("the URL may not carry a query or a fragment")
    return text


def scrypt_cost(text: str) -> str:
    """A scrypt cost written ``scrypt:N:r:p``. Raises ``ValueError``."""
    text = text.strip()
    parts = text.split(":")
    if len(parts) != 4 or parts[0] != "scrypt" or not all(p.isdigit() for p in parts[1:]):
        raise ValueError("expected scrypt:N:r:p, e.g. scrypt:32768:8:1")
    return text


def text(text: str) -> str:
    """Any text, stripped."""
    return text.strip()


def text_list(text: str) -> tuple[str, ...]:
    """Comma-separated items, stripped, empty ones left out."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def http_urls(text: str) -> tuple[str, ...]:
    """Comma-separated URLs, each read as ``http_url``. Raises ``ValueError``."""
    return tuple(http_url(item) for item in text_list(text))


def positive_float(text: str) -> float:
    """A finite number above zero. Raises ``ValueError``."""
    value = float(text.strip())
    if not value > 0 or value == float("inf"):
        raise ValueError("expected a number above zero, e.g. 2.5")
    return value


def worker_mode(text: str) -> str:
    """``embedded`` or ``external``, in any case. Raises ``ValueError``."""
    value = text.strip().lower()
    if value not in ("embedded", "external"):
        raise ValueError("expected embedded or external")
    return value


def vapid_subject(text: str) -> str:
    """A VAPID subject as ``gateway.push.subject`` checks it, or empty. Raises
    ``ValueError``."""
    # The rule is push's own; core imports it only when a push setting is read.
    from gateway.push.subject import check_subject

    return check_subject(text.strip()) if text.strip() else ""


def host_patterns(text: str) -> tuple[str, ...]:
    """Push service host patterns as ``gateway.push.allowlist`` reads them. Raises
    ``ValueError``."""
    # The rule is push's own; core imports it only when a push setting is read.
    from gateway.push import allowlist

    return allowlist.host_patterns(text)


def scrape_token(text: str) -> str:
    """Empty, or a token of 32 characters or more. Raises ``ValueError``."""
    text = text.strip()
    if text and len(text) < 32:
        raise ValueError("expected at least 32 characters, e.g. from `openssl rand -hex 32`")
    return text


def language(text: str) -> str:
    """A language the gateway speaks (``zh-CN``, ``zh`` or ``en``), as its catalogue's
    name. Raises ``ValueError``."""
    from gateway.core.languages import require_language

    return require_language(text)
