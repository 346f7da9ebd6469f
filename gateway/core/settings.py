"""The gateway's settings: one declared table, read once from ``GATEWAY_*`` variables.

Every setting has a name, a type, a default and a line of help. ``Settings.from_environ``
casts each value strictly (``gateway.core.casts``) and fails loudly, naming the variable,
on anything it cannot read. Tests pass a mapping instead of touching ``os.environ``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from gateway.core.casts import (
    count,
    flag,
    host_patterns,
    http_url,
    http_urls,
    language,
    positive_float,
    positive_int,
    scrape_token,
    scrypt_cost,
    text,
    text_list,
    vapid_subject,
    worker_mode,
)

PREFIX = "GATEWAY_"
TEST_PREFIX = "GATEWAY_TEST_"  # read by the test suite, never by the gateway


class SettingsError(ValueError):
    """A ``GATEWAY_*`` variable holds a value the gateway cannot use."""


def _setting(default: Any, cast, help: str):
    return dataclasses.field(default=default, metadata={"cast": cast, "help": help})


@dataclasses.dataclass(frozen=True)
class Settings:
    """Every setting of the gateway, with its default; see ``describe()`` for the help."""

    database_url: str = _setting(
        "", text, "SQLAlchemy URL of the store; empty means a SQLite file in the instance folder."
    )
    redis_url: str = _setting(
        "", text, "Redis URL for shared rate limits and cross-instance events; empty means in-process."
    )
    public_url: str = _setting(
        "http://127.0.0.1:8000", http_url, "The address people and phones reach the gateway at."
    )
    instance_path: str = _setting(
        "", text, "Folder for the SQLite file and generated keys; empty means ./instance."
    )
    keys_dir: str = _setting(
        "", text, "Folder of the signing keys and secrets (0600 files); empty means <instance>/keys."
    )
    trusted_proxies: int = _setting(
        0, count, "How many reverse proxies in front of the gateway set X-Forwarded-For."
    )
    access_token_seconds: int = _setting(900, positive_int, "Lifetime of a device access token.")
    refresh_token_days: int = _setting(30, positive_int, "Lifetime of a device refresh token.")
    web_session_hours: int = _setting(12, positive_int, "Lifetime of a browser session.")
    password_hash: str = _setting(
        "scrypt:32768:8:1", scrypt_cost, "The scrypt cost of password hashes (N:r:p)."
    )
    max_body_bytes: int = _setting(
        1_048_576, positive_int, "Largest request body accepted, in bytes."
    )
    header_timeout_seconds: float = _setting(
        5.0, positive_float,
        "Longest the run command's server waits for a request's head (line and headers); "
        "a connection still incomplete then is closed.",
    )
    sign_in_limit: str = _setting(
        "10 per minute", text, "Rate limit on sign-in per account and per client address."
    )
    auth_failure_limit: str = _setting(
        "60 per minute", text, "Rate limit on failed authentication (401 answers) per client "
        "address, across every endpoint that takes credentials; past it, each of them answers "
        "429 before looking at the credentials."
    )
    rate_limits_enabled: bool = _setting(True, flag, "Turn rate limiting on or off.")
    oidc_password_fallback: bool = _setting(
        True, flag, "Whether an application's sign-in (OpenID Connect) may use the password "
        "instead of the phone; off: only scan to log in signs in to applications.")
    bi_client_id: str = _setting(
        "bi-server", text, "Audience of the login assertions handed to the BI server."
    )
    return_urls: tuple[str, ...] = _setting(
        (), http_urls, "Comma-separated URLs a finished QR login may return to."
    )
    qr_start_limit: str = _setting(
        "30 per minute", text, "Rate limit on starting QR logins and offers, per client address."
    )
    qr_scan_limit: str = _setting(
        "30 per minute", text, "Rate limit on QR scans and claims, per device and per address."
    )
    qr_code_limit: str = _setting(
        "10 per minute", text, "Rate limit on typed-code attempts, per device and per address."
    )
    streams_per_flow: int = _setting(
        4, positive_int, "Most event streams open at once on one QR login or offer (per side); "
        "past it the stream is refused with 429 and the page waits with the long poll."
    )
    streams_per_address: int = _setting(
        50, positive_int, "Most event streams open at once from one client address (IPv6: its "
        "/64), seen through GATEWAY_TRUSTED_PROXIES; past it, 429. Raise it when many "
        "browsers share one address (an office behind one NAT, a benchmark)."
    )
    streams_total: int = _setting(
        1500, positive_int, "Most event streams one gateway process keeps open (each instance "
        "counts its own); past it, 503. The run command's worker lowers it to the streams it "
        "parks, or to half its threads where each stream holds one; under another WSGI "
        "server keep it below that server's threads."
    )
    geoip_database: str = _setting(
        "", text, "Path of a MaxMind GeoIP2/GeoLite2 City database for coarse places; empty: none."
    )
    cors_origins: tuple[str, ...] = _setting(
        (), http_urls, "Comma-separated origins allowed to call the API from a browser."
    )
    partners: tuple[str, ...] = _setting(
        (), text_list, "Comma-separated names of partner systems (each needs its own consent)."
    )
    controller_name: str = _setting(
        "", text, "Who is responsible for the data, named in consent receipts; empty: the public URL."
    )
    controller_contact: str = _setting(
        "", text, "How to reach the data controller (email or URL), named in consent receipts."
    )
    jurisdiction: str = _setting(
        "CN", text, "Jurisdiction of the consent receipts (ISO 3166 code, e.g. CN)."
    )
    default_language: str = _setting(
        "en", language, "Language of pages and messages for a browser that asks for neither "
        "Chinese nor English and has not chosen one: zh-CN suits a Chinese deployment, en "
        "another."
    )
    retain_access_log_days: int = _setting(30, positive_int, "Days the access log is kept.")
    retain_operation_log_days: int = _setting(
        180, positive_int, "Days the operation log (who did what) is kept."
    )
    retain_location_days: int = _setting(
        7, positive_int, "Days a reported GPS position or Wi-Fi access point is kept."
    )
    retain_full_ip_days: int = _setting(
        7, positive_int, "Days a full client address is kept before it is cut to /24 or /48."
    )
    retain_push_delivery_days: int = _setting(30, positive_int, "Days push delivery rows are kept.")
    retain_inbox_days: int = _setting(
        30, positive_int, "Days a message stays in the companion's in-app inbox (read or not)."
    )
    retain_session_days: int = _setting(
        30, positive_int, "Days ended browser sessions and used refresh tokens are kept."
    )
    retain_consent_after_account_days: int = _setting(
        1095, positive_int, "Days consent evidence is kept after its account is deleted."
    )
    retain_notice_days: int = _setting(
        1095, positive_int, "Days a notice served and a policy acknowledgement are kept (the "
        "acknowledgement of the version in effect stays while it is)."
    )
    retain_revoked_device_days: int = _setting(
        30, positive_int, "Days a revoked device keeps its app id, model, system, address and "
        "language; then they are blanked."
    )
    retain_ended_flow_hours: int = _setting(
        1, positive_int, "Hours an ended QR login or phone-connection offer (browser, system, "
        "network, place) and a used device proof are kept; the operation log keeps the sign-in."
    )
    backup_dir: str = _setting(
        "", text, "Folder `flask gateway backup` writes SQLite backups to; the doctor checks it. "
        "Backups hold personal data (accounts, devices, locations)."
    )
    backup_keep: int = _setting(
        7, positive_int, "How many backups `flask gateway backup` keeps in GATEWAY_BACKUP_DIR; "
        "older ones are removed, so erased data does not live on in them."
    )
    preview_snapshot_max_bytes: int = _setting(
        524_288, positive_int, "Largest report snapshot image accepted, in bytes (sent base64, "
        "so GATEWAY_MAX_BODY_BYTES must leave room for 4/3 of it)."
    )
    preview_snapshot_max_pixels: int = _setting(
        16_777_216, positive_int, "Most pixels (width x height) a report snapshot may have; "
        "checked before decoding, against decompression bombs."
    )
    metrics_token: str = _setting(
        "", scrape_token, "Bearer token (32 characters or more) a scrape of /metrics must send "
        "as 'Authorization: Bearer ...'; empty: /metrics is off unless GATEWAY_METRICS_OPEN is on."
    )
    metrics_open: bool = _setting(
        False, flag, "Serve /metrics without a token, to anyone who reaches it; only where a "
        "proxy keeps it from outside. The doctor warns while it is on."
    )
    log_level: str = _setting("INFO", text, "Level of the service log written to stdout.")
    push_subject: str = _setting(
        "", vapid_subject, "VAPID contact for push services: an https URL or a mailto: address "
        "(no localhost); empty: the public URL if it is https. The admin console may override it."
    )
    push_hosts: tuple[str, ...] = _setting(
        (), host_patterns, "Comma-separated push service hosts allowed besides FCM, Mozilla, Apple "
        "and Windows; '*.example.com' allows its subdomains."
    )
    push_allow_insecure_local_endpoints: bool = _setting(
        False, flag, "FOR TESTS ONLY: accept http:// push endpoints and endpoints on loopback or "
        "private addresses without the allowlist. Never turn this on in production."
    )
    push_worker: str = _setting(
        "embedded", worker_mode, "embedded: the push delivery worker runs inside the web server "
        "process; external: run `flask gateway worker` as its own process."
    )
    push_concurrency: int = _setting(
        512, positive_int, "Most push requests one delivery worker keeps in flight at once."
    )
    push_encrypt_processes: int = _setting(
        1, count, "Helper processes that encrypt push payloads beside the delivery worker, "
        "using another CPU core; 0 encrypts in the worker itself."
    )
    push_origin_concurrency: int = _setting(
        512, positive_int, "Most push requests in flight to one push service (origin)."
    )
    push_connect_timeout_seconds: float = _setting(
        5.0, positive_float, "Longest wait for a connection to a push service."
    )
    push_send_timeout_seconds: float = _setting(
        15.0, positive_float, "Longest a push request may take in total, answer included."
    )

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


def markdown_table() -> str:
    """The settings reference as the Markdown table the README carries."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for variable, default, help_text in describe():
        lines.append(f"| `{variable}` | {f'`{default}`' if default else '(empty)'} | {help_text} |")
    return "\n".join(lines)


def describe() -> list[tuple[str, str, str]]:
    """Every setting as (variable, default, help), for the README and ``flask settings``."""
    rows = []
    for field in dataclasses.fields(Settings):
        default = field.default
        if isinstance(default, tuple):
            default = ",".join(default)
        elif isinstance(default, bool):
            default = "true" if default else "false"
        rows.append((f"{PREFIX}{field.name.upper()}", str(default), field.metadata["help"]))
    return rows
