"""The store's schema: migrations run up and down on an empty database, on both engines."""

import threading
import time

from sqlalchemy import inspect

from gateway.core.store import Store
from gateway.schema import metadata


def test_migrations_build_every_table_from_empty_and_remove_them_again(app):
    store = app.extensions["gateway"].store
    store.downgrade("base")
    assert set(inspect(store.engine).get_table_names()) <= {"alembic_version"}
    assert not store.migrations_current()
    store.upgrade()
    assert set(metadata.tables) <= set(inspect(store.engine).get_table_names())
    assert store.migrations_current()


def test_the_migrations_match_the_declared_tables(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store = app.extensions["gateway"].store
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    store = Store.from_url(f"sqlite:///{tmp_path}/x.sqlite3")
    with store.read() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.dispose()


def test_a_sqlite_writer_waiting_for_another_begins_as_soon_as_it_commits(tmp_path):
    # Waiting on SQLite's own lock, the second writer would sleep in the busy handler's
    # steps (100 ms each after the first quarter second) and begin up to 100 ms late.
    store = Store.from_url(f"sqlite:///{tmp_path}/x.sqlite3")
    with store.write() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    first_began, committed, second_began = threading.Event(), [], []

    def second() -> None:
        first_began.wait()
        with store.write() as connection:
            second_began.append(time.perf_counter())
            connection.exec_driver_sql("INSERT INTO t VALUES (2)")

    waiting = threading.Thread(target=second)
    waiting.start()
    with store.write() as connection:
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        first_began.set()
        time.sleep(0.25)  # the second writer waits meanwhile
    committed.append(time.perf_counter())
    waiting.join()
    assert second_began[0] - committed[0] < 0.04
    with store.read() as connection:
        assert connection.exec_driver_sql("SELECT x FROM t ORDER BY rowid").scalars().all() == [1, 2]
    store.dispose()
