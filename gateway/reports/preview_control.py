"""Control over preview grants: the report's owner and admins see who is looking at a report
right now and end any of those previews; a revoked device's previews end with it; old links
and grants are purged.

Ending a grant is a conditional update on a row that is still live, so of two concurrent
revocations exactly one reports that it ended the grant; the phone learns of it on its next
request (every use of a grant reads this row).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Connection, delete, select, update

from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.errors import Forbidden
from gateway.core.store import Store
from gateway.identity.tables import devices as devices_table
from gateway.identity.tables import users
from gateway.reports import library as reports
from gateway.reports.library import Report
from gateway.reports.preview import Grant, GrantNotFound, grant_from_row
from gateway.reports.tables import preview_grants, preview_links

PURGE_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class ActiveGrant:
    """A live grant with who holds it, as the owner's list shows it."""

    grant: Grant
    username: str
    display_name: str
    device_model: str
    device_os: str


def _require_manager(connection: Connection, report_id: str, user_id: str, role: str) -> Report:
    report = reports.get(connection, report_id)
    if reports.may_manage(report, user_id, role):
        return report
    if reports.may_view(connection, report_id, user_id):
        raise Forbidden("Only the report's owner or an administrator can manage its previews.")
    raise reports.ReportRefused("You are not allowed to see this report. Ask its owner for access.")


def end_grants(connection: Connection, clock: Clock, condition, *, by: str | None,
               reason: str) -> list[str]:
    """End every live grant matching *condition* inside an open transaction; the ids of
    those this call ended (not those a concurrent call ended first)."""
    now = clock.now()
    live = (preview_grants.c.revoked_at.is_(None), preview_grants.c.expires_at > now)
    candidates = connection.execute(
        select(preview_grants.c.id).where(condition, *live)).scalars().all()
    ended = []
    for grant_id in candidates:
        # One conditional update per grant: its rowcount says whether this call won.
        won = connection.execute(
            update(preview_grants).where(preview_grants.c.id == grant_id, *live)
            .values(revoked_at=now, revoked_by=by, revoked_reason=reason)).rowcount
        if won:
            ended.append(grant_id)
    return ended


def end_device_grants(connection: Connection, clock: Clock, user_id: str,
                      device_id: str) -> None:
    """A revoked device's previews end with it (runs inside the device's revocation)."""
    end_grants(connection, clock, preview_grants.c.device_id == device_id, by=user_id,
               reason="device-revoked")


@dataclass(frozen=True)
class PreviewControl:
    """Control over a report's previews, bound to the store and the clock: who is looking now,
    ending one or all of their grants, and purging old links and grants."""

    store: Store
    clock: Clock

    def active_grants(self, report_id: str, *, user_id: str,
                      role: str) -> tuple[Report, list[ActiveGrant]]:
        """The report and its live grants, oldest first, for its owner or an admin.

        Raises ``reports.ReportNotFound``, ``reports.ReportRefused`` (not a viewer) and
        ``Forbidden`` (a viewer who is neither owner nor admin).
        """
        with self.store.read() as connection:
            report = _require_manager(connection, report_id, user_id, role)
            rows = connection.execute(
                select(preview_grants, users.c.username, users.c.display_name,
                       devices_table.c.model, devices_table.c.os)
                .join(users, users.c.id == preview_grants.c.user_id)
                .join(devices_table, devices_table.c.id == preview_grants.c.device_id)
                .where(preview_grants.c.report_id == report_id,
                       preview_grants.c.revoked_at.is_(None),
                       preview_grants.c.expires_at > self.clock.now())
                .order_by(preview_grants.c.created_at, preview_grants.c.id)
            ).all()
        return report, [ActiveGrant(grant_from_row(row), row.username, row.display_name, row.model,
                                    row.os) for row in rows]

    def revoke(self, report_id: str, grant_id: str, *, user_id: str, role: str,
               ip: str | None = None) -> Grant:
        """End one grant of the report now (idempotent for one already ended).

        Raises ``GrantNotFound`` and what ``active_grants`` raises.
        """
        with self.store.write() as connection:
            _require_manager(connection, report_id, user_id, role)
            condition = ((preview_grants.c.id == grant_id)
                         & (preview_grants.c.report_id == report_id))
            if end_grants(connection, self.clock, condition, by=user_id, reason="revoked"):
                audit.record(connection, self.clock, "preview.revoked", actor=user_id,
                             subject=report_id, details={"grant": grant_id}, ip=ip)
            row = connection.execute(select(preview_grants).where(condition)).first()
            if row is None:
                raise GrantNotFound("This report has no such preview.")
            return grant_from_row(row)

    def revoke_all(self, report_id: str, *, user_id: str, role: str, ip: str | None = None) -> int:
        """End every live grant of the report now; how many were live. Raises what
        ``active_grants`` raises."""
        with self.store.write() as connection:
            _require_manager(connection, report_id, user_id, role)
            ended = end_grants(connection, self.clock, preview_grants.c.report_id == report_id,
                               by=user_id, reason="revoked")
            if ended:
                audit.record(connection, self.clock, "preview.revoked", actor=user_id,
                             subject=report_id, details={"grants": len(ended)}, ip=ip)
            return len(ended)

    def purge(self, *, keep: timedelta = PURGE_AFTER) -> int:
        """Delete links and grants that ended more than *keep* ago; how many rows went.
        (Who opened which preview stays in the operation log, under its own retention.)"""
        cutoff = self.clock.now() - keep
        with self.store.write() as connection:
            links = connection.execute(
                delete(preview_links).where(preview_links.c.expires_at < cutoff)).rowcount
            grants = connection.execute(
                delete(preview_grants).where(preview_grants.c.expires_at < cutoff)).rowcount
        return links + grants
