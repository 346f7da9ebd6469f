"""The deployment check (agreement 3.3): what an operator should fix, found by looking.

Each finding says what is wrong and what to do. ``inspect`` only reads; it changes
nothing and connects to nothing but the gateway's own store.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from gateway.core.languages import N_
from gateway.core.settings import Settings

BACKUP_MAX_AGE = timedelta(days=2)


@dataclass(frozen=True)
class Finding:
    level: str  # ok, warn, fail
    check: str  # fixed English, translated where shown
    advice: str  # fixed English with "{name}" for each of params; empty when ok
    params: dict[str, str] = field(default_factory=dict)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def inspect(settings: Settings, *, database_url: str, keys_dir: Path, now: datetime) -> list[Finding]:
    """Every check with its verdict, in a stable order."""
    findings = []

    def add(ok: bool, check: str, advice: str, level: str = "fail", **params: str) -> None:
        # The params fill the check's words as well as the advice's.
        findings.append(Finding("ok" if ok else level, check, "" if ok else advice, params))

    add(settings.https, N_("The public address uses https"),
        N_("Set GATEWAY_PUBLIC_URL to the https address behind your TLS proxy (see the README)."))
    add(settings.https, N_("Cookies are Secure and __Host- prefixed"),
        N_("Cookies follow the public address: make it https."))
    add(settings.trusted_proxies > 0 or not settings.https, N_("Trusted proxies are set"),
        N_("Behind a reverse proxy, set GATEWAY_TRUSTED_PROXIES=1 so that rate limits see the "
           "real clients."), level="warn")
    add(not settings.metrics_open or bool(settings.metrics_token),
        N_("/metrics needs a scrape token"),
        N_("GATEWAY_METRICS_OPEN serves /metrics to anyone who reaches it: set "
           "GATEWAY_METRICS_TOKEN and send it from Prometheus (authorization: credentials), or "
           "keep /metrics from outside at the proxy."), level="warn")
    # Agreement 1.7: a site named here may call the API from a browser; over plain http,
    # anyone on the way can stand in for it.
    plain = [o for o in settings.cors_origins if not o.startswith("https://")]
    add(not plain,
        N_("Sites that may call the API from a browser (CORS): {origins}")
        if settings.cors_origins else N_("No other site may call the API from a browser (CORS)"),
        N_("GATEWAY_CORS_ORIGINS names {plain} over plain http: anyone on the way could call "
           "the API as that site. Name only https sites you run."),
        level="warn", origins=", ".join(settings.cors_origins), plain=", ".join(plain))
    loose = [p.name for p in keys_dir.glob("*") if p.is_file() and _mode(p) & 0o077]
    add(not loose, N_("Key files are readable by the gateway only (0600)"),
        N_("Run chmod 600 {files} in {folder}."), files=", ".join(loose), folder=str(keys_dir))
    add(_mode(keys_dir) & 0o077 == 0, N_("The keys folder is the gateway's only (0700)"),
        N_("Run chmod 700 {folder}."), folder=str(keys_dir))
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        database = Path(url.database)
        add(database.exists() and not _mode(database) & 0o007,
            N_("The database is not readable by everyone"),
            N_("Run chmod 600 {database}."), database=str(database))
    else:
        add(url.password is None or "sslmode" in url.query or url.host in ("127.0.0.1", "localhost"),
            N_("The database connection is local or uses TLS"),
            N_("Add ?sslmode=verify-full to GATEWAY_DATABASE_URL for a remote PostgreSQL."),
            level="warn")
    backups = sorted(Path(settings.backup_dir).glob("gateway-*.sqlite3")) if settings.backup_dir else []
    fresh = bool(backups) and now - datetime.fromtimestamp(backups[-1].stat().st_mtime, now.tzinfo) < BACKUP_MAX_AGE
    where = str(Path(settings.backup_dir).resolve()) if settings.backup_dir else ""
    add(fresh, N_("There is a backup from the last two days"),
        N_("Set GATEWAY_BACKUP_DIR and run `flask --app wsgi gateway backup` daily (cron or a "
           "systemd timer); on PostgreSQL use pg_dump."), level="warn")
    # Backups copy the whole store (accounts, devices, locations): say so, and where.
    add(len(backups) <= settings.backup_keep,
        N_("Backups in {folder} hold personal data (accounts, devices, locations): keep them "
           "as safe as the store; {count} kept, at most {most} (GATEWAY_BACKUP_KEEP)")
        if where else N_("Backups would hold personal data: none are configured yet"),
        N_("Run `flask --app wsgi gateway backup` (it removes the oldest beyond "
           "GATEWAY_BACKUP_KEEP) or remove old ones by hand: erased data lives on in them."),
        level="warn", folder=where, count=str(len(backups)), most=str(settings.backup_keep))
    return findings
