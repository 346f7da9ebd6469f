"""The personal-data map's vocabulary: a ``Holding`` says where one table keeps personal
data, which category it is, how long it is kept, how it is exported and how it is erased.

Each domain declares the holdings of its tables as plain data; the composition root
(``gateway.build``) gathers them into one ``DataMap``, and the user's export, an account's
deletion and the retention purge are all driven by it. A test fails when a table has a
column that refers to a person and no holding covers it (``tests/privacy``).

Kept in ``core`` so that every domain can declare its holdings without importing
``privacy`` (which reads every domain).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, Table, delete, false, or_, select, update

from gateway.core.clock import Clock

# purger(connection, clock, cutoff, dry_run) -> how many rows it removed or anonymised
Purger = Callable[[Connection, Clock, datetime, bool], int]
# exporter(connection, user_id) -> the data of one section of the user's export
Exporter = Callable[[Connection, str], Any]
# eraser(connection, clock, user_id) -> counts of what it removed or anonymised, run when
# the account is deleted, before the account row goes
Eraser = Callable[[Connection, Clock, str], dict[str, int]]

# What an account's deletion does to a holding's rows: remove them; blank the personal
# columns (``anonymise``: the row stays for what it counts, naming no one); or keep them
# as pseudonymous evidence (only random ids, cut addresses), until its retention ends.
Erasure = Literal["delete", "anonymise", "keep"]


@dataclass(frozen=True)
class Category:
    """One retention rule: *purger* applies it, with the period in the settings field
    *setting* (days, or hours when the field's name ends in ``_hours``)."""

    name: str
    setting: str
    purger: Purger
    what: str


@dataclass(frozen=True)
class Holding:
    """Where one table keeps personal data, and what happens to it.

    *users* and *devices* are the columns holding a user's or a device's id (a row
    belongs to a person when one of them names the person or one of their devices);
    *personal* the other columns that say something about the person; *secret* the
    columns never exported (hashes, keys); *impersonal* the columns whose names sound
    personal but hold nothing about a person (each with its reason beside it). *kept*
    says in words how long rows stay; *retention* are the rules that shorten it.
    *section* is the export section the rows appear in (``exporter`` fills it when the
    rows need shaping, else they are listed as they are); *erasure* what deleting the
    account does, ``eraser`` when that needs more than the generic step.
    """

    table: Table
    category: str
    kept: str
    users: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    personal: tuple[str, ...] = ()
    secret: tuple[str, ...] = ()
    impersonal: tuple[str, ...] = ()
    section: str | None = None
    exporter: Exporter | None = None
    erasure: Erasure = "delete"
    eraser: Eraser | None = None
    retention: tuple[Category, ...] = ()

    @property
    def covered(self) -> frozenset[str]:
        """Every column this holding says something about."""
        return frozenset(self.users + self.devices + self.personal + self.secret
                         + self.impersonal)

    def owned(self, user_id: str, device_ids):
        """The condition selecting this table's rows about *user_id* or their devices
        (*device_ids*: a subquery of their ids)."""
        terms = [self.table.c[name] == user_id for name in self.users]
        terms += [self.table.c[name].in_(device_ids) for name in self.devices]
        return or_(*terms) if terms else false()

    def rows(self, connection: Connection, user_id: str, device_ids) -> list[dict]:
        """This table's rows about *user_id*, without the secret columns, JSON-ready."""
        shown = [c for c in self.table.columns if c.name not in self.secret]
        return json_rows(connection.execute(select(*shown).where(self.owned(user_id, device_ids))))

    def erase(self, connection: Connection, clock: Clock, user_id: str,
              device_ids) -> dict[str, int]:
        """Apply this holding's erasure to the rows about *user_id*."""
        if self.eraser is not None:
            return self.eraser(connection, clock, user_id)
        condition = self.owned(user_id, device_ids)
        if self.erasure == "delete":
            return {"removed": connection.execute(delete(self.table).where(condition)).rowcount}
        if self.erasure == "anonymise":
            blanks = {name: None for name in self.users + self.devices + self.personal
                      if self.table.c[name].nullable}
            return {"anonymised": connection.execute(
                update(self.table).where(condition).values(**blanks)).rowcount}
        return {}


def json_rows(result) -> list[dict]:
    """The rows of *result* as dictionaries, times in ISO 8601."""
    return [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row._mapping.items()}
            for row in result]


class DataMap:
    """Every holding of personal data of the gateway, in the order an account's deletion
    goes through them (the account's own row last). *devices_of(user_id)* is the subquery
    of a user's device ids (identity's to say)."""

    def __init__(self, holdings: Iterable[Holding], devices_of: Callable[[str], Any]) -> None:
        self.holdings = tuple(holdings)
        self.devices_of = devices_of

    def __iter__(self):
        return iter(self.holdings)

    def of(self, table: str) -> list[Holding]:
        """The holdings of the table called *table* (none for a table without personal data)."""
        return [h for h in self.holdings if h.table.name == table]

    def categories(self) -> tuple[Category, ...]:
        """Every retention rule, once each."""
        seen: dict[str, Category] = {}
        for holding in self.holdings:
            for category in holding.retention:
                seen.setdefault(category.name, category)
        return tuple(seen.values())

    def exports(self) -> Mapping[str, Exporter]:
        """Section of the user's export -> what fills it: a holding's own exporter, or its
        rows as they are (several holdings in one section without one: a list per table)."""
        sections: dict[str, list[Holding]] = {}
        for holding in self.holdings:
            if holding.section:
                sections.setdefault(holding.section, []).append(holding)
        return {name: self._section(members) for name, members in sections.items()}

    def erasures(self) -> Mapping[str, Eraser]:
        """Part of an account's deletion -> what it removes, one per table, in order."""
        def eraser(holding: Holding) -> Eraser:
            return lambda connection, clock, user_id: holding.erase(
                connection, clock, user_id, self.devices_of(user_id))
        return {holding.table.name: eraser(holding) for holding in self.holdings
                if holding.erasure != "keep" or holding.eraser is not None}

    def _section(self, members: list[Holding]) -> Exporter:
        custom = [h.exporter for h in members if h.exporter is not None]
        if custom:
            return custom[0]  # it speaks for every table of its section

        def rows(connection: Connection, user_id: str):
            found = {h.table.name: h.rows(connection, user_id, self.devices_of(user_id))
                     for h in members}
            return found[members[0].table.name] if len(members) == 1 else found
        return rows
