"""The language a person reads what the gateway sends them on its own (push announcements),
when no request of theirs is there to say it: one rule, as a SQL expression, so that
choosing one person's language and choosing everyone who reads a language agree."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, func, select

from gateway.identity.tables import devices, users


def _latest_device(column) -> ColumnElement:
    """*column* of the user's most recently seen active device that has a value in it."""
    return (select(column)
            .where(devices.c.user_id == users.c.id, devices.c.revoked_at.is_(None),
                   column.is_not(None))
            .order_by(devices.c.last_seen_at.desc(), devices.c.id)
            .limit(1).correlate(users).scalar_subquery())


def reading_language() -> ColumnElement:
    """The language of the user of the row of ``users`` it is evaluated on: the one they
    chose with the pages' switch (``users.language``), else the one chosen on one of their
    phones (``devices.language``), else the one their most recently seen phone asks for
    (``devices.reads_in``, from its ``Accept-Language``); NULL when none says, and then
    the deployment's ``GATEWAY_DEFAULT_LANGUAGE`` applies. Revoked phones do not count."""
    return func.coalesce(users.c.language, _latest_device(devices.c.language),
                         _latest_device(devices.c.reads_in))


def language_of(connection: Connection, user_id: str, default: str) -> str:
    """The language user *user_id* reads (see ``reading_language``), else *default*."""
    return connection.execute(
        select(reading_language()).where(users.c.id == user_id)).scalar() or default
