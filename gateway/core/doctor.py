"""The deployment check (agreement 3.3): what an operator should fix, found by looking.

Each finding says what is wrong and what to do. ``inspect`` only reads; it changes
nothing and connects to nothing but the gateway's own store.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from gateway.core.settings import Settings

BACKUP_MAX_AGE = timedelta(days=2)


@dataclass(frozen=True)
class Finding:
    level: str  # ok, warn, fail
    check: str
    advice: str


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def inspect(settings: Settings, *, database_url: str, keys_dir: Path, now: datetime) -> list[Finding]:
    """Every check with its verdict, in a stable order."""
    findings = []

    def add(ok: bool, check: str, advice: str, level: str = "fail") -> None:
        findings.append(Finding("ok" if ok else level, check, "" if ok else advice))

    add(settings.https, "public URL uses https",
        "set GATEWAY_PUBLIC_URL to the https address behind your TLS proxy (see README)")
    add(settings.https, "cookies are Secure and __Host- prefixed",
        "cookies follow the public URL: make it https")
    add(settings.trusted_proxies > 0 or not settings.https, "trusted proxies set",
        "behind a reverse proxy set GATEWAY_TRUSTED_PROXIES=1 so rate limits see real clients",
        level="warn")
    add(not settings.metrics_open or bool(settings.metrics_token), "/metrics needs a scrape token",
        "GATEWAY_METRICS_OPEN serves /metrics to anyone who reaches it: set "
        "GATEWAY_METRICS_TOKEN and send it from Prometheus (authorization: credentials), or "
        "keep /metrics from outside at the proxy", level="warn")
    loose = [p.name for p in keys_dir.glob("*") if p.is_file() and _mode(p) & 0o077]
    add(not loose, "key files are 0600", f"chmod 600 {', '.join(loose)} in {keys_dir}")
    add(_mode(keys_dir) & 0o077 == 0, "keys folder is 0700", f"chmod 700 {keys_dir}")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        database = Path(url.database)
        add(database.exists() and not _mode(database) & 0o007, "database not world-readable",
            f"chmod 600 {database}")
    else:
        add(url.password is None or "sslmode" in url.query or url.host in ("127.0.0.1", "localhost"),
            "database connection is local or uses TLS",
            "add ?sslmode=verify-full to GATEWAY_DATABASE_URL for a remote PostgreSQL",
            level="warn")
    backups = sorted(Path(settings.backup_dir).glob("gateway-*.sqlite3")) if settings.backup_dir else []
    fresh = bool(backups) and now - datetime.fromtimestamp(backups[-1].stat().st_mtime, now.tzinfo) < BACKUP_MAX_AGE
    where = f"in {Path(settings.backup_dir).resolve()}" if settings.backup_dir else "(none set)"
    add(fresh, f"a backup from the last two days {where}",
        "set GATEWAY_BACKUP_DIR and run `flask --app wsgi gateway backup` daily (cron or a "
        "systemd timer); on PostgreSQL use pg_dump", level="warn")
    # Backups copy the whole store: accounts, devices, locations. Say so, and where.
    add(len(backups) <= settings.backup_keep,
        f"backups {where} hold personal data (accounts, devices, locations): keep them as "
        f"safe as the store; {len(backups)} kept, at most {settings.backup_keep} "
        "(GATEWAY_BACKUP_KEEP)",
        "run `flask --app wsgi gateway backup` (it removes the oldest beyond "
        "GATEWAY_BACKUP_KEEP) or remove old ones by hand: erased data lives on in them",
        level="warn")
    return findings
