"""Retention (agreement 2.2): personal data is kept only as long as its purpose needs.

Each data category has a retention period in the settings and a purger that removes (or
anonymises) what is older. The categories below are named by the holdings of the
personal-data map (``gateway.privacy.datamap``); the composition root gathers those of
every domain (``gateway.build.reactions``), and ``purge`` runs them all, from the
housekeeper on a schedule and from ``flask gateway purge [--dry-run]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, func, select, text, update

from gateway import consent
from gateway.core import audit
from gateway.core.audit_tables import operations
from gateway.core.clock import Clock
from gateway.core.languages import N_
from gateway.core.netaddr import truncate_ip
from gateway.core.personal_data import Category
from gateway.core.settings import Settings
from gateway.core.store import Store
from gateway.identity.tables import devices, refresh_tokens, token_families, web_sessions
from gateway.privacy import stale
from gateway.privacy.tables import deleted_accounts, device_locations
from gateway.reports.tables import preview_grants, preview_links

_PURGE_LOCK = 0x70757267  # PostgreSQL advisory lock id: one purge per cluster at a time
DAILY = timedelta(days=1)

__all__ = ["Category", "purge"]


def _count_or_delete(connection, table, condition, dry_run: bool) -> int:
    if dry_run:
        return connection.execute(select(func.count()).select_from(table).where(condition)).scalar_one()
    return connection.execute(delete(table).where(condition)).rowcount


def _purge_locations(connection: Connection, clock: Clock, cutoff: datetime, dry_run: bool) -> int:
    return _count_or_delete(connection, device_locations, device_locations.c.reported_at < cutoff,
                            dry_run)


def _truncate_device_ips(connection: Connection, clock: Clock, cutoff: datetime, dry_run: bool) -> int:
    rows = connection.execute(select(devices.c.id, devices.c.last_ip).where(
        devices.c.last_seen_at < cutoff, devices.c.last_ip.is_not(None),
        ~devices.c.last_ip.contains("/"))).all()
    if not dry_run:
        for row in rows:
            connection.execute(update(devices).where(devices.c.id == row.id)
                               .values(last_ip=truncate_ip(row.last_ip)))
    return len(rows)


def _purge_sessions(connection: Connection, clock: Clock, cutoff: datetime, dry_run: bool) -> int:
    ended = web_sessions.c.expires_at < cutoff
    count = _count_or_delete(connection, web_sessions, ended, dry_run)
    used = refresh_tokens.c.expires_at < cutoff
    count += _count_or_delete(connection, refresh_tokens, used, dry_run)
    empty = token_families.c.revoked_at < cutoff
    return count + _count_or_delete(connection, token_families, empty, dry_run)


def _purge_operations(connection: Connection, clock: Clock, cutoff: datetime, dry_run: bool) -> int:
    # Operations are appended in time order, so this removes a prefix of the chain; the
    # purge's own entry records the hash the remaining chain now starts from.
    return _count_or_delete(connection, operations, operations.c.at < cutoff, dry_run)


def _purge_consent_evidence(connection: Connection, clock: Clock, cutoff: datetime, dry_run: bool) -> int:
    # The decisions stay (the chain must verify); who they were about is erased.
    gone = connection.execute(select(deleted_accounts.c.user_id)
                              .where(deleted_accounts.c.deleted_at < cutoff)).scalars().all()
    if dry_run:
        return len(gone)
    for user_id in gone:
        consent.redact_user(connection, clock, user_id)
        connection.execute(delete(deleted_accounts).where(deleted_accounts.c.user_id == user_id))
    return len(gone)


def _purge_previews(connection: Connection, clock: Clock, cutoff: datetime, dry_run: bool) -> int:
    # Who opened which preview stays in the operation log; the links and grants go.
    return (_count_or_delete(connection, preview_links, preview_links.c.expires_at < cutoff,
                             dry_run)
            + _count_or_delete(connection, preview_grants, preview_grants.c.expires_at < cutoff,
                               dry_run))


PREVIEWS = Category("previews", "retain_session_days", _purge_previews,
                    N_("Ended preview links and preview grants"))
CONSENT_EVIDENCE = Category(
    "consent_evidence", "retain_consent_after_account_days", _purge_consent_evidence,
    N_("Who the consent decisions of deleted accounts were about"))
PRECISE_LOCATION = Category("precise_location", "retain_location_days", _purge_locations,
                            N_("GPS positions and Wi-Fi access points reported by devices"))
FULL_IP_ADDRESS = Category("full_ip_address", "retain_full_ip_days", _truncate_device_ips,
                           N_("Full client addresses of devices (cut to /24 or /48)"))
SESSIONS = Category("sessions", "retain_session_days", _purge_sessions,
                    N_("Ended browser sessions, expired refresh tokens and revoked sign-ins"))
OPERATION_LOG = Category("operation_log", "retain_operation_log_days", _purge_operations,
                         N_("The operation log: who did what"))
NOTICES = Category("notices", "retain_notice_days", stale.purge_notices,
                   N_("Notices served and policy versions acknowledged (not the one in effect)"))
REVOKED_DEVICES = Category("revoked_devices", "retain_revoked_device_days",
                           stale.anonymise_revoked_devices,
                           N_("The id, model, system, address and language of revoked devices"))
ENDED_FLOWS = Category("ended_flows", "retain_ended_flow_hours", stale.purge_ended_flows,
                       N_("Ended QR logins, phone-connection offers and used device proofs"))


def purge(store: Store, clock: Clock, settings: Settings, categories: Iterable[Category], *,
          access_log=None, dry_run: bool = False,
          every: timedelta | None = None) -> dict[str, int]:
    """Apply the retention of each of *categories* (in name order); returns what was (or
    would be) removed per category.

    The result is itself recorded in the operation log unless *dry_run*. On PostgreSQL an
    advisory lock makes one instance of a cluster purge the shared store at a time; the
    others purge only their own machine's access log files (``{"access_log_files": n}``,
    or ``{}`` without an access log). A schedule passes its period as *every*: the shared
    store is then left alone (files only, as above) when any instance purged it less than
    *every* ago, so instances on the same schedule purge it once per period between them.
    """
    now = clock.now()
    result: dict[str, int] = {}
    with store.write() as connection:
        if connection.dialect.name == "postgresql" and not connection.execute(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _PURGE_LOCK}).scalar():
            # Another instance is purging the shared store right now; the access log files
            # are this machine's own, and nobody else removes them.
            return _purge_files(access_log, now, settings, dry_run)
        if every is not None and _last_purge(connection) > now - every:
            return _purge_files(access_log, now, settings, dry_run)
        for category in sorted(categories, key=lambda c: c.name):
            cutoff = now - period(settings, category)
            result[category.name] = category.purger(connection, clock, cutoff, dry_run)
        result.update(_purge_files(access_log, now, settings, dry_run))
        if not dry_run:
            anchor = connection.execute(select(operations.c.prev_hash)
                                        .order_by(operations.c.seq).limit(1)).scalar()
            audit.record(connection, clock, "retention.purged",
                         details={"removed": result, "chain_starts_after": anchor})
    return result


def period(settings: Settings, category: Category) -> timedelta:
    """How long *category*'s data is kept under *settings*."""
    value = getattr(settings, category.setting)
    return timedelta(hours=value) if category.setting.endswith("_hours") else timedelta(days=value)


def _last_purge(connection: Connection) -> datetime:
    """When the shared store was last purged (by any instance); long ago if never."""
    last = connection.execute(select(func.max(operations.c.at))
                              .where(operations.c.action == "retention.purged")).scalar()
    return last or datetime.min.replace(tzinfo=UTC)


def _purge_files(access_log, now: datetime, settings: Settings, dry_run: bool) -> dict[str, int]:
    if access_log is None:
        return {}
    cutoff = now - timedelta(days=settings.retain_access_log_days)
    return {"access_log_files": access_log.purge(cutoff, dry_run=dry_run)}
