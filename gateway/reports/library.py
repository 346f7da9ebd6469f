"""Reports the BI server registers for previews, and who may view them.

The BI server stays the authority on its reports: it registers (or replaces) a report with
its title, its owner, the users and groups allowed to view it, and its preview content,
either a snapshot image or a structured summary. The gateway answers one question at the
moment a preview is asked for or used: may this user view this report *now*? The owner
may; so may every listed user and every current member of a listed group. Being a gateway
admin does not let one read reports (admins control previews, see ``may_manage``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.errors import Forbidden, InvalidRequest, NotFound
from gateway.core.store import Store
from gateway.identity.accounts import GROUP_NAME
from gateway.identity.tables import memberships, users
from gateway.reports.snapshots import Snapshot
from gateway.reports.summary import Summary
from gateway.reports.tables import (
    report_snapshots,
    report_viewer_groups,
    report_viewer_users,
    reports,
)

REPORT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
MAX_VIEWERS = 500
CLOCK_SKEW = timedelta(minutes=5)


class ReportNotFound(NotFound):
    slug = "report-not-found"
    title = "Report not found"


class ReportRefused(Forbidden):
    """Deliberately says nothing about the report: not its title, not its owner."""

    slug = "report-refused"
    title = "Report not shared with you"


class UnknownUsers(InvalidRequest):
    status = 422
    slug = "unknown-users"
    title = "Unknown users"


@dataclass(frozen=True)
class Report:
    id: str
    title: str
    owner_id: str | None
    owner: str | None  # the owner's username
    users: tuple[str, ...]  # usernames allowed to view
    groups: tuple[str, ...]
    content_kind: str  # snapshot, summary
    summary: dict | None
    snapshot_media_type: str | None
    snapshot_width: int | None
    snapshot_height: int | None
    generated_at: datetime
    registered_at: datetime
    updated_at: datetime


def check_id(report_id: str) -> str:
    """*report_id* if it is a usable report id. Raises ``InvalidRequest``."""
    if not REPORT_ID.match(report_id or ""):
        raise InvalidRequest("A report id has 1 to 128 characters: letters, digits, '.', '_', ':' "
                             "or '-', starting with a letter or digit.", field="report_id")
    return report_id


def _user_ids(connection: Connection, usernames: list[str], field: str) -> dict[str, str]:
    """username -> id for every active user named. Raises ``UnknownUsers``: a viewer list
    naming an account that does not exist yet would hand the report to whoever later
    takes that username."""
    names = sorted({name.strip().lower() for name in usernames})
    rows = connection.execute(select(users.c.username, users.c.id).where(
        users.c.username.in_(names), users.c.disabled_at.is_(None))).all()
    found = {row.username: row.id for row in rows}
    missing = [name for name in names if name not in found]
    if missing:
        raise UnknownUsers("These users are not known to the gateway: {users}. Check the names.",
                           params={"users": ", ".join(missing[:20])}, field=field,
                           users=missing[:100])
    return found


def _save(connection: Connection, clock: Clock, report_id: str, owner: str, users_: list[str],
          groups: list[str], values: dict, snapshot: Snapshot | None) -> tuple[Report, bool]:
    owner_id = _user_ids(connection, [owner], "owner")[owner.strip().lower()]
    viewer_ids = _user_ids(connection, users_, "users")
    created = not connection.execute(
        update(reports).where(reports.c.id == report_id).values(owner_id=owner_id, **values)
    ).rowcount
    if created:
        connection.execute(insert(reports).values(id=report_id, owner_id=owner_id,
                                                  registered_at=values["updated_at"], **values))
    for table in (report_viewer_users, report_viewer_groups, report_snapshots):
        connection.execute(delete(table).where(table.c.report_id == report_id))
    if viewer_ids:
        connection.execute(insert(report_viewer_users), [
            {"report_id": report_id, "user_id": user_id} for user_id in viewer_ids.values()])
    if groups:
        connection.execute(insert(report_viewer_groups), [
            {"report_id": report_id, "group_name": name} for name in sorted(set(groups))])
    if snapshot is not None:
        connection.execute(insert(report_snapshots).values(
            report_id=report_id, media_type=snapshot.media_type, width=snapshot.width,
            height=snapshot.height, data=snapshot.data))
    audit.record(connection, clock, "report.registered" if created else "report.updated",
                 subject=report_id, details={"integration": values["updated_by"],
                                             "content": values["content_kind"]})
    return get(connection, report_id), created


def get(connection: Connection, report_id: str) -> Report:
    """The report with this id. Raises ``ReportNotFound``."""
    row = connection.execute(
        select(reports, users.c.username.label("owner"),
               report_snapshots.c.media_type, report_snapshots.c.width, report_snapshots.c.height)
        .outerjoin(users, users.c.id == reports.c.owner_id)
        .outerjoin(report_snapshots, report_snapshots.c.report_id == reports.c.id)
        .where(reports.c.id == report_id)
    ).first()
    if row is None:
        raise ReportNotFound("There is no such report. It may have been removed.")
    viewers = connection.execute(
        select(users.c.username)
        .join(report_viewer_users, report_viewer_users.c.user_id == users.c.id)
        .where(report_viewer_users.c.report_id == report_id)
        .order_by(users.c.username)).scalars()
    groups = connection.execute(
        select(report_viewer_groups.c.group_name)
        .where(report_viewer_groups.c.report_id == report_id)
        .order_by(report_viewer_groups.c.group_name)).scalars()
    return Report(
        id=row.id, title=row.title, owner_id=row.owner_id, owner=row.owner,
        users=tuple(viewers), groups=tuple(groups), content_kind=row.content_kind,
        summary=row.summary, snapshot_media_type=row.media_type, snapshot_width=row.width,
        snapshot_height=row.height, generated_at=row.generated_at,
        registered_at=row.registered_at, updated_at=row.updated_at,
    )


def _viewable_by(user_id: str):
    """The SQL condition, on a row of ``reports``: *user_id* (an active account) may view
    it, as its owner, a listed user, or a current member of a listed group."""
    active = exists(select(users.c.id).where(users.c.id == user_id,
                                             users.c.disabled_at.is_(None)))
    listed = exists(select(report_viewer_users.c.user_id).where(
        report_viewer_users.c.report_id == reports.c.id, report_viewer_users.c.user_id == user_id))
    member = exists(
        select(memberships.c.user_id)
        .join(report_viewer_groups, report_viewer_groups.c.group_name == memberships.c.group_name)
        .where(report_viewer_groups.c.report_id == reports.c.id, memberships.c.user_id == user_id))
    return active & or_(reports.c.owner_id == user_id, listed, member)


def may_view(connection: Connection, report_id: str, user_id: str) -> bool:
    """Whether *user_id* may view the report now (see ``_viewable_by``)."""
    return connection.execute(select(reports.c.id).where(
        reports.c.id == report_id, _viewable_by(user_id))).first() is not None


def require_viewer(connection: Connection, report_id: str, user_id: str) -> Report:
    """The report, if *user_id* may view it now. Raises ``ReportNotFound`` or
    ``ReportRefused`` (which names nothing of the report)."""
    report = get(connection, report_id)
    if not may_view(connection, report_id, user_id):
        raise ReportRefused("You are not allowed to see this report. Ask its owner for access.")
    return report


def may_manage(report: Report, user_id: str, role: str) -> bool:
    """Whether the user controls the report's previews: its owner or an admin."""
    return role == "admin" or (report.owner_id is not None and report.owner_id == user_id)


def snapshot_image(connection: Connection, report_id: str) -> tuple[str, bytes]:
    """(media type, bytes) of the report's snapshot. Raises ``ReportNotFound`` when the
    report has none."""
    row = connection.execute(select(report_snapshots.c.media_type, report_snapshots.c.data)
                             .where(report_snapshots.c.report_id == report_id)).first()
    if row is None:
        raise ReportNotFound("This report has no snapshot image.")
    return row.media_type, bytes(row.data)


@dataclass(frozen=True)
class Library:
    """The reports the BI server registered, bound to the store and the clock: registering,
    removing, and what a viewer may see of them."""

    store: Store
    clock: Clock

    def register(self, *, report_id: str, title: str, owner: str, users_: list[str],
                 groups: list[str], generated_at: datetime | None, summary: Summary | None,
                 snapshot: Snapshot | None, integration_id: str | None) -> tuple[Report, bool]:
        """Create or replace a report (everything about it) and say whether it is new.

        Exactly one of *summary* and *snapshot* is given (a validated ``Summary`` or a
        ``Snapshot`` from ``snapshots.validate``). Raises ``InvalidRequest`` (bad id, group
        name, content, or a generation time in the future) and ``UnknownUsers``.
        """
        check_id(report_id)
        if (summary is None) == (snapshot is None):
            raise InvalidRequest("Send either a snapshot or a summary, not both or neither.")
        if len(users_) > MAX_VIEWERS or len(groups) > MAX_VIEWERS:
            raise InvalidRequest("Choose at most {most} users and {most} groups.",
                                 params={"most": MAX_VIEWERS})
        for name in groups:
            if not GROUP_NAME.match(name):
                raise InvalidRequest("\"{name}\" is not a valid group name.", params={"name": name},
                                     field="groups")
        now = self.clock.now()
        if generated_at is not None and generated_at > now + CLOCK_SKEW:
            raise InvalidRequest("The generation time (generated_at) lies in the "
                                 "future.", field="generated_at")
        values = dict(
            title=title, content_kind="summary" if summary else "snapshot",
            summary=summary.model_dump(mode="json") if summary else None,
            generated_at=generated_at or now, updated_at=now, updated_by=integration_id,
        )
        for attempt in range(2):
            try:
                with self.store.write() as connection:
                    return _save(connection, self.clock, report_id, owner, users_, groups, values,
                                 snapshot)
            except IntegrityError:
                # Two first registrations of one id raced (PostgreSQL): the loser's retry
                # finds the row and replaces it, as a later call would.
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def remove(self, report_id: str, integration_id: str | None) -> None:
        """Forget a report; its preview links and grants go with it. Raises ``ReportNotFound``."""
        with self.store.write() as connection:
            if not connection.execute(delete(reports).where(reports.c.id == report_id)).rowcount:
                raise ReportNotFound("There is no such report. It may have been removed.")
            audit.record(connection, self.clock, "report.removed", subject=report_id,
                         details={"integration": integration_id})

    def for_viewer(self, report_id: str, user_id: str) -> Report:
        """``require_viewer`` in a transaction of its own."""
        with self.store.read() as connection:
            return require_viewer(connection, report_id, user_id)

    def viewer_snapshot(self, report_id: str, user_id: str) -> tuple[str, bytes]:
        """(media type, bytes) of the snapshot, for a user who may view the report now.
        Raises ``ReportNotFound`` (also when there is no snapshot) and ``ReportRefused``."""
        with self.store.read() as connection:
            require_viewer(connection, report_id, user_id)
            return snapshot_image(connection, report_id)

    def visible_to(self, user_id: str) -> list[Report]:
        """Every report *user_id* may view now, most recently updated first."""
        with self.store.read() as connection:
            ids = connection.execute(
                select(reports.c.id).where(_viewable_by(user_id))
                .order_by(reports.c.updated_at.desc(), reports.c.id)).scalars().all()
            return [get(connection, report_id) for report_id in ids]
