"""The store's schema: migrations run up and down on an empty database, on both engines."""

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
