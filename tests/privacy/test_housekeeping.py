"""Instances that each run the scheduled purge (``Housekeeper``) purge the shared store once
per period between them; each still removes its own machine's old access log files."""

from __future__ import annotations

from sqlalchemy import func, select

from gateway.core.audit_tables import operations
from gateway.privacy.housekeeping import PERIOD_SECONDS, Housekeeper


def purges(app) -> int:
    with app.extensions["gateway"].store.read() as connection:
        return connection.execute(select(func.count()).select_from(operations)
                                  .where(operations.c.action == "retention.purged")).scalar_one()


def test_a_second_instance_on_the_same_schedule_leaves_the_store_to_the_first(app, clock):
    first, second = Housekeeper(app.extensions["gateway"]), Housekeeper(app.extensions["gateway"])  # two instances, one store
    assert "sessions" in first.purge_once()
    clock.advance(hours=1)  # the second one started an hour later
    assert second.purge_once() == {"access_log_files": 0}
    assert purges(app) == 1
    clock.advance(seconds=PERIOD_SECONDS)  # a day later, whoever comes first purges
    assert "sessions" in second.purge_once()
    assert first.purge_once() == {"access_log_files": 0}
    assert purges(app) == 2


def test_a_purge_asked_for_by_hand_runs_whenever_it_is_asked(app, runner):
    Housekeeper(app.extensions["gateway"]).purge_once()
    assert runner.invoke(args=["gateway", "purge"]).exit_code == 0
    assert purges(app) == 2
