"""The store: one SQLAlchemy engine per app, transactions, and Alembic migrations.

SQLite runs in WAL mode with foreign keys on. Its write transactions begin with
``BEGIN IMMEDIATE`` so two writers queue instead of failing when a read lock would have
to be upgraded (on a lock within the process, on the busy timeout across processes);
reads begin deferred and never block each other.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).parent / "migrations"
BUSY_SECONDS = 30  # how long a SQLite writer waits for another before it fails


def hold_lock(connection: Connection, key: int) -> None:
    """Take the cluster-wide lock *key* until the open write transaction ends.

    On PostgreSQL an advisory lock, so that instances sharing the database queue; SQLite
    needs none: its write transactions begin IMMEDIATE, so they queue already.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def make_engine(url: str) -> Engine:
    """An engine for *url*: ``postgresql://`` URLs use psycopg 3, SQLite is tuned as above."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"timeout": BUSY_SECONDS,
                                                     "check_same_thread": False})
        _tune_sqlite(engine)
        return engine
    return create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event below emit BEGIN itself (the documented recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        mode = "IMMEDIATE" if connection.get_execution_options().get("write") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")


class Store:
    """The gateway's database: hands out read and write transactions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite: one process's writers queue on this lock, and each begins the moment the
        # one before commits. On the database's own lock they would wait in SQLite's busy
        # handler, which sleeps in growing steps (up to 100 ms) and looks again only when
        # each step ends: a claim behind an expansion chunk lost tens of milliseconds
        # after the chunk had committed. Writers in other processes still queue on the
        # busy timeout.
        self._writing = threading.Lock() if engine.dialect.name == "sqlite" else None

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(make_engine(url))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A transaction for reading; it never takes a write lock."""
        with self.engine.connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that commits when the block ends and rolls back if it raises."""
        # Past the busy timeout (a writer stuck, or a nested write in this thread), go on
        # to SQLite's own lock and its busy timeout, as without the lock.
        queued = self._writing is not None and self._writing.acquire(timeout=BUSY_SECONDS)
        try:
            with self.engine.connect() as connection:
                connection.execution_options(write=True)
                with connection.begin():
                    yield connection
        finally:
            if queued:
                self._writing.release()

    def dispose(self) -> None:
        self.engine.dispose()

    # -- migrations ---------------------------------------------------------------

    # Alembic is imported by the methods that use it: a serving process needs it only for
    # the readiness check, and it is about 10 MB of the embedded default's idle memory.

    def _alembic_config(self, connection: Connection):
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        return config

    def upgrade(self, revision: str = "heads") -> None:
        """Apply the migrations up to *revision* (by default all of them, every branch)."""
        from alembic import command

        with self.engine.begin() as connection:
            command.upgrade(self._alembic_config(connection), revision)

    def downgrade(self, revision: str) -> None:
        """Undo migrations down to *revision* (``base`` removes every table)."""
        from alembic import command

        with self.engine.begin() as connection:
            command.downgrade(self._alembic_config(connection), revision)

    def migrations_current(self) -> bool:
        """Whether the database stands at the newest migration."""
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        with self.engine.connect() as connection:
            config = self._alembic_config(connection)
            heads = set(ScriptDirectory.from_config(config).get_heads())
            current = set(MigrationContext.configure(connection).get_current_heads())
        return current == heads

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
