"""``flask gateway`` commands of the privacy lifecycle: purge, verify-log, doctor, backup."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from gateway.checklist import checklist
from gateway.core import audit
from gateway.privacy import retention


def _services():
    return current_app.extensions["gateway"]


@click.command("purge")
@with_appcontext
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
def purge(dry_run: bool) -> None:
    """Apply the retention periods now (the worker also does this daily)."""
    svc = _services()
    result = retention.purge(svc.store, svc.clock, svc.settings, svc.reactions.retention,
                             access_log=svc.access_log, dry_run=dry_run)
    click.echo(json.dumps({"dry_run": dry_run, "removed": result}, indent=2))


@click.command("verify-log")
@with_appcontext
def verify_log() -> None:
    """Check the operation log's hash chain; names the first broken entry."""
    with _services().store.read() as connection:
        broken = audit.verify_chain(connection)
    if broken is not None:
        raise click.ClickException(f"operation log broken at entry {broken}")
    click.echo("operation log chain intact")


@click.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Inspect this deployment and print what to fix."""
    svc = _services()
    findings = checklist(svc)
    for finding in findings:
        line = f"[{finding.level:4}] {finding.english(finding.check)}"
        click.echo(line + (f": {finding.english(finding.advice)}" if finding.advice else ""))
    if any(f.level == "fail" for f in findings):
        raise SystemExit(1)


@click.command("backup")
@with_appcontext
def backup() -> None:
    """Copy the SQLite store to GATEWAY_BACKUP_DIR consistently (online backup API),
    keeping the newest GATEWAY_BACKUP_KEEP."""
    svc = _services()
    url = make_url(str(svc.store.engine.url))
    if url.get_backend_name() != "sqlite":
        raise click.ClickException("on PostgreSQL back up with pg_dump (see README)")
    if not svc.settings.backup_dir:
        raise click.ClickException("set GATEWAY_BACKUP_DIR first")
    folder = Path(svc.settings.backup_dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = folder / f"gateway-{svc.clock.now():%Y%m%dT%H%M%S}.sqlite3"
    with sqlite3.connect(url.database) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    target.chmod(0o600)
    for old in rotate_backups(folder, svc.settings.backup_keep):
        click.echo(f"removed the old backup {old}")
    click.echo(f"backed up to {target}")


def rotate_backups(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest *keep* backups in *folder*: a backup holds personal data
    erased since it was made. Returns what was removed."""
    doomed = sorted(folder.glob("gateway-*.sqlite3"))[:-keep]
    for old in doomed:
        old.unlink()
    return doomed


COMMANDS = (purge, verify_log, doctor_command, backup)
