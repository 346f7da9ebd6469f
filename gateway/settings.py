"""The gateway's settings: one declared table, read once from ``GATEWAY_*`` variables.

Every setting has a name, a type, a default and a line of help. ``Settings.from_environ``
casts each value strictly and fails loudly, naming the variable, on anything it cannot
read. Tests pass a mapping instead of touching ``os.environ``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

PREFIX = "GATEWAY_"
TEST_PREFIX = "GATEWAY_TEST_"  # read by the test suite, never by the gateway


class SettingsError(ValueError):
    """A ``GATEWAY_*`` variable holds a value the gateway cannot use."""


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected one of true/false, yes/no, on/off, 1/0")


def _positive_int(text: str) -> int:
    value = int(text.strip(), 10)
    if value <= 0:
        raise ValueError("expected a whole number above zero")
    return value


def _count(text: str) -> int:
    value = int(text.strip(), 10)
    if value < 0:
        raise ValueError("expected a whole number, zero or more")
    return value


def _url(text: str) -> str:
    text = text.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("expected an absolute http(s) URL such as https://gateway.example.com")
    if parts.query or parts.fragment:
        raise ValueError("the URL may not carry a query or a fragment")
    return text


def _password_hash(text: str) -> str:
    text = text.strip()
    parts = text.split(":")
    if len(parts) != 4 or parts[0] != "scrypt" or not all(p.isdigit() for p in parts[1:]):
        raise ValueError("expected scrypt:N:r:p, e.g. scrypt:32768:8:1")
    return text


def _text(text: str) -> str:
    return text.strip()


def _list(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _url_list(text: str) -> tuple[str, ...]:
    return tuple(_url(item) for item in _list(text))


def _setting(default: Any, cast, help: str):
    return dataclasses.field(default=default, metadata={"cast": cast, "help": help})


@dataclasses.dataclass(frozen=True)
class Settings:
    """Every setting of the gateway, with its default; see ``describe()`` for the help."""

    database_url: str = _setting(
        "", _text, "SQLAlchemy URL of the store; empty means a SQLite file in the instance folder."
    )
    redis_url: str = _setting(
        "", _text, "Redis URL for shared rate limits and cross-instance events; empty means in-process."
    )
    public_url: str = _setting(
        "http://127.0.0.1:8000", _url, "The address people and phones reach the gateway at."
    )
    instance_path: str = _setting(
        "", _text, "Folder for the SQLite file and generated keys; empty means ./instance."
    )
    keys_dir: str = _setting(
        "", _text, "Folder of the signing keys and secrets (0600 files); empty means <instance>/keys."
    )
    trusted_proxies: int = _setting(
        0, _count, "How many reverse proxies in front of the gateway set X-Forwarded-For."
    )
    access_token_seconds: int = _setting(900, _positive_int, "Lifetime of a device access token.")
    refresh_token_days: int = _setting(30, _positive_int, "Lifetime of a device refresh token.")
    web_session_hours: int = _setting(12, _positive_int, "Lifetime of a browser session.")
    password_hash: str = _setting(
        "scrypt:32768:8:1", _password_hash, "The scrypt cost of password hashes (N:r:p)."
    )
    max_body_bytes: int = _setting(
        1_048_576, _positive_int, "Largest request body accepted, in bytes."
    )
    sign_in_limit: str = _setting(
        "10 per minute", _text, "Rate limit on sign-in per account and per client address."
    )
    rate_limits_enabled: bool = _setting(True, _bool, "Turn rate limiting on or off.")
    bi_client_id: str = _setting(
        "bi-server", _text, "Audience of the login assertions handed to the BI server."
    )
    return_urls: tuple[str, ...] = _setting(
        (), _url_list, "Comma-separated URLs a finished QR login may return to."
    )
    cors_origins: tuple[str, ...] = _setting(
        (), _url_list, "Comma-separated origins allowed to call the API from a browser."
    )
    partners: tuple[str, ...] = _setting(
        (), _list, "Comma-separated names of partner systems (each needs its own consent)."
    )
    retain_access_log_days: int = _setting(30, _positive_int, "Days the access log is kept.")
    retain_operation_log_days: int = _setting(
        180, _positive_int, "Days the operation log (who did what) is kept."
    )
    retain_location_days: int = _setting(
        7, _positive_int, "Days a reported GPS position or Wi-Fi access point is kept."
    )
    retain_full_ip_days: int = _setting(
        7, _positive_int, "Days a full client address is kept before it is cut to /24 or /48."
    )
    retain_push_delivery_days: int = _setting(30, _positive_int, "Days push delivery rows are kept.")
    retain_session_days: int = _setting(
        30, _positive_int, "Days ended browser sessions and used refresh tokens are kept."
    )
    retain_consent_after_account_days: int = _setting(
        1095, _positive_int, "Days consent evidence is kept after its account is deleted."
    )
    backup_dir: str = _setting(
        "", _text, "Folder `flask gateway backup` writes SQLite backups to; the doctor checks it."
    )
    log_level: str = _setting("INFO", _text, "Level of the service log written to stdout.")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every ``GATEWAY_*`` variable of *environ* (default: ``os.environ``).

        Raises ``SettingsError`` naming the variable when a value cannot be cast, or when
        a ``GATEWAY_*`` variable names no setting (a typo would otherwise pass silently).
        """
        environ = os.environ if environ is None else environ
        fields = {f"{PREFIX}{f.name.upper()}": f for f in dataclasses.fields(cls)}
        unknown = sorted(
            k for k in environ
            if k.startswith(PREFIX) and k not in fields and not k.startswith(TEST_PREFIX)
        )
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
        values = {}
        for variable, field in fields.items():
            if variable not in environ:
                continue
            try:
                values[field.name] = field.metadata["cast"](environ[variable])
            except ValueError as error:
                raise SettingsError(f"{variable}={environ[variable]!r}: {error}") from None
        return cls(**values)

    @property
    def https(self) -> bool:
        """Whether people reach the gateway over TLS (which decides cookie names and HSTS)."""
        return self.public_url.startswith("https://")

    def replace(self, **changes: Any) -> Settings:
        """A copy with *changes* applied (tests use this)."""
        return dataclasses.replace(self, **changes)


def describe() -> list[tuple[str, str, str]]:
    """Every setting as (variable, default, help), for the README and ``flask settings``."""
    rows = []
    for field in dataclasses.fields(Settings):
        default = field.default
        if isinstance(default, tuple):
            default = ",".join(default)
        rows.append((f"{PREFIX}{field.name.upper()}", str(default), field.metadata["help"]))
    return rows
