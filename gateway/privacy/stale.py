"""Purgers of the retention rules added with the personal-data map: notices served and
policy acknowledgements, revoked devices' details, and ended QR logins, phone-connection
offers and used device proofs (removed on the housekeeper's schedule, not only when a
new flow starts). Each is ``purger(connection, clock, cutoff, dry_run) -> count``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, select, update

from gateway import consent
from gateway.consent.tables import notices_served, policy_acknowledgements
from gateway.core.clock import Clock
from gateway.enrollment.tables import enrollments
from gateway.identity.tables import devices, used_device_proofs
from gateway.qrlogin.tables import qr_logins

# A revoked device keeps its row (sign-ins, deliveries and evidence refer to it), but
# nothing that says which phone it was.
ANONYMOUS_DEVICE = {"model": "", "os": "", "os_version": "", "app_version": "",
                    "last_ip": None, "reads_in": None, "public_key": None}


def _count_or_delete(connection: Connection, table, condition, dry_run: bool) -> int:
    if dry_run:
        return connection.execute(select(func.count()).select_from(table)
                                  .where(condition)).scalar_one()
    return connection.execute(delete(table).where(condition)).rowcount


def purge_notices(connection: Connection, clock: Clock, cutoff: datetime, dry_run: bool) -> int:
    """Notices served before *cutoff*, and acknowledgements made before it of any version
    but the one in effect (that one says the user need not be asked again)."""
    count = _count_or_delete(connection, notices_served, notices_served.c.served_at < cutoff,
                             dry_run)
    old = policy_acknowledgements.c.acknowledged_at < cutoff
    current = consent.current_policy(connection, clock)
    if current is not None:
        old = old & (policy_acknowledgements.c.policy_version != current.version)
    return count + _count_or_delete(connection, policy_acknowledgements, old, dry_run)


def anonymise_revoked_devices(connection: Connection, clock: Clock, cutoff: datetime,
                              dry_run: bool) -> int:
    """Blank the id the app gave, the model, system, address and language of devices
    revoked before *cutoff*."""
    ids = list(connection.execute(select(devices.c.id).where(
        devices.c.revoked_at < cutoff, devices.c.model != "")).scalars())
    if not dry_run:
        for device_id in ids:  # the app's id stays unique per user: it becomes the row's own
            connection.execute(update(devices).where(devices.c.id == device_id).values(
                app_device_id=f"revoked-{device_id}", **ANONYMOUS_DEVICE))
    return len(ids)


def purge_ended_flows(connection: Connection, clock: Clock, cutoff: datetime,
                      dry_run: bool) -> int:
    """QR logins and phone-connection offers that expired before *cutoff* (the operation
    log keeps the sign-ins they made), and device proofs used before it."""
    return (_count_or_delete(connection, qr_logins, qr_logins.c.expires_at < cutoff, dry_run)
            + _count_or_delete(connection, enrollments, enrollments.c.expires_at < cutoff,
                               dry_run)
            + _count_or_delete(connection, used_device_proofs,
                               used_device_proofs.c.used_at < cutoff, dry_run))
