"""Delivery statistics kept beside the outbox, in the same transactions: counts per
minute, push service origin and outcome, and a send latency histogram per origin.

They feed the console's chart and ``/metrics``; being in the store, they add up across
the web process, separate worker processes and several gateway instances.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects import postgresql, sqlite

from gateway.push.tables import delivery_stats, latency_stats

LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _add(connection: Connection, table, keys: tuple[str, ...], column: str,
         rows: list[dict]) -> None:
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys), set_={column: table.c[column] + statement.excluded[column]})
    connection.execute(statement, rows)


def minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def count(connection: Connection, now: datetime, outcomes: Counter) -> None:
    """Add *outcomes*, a Counter of (origin, outcome), to the current minute."""
    minute = minute_of(now)
    _add(connection, delivery_stats, ("minute", "origin", "outcome"), "count",
         [{"minute": minute, "origin": origin, "outcome": outcome, "count": n}
          for (origin, outcome), n in sorted(outcomes.items())])


def time_sends(connection: Connection, latencies: list[tuple[str, float]]) -> None:
    """Add (origin, seconds) send latencies to the histogram."""
    cells: Counter = Counter()
    for origin, seconds in latencies:
        bound = next((b for b in LATENCY_BUCKETS if seconds <= b), None)
        cells[(origin, "+Inf" if bound is None else repr(bound))] += 1
        cells[(origin, "sum")] += seconds
        cells[(origin, "count")] += 1
    _add(connection, latency_stats, ("origin", "bucket"), "value",
         [{"origin": o, "bucket": b, "value": float(v)} for (o, b), v in sorted(cells.items())])


def totals(connection: Connection) -> dict[tuple[str, str], int]:
    """Every delivery outcome ever counted, by (origin, outcome)."""
    rows = connection.execute(
        select(delivery_stats.c.origin, delivery_stats.c.outcome, func.sum(delivery_stats.c.count))
        .group_by(delivery_stats.c.origin, delivery_stats.c.outcome))
    return {(origin, outcome): int(n) for origin, outcome, n in rows}


def latency(connection: Connection) -> dict[str, dict[str, float]]:
    """The latency histogram cells per origin: bucket bound (or sum, count) -> value."""
    found: dict[str, dict[str, float]] = {}
    for row in connection.execute(select(latency_stats)):
        found.setdefault(row.origin, {})[row.bucket] = row.value
    return found


def series(connection: Connection, since: datetime, until: datetime,
           step: timedelta) -> list[dict]:
    """Outcomes per *step* between *since* and *until*, oldest first, every step present
    (zeros included) so a chart needs no gap handling."""
    rows = connection.execute(
        select(delivery_stats.c.minute, delivery_stats.c.outcome, delivery_stats.c.count)
        .where(delivery_stats.c.minute >= minute_of(since), delivery_stats.c.minute <= until))
    start = minute_of(since)
    steps = max(int((until - start) / step) + 1, 1)
    buckets: list[dict] = [{"at": start + step * i, "counts": Counter()} for i in range(steps)]
    for minute, outcome, n in rows:
        index = min(int((minute - start) / step), steps - 1)
        buckets[index]["counts"][outcome] += n
    return [{"at": b["at"], "counts": dict(b["counts"])} for b in buckets]
