"""Fixtures: a gateway (``gateway``, built by the composition root, for domain tests
without Flask) or an app (``app``, for HTTP tests) on a fresh database per test, on SQLite
and, when GATEWAY_TEST_DATABASE_URL names one, again on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid

import pytest
from sqlalchemy import text

from gateway import create_app
from gateway.build import build_gateway
from gateway.core.settings import Settings
from gateway.core.store import Store, sqlite_url
from gateway.schema import metadata
from tests.push_support import PushKit, push_settings
from tests.pushservice import PushService
from tests.secrets_watch import SecretsWatch
from tests.support import Actions, FakeClock, People

POSTGRES_URL = os.environ.get("GATEWAY_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("GATEWAY_TEST_REDIS_URL", "")
FAST_HASH = "scrypt:1024:8:1"  # the real cost is a setting; tests need not pay it

ENGINES = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not POSTGRES_URL, reason="GATEWAY_TEST_DATABASE_URL not set"),
    ),
]


@pytest.fixture(autouse=True)
def no_secret_in_logs(request, tmp_path):
    """Agreement 1.2.2, for every test: nothing the gateway hands out appears in a log."""
    with SecretsWatch() as watch:
        yield watch
    if request.node.get_closest_marker("leaks_on_purpose"):
        return
    leaks = watch.leaks(tmp_path)
    assert not leaks, f"secrets found in the logs: {[s[:6] + '...' for s in leaks]}"


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("keys")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file that each test copies instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "gateway.sqlite3"
    store = Store.from_url(sqlite_url(path))
    store.upgrade()
    store.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_schema():
    """A schema of its own in the test database, migrated once, dropped at the end."""
    schema = f"gw_test_{uuid.uuid4().hex[:10]}"
    admin = Store.from_url(POSTGRES_URL)
    with admin.engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    store = Store.from_url(url)
    store.upgrade()
    yield url, store
    store.dispose()
    with admin.engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=ENGINES)
def database_url(request, tmp_path, sqlite_template):
    if request.param == "sqlite":
        path = tmp_path / "gateway.sqlite3"
        shutil.copyfile(sqlite_template, path)
        return sqlite_url(path)
    url, store = request.getfixturevalue("postgres_schema")
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with store.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return url


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def settings(request, tmp_path, database_url, keys_dir):
    settings = Settings(
        database_url=database_url,
        instance_path=str(tmp_path / "instance"),
        keys_dir=str(keys_dir),
        public_url="https://gateway.test",
        password_hash=FAST_HASH,
    )
    # A module marked push_service pushes to the local service (``service`` below).
    return push_settings(settings) if request.node.get_closest_marker("push_service") else settings


@pytest.fixture
def service(clock):
    """A local push service on 127.0.0.1 that checks what it gets as a strict one would."""
    with PushService(clock) as running:
        yield running


@pytest.fixture
def kit(app, client, service, clock):
    """Push driven in a test: devices, sends, the worker (``tests.push_support.PushKit``)."""
    return PushKit(app, client, service, clock)


@pytest.fixture
def gateway(settings, clock):
    """The gateway built by the composition root, without the web layer."""
    built = build_gateway(settings, clock)
    yield built
    built.store.dispose()


@pytest.fixture
def people(gateway):
    """Accounts and signed-in devices made through the domains (``tests.support.People``)."""
    return People(gateway)


@pytest.fixture
def app(settings, clock):
    app = create_app(settings, clock=clock)
    app.config["TESTING"] = True
    yield app
    app.extensions["gateway"].store.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def actions(app, client):
    return Actions(app, client)
