"""A cluster for the multi-node tests: a fresh PostgreSQL schema, migrated by ``flask init``;
two gateway instances (gunicorn, as the run command starts them) and two push workers on
127.0.0.1, sharing the schema, Redis and one keys folder. Skipped unless both
GATEWAY_TEST_DATABASE_URL and GATEWAY_TEST_REDIS_URL are set. Every process is stopped
at the end of the session, whatever happened."""

from __future__ import annotations

import pytest

from gateway import create_app
from gateway.core.settings import Settings
from tests.cluster import Cluster, fresh_schema
from tests.multinode_support import POSTGRES_URL, QR_START_LIMIT, REDIS_URL, Running


@pytest.fixture(scope="session")
def running(tmp_path_factory):
    if not (POSTGRES_URL and REDIS_URL):
        pytest.skip("GATEWAY_TEST_DATABASE_URL and GATEWAY_TEST_REDIS_URL not both set")
    folder = tmp_path_factory.mktemp("cluster")
    with fresh_schema(POSTGRES_URL) as database_url:
        cluster = Cluster(
            folder, database_url, REDIS_URL,
            GATEWAY_TRUSTED_PROXIES="1",
            GATEWAY_LOG_LEVEL="INFO",  # each instance's scheduled purge says what it did
            GATEWAY_QR_START_LIMIT=f"{QR_START_LIMIT} per minute",
            # Small enough that a fan-out of 2,000 takes a few seconds (so a worker can be
            # stopped in the middle of it) and a dead worker's lease ends soon (7 s).
            GATEWAY_PUSH_CONCURRENCY="16",
            GATEWAY_PUSH_SEND_TIMEOUT_SECONDS="2",
            GATEWAY_PUSH_CONNECT_TIMEOUT_SECONDS="2",
        )
        app = None
        try:
            cluster.init()
            a = cluster.gateway("gateway-a", port=cluster.public_port)
            b = cluster.gateway("gateway-b")
            workers = [cluster.worker("worker-1"), cluster.worker("worker-2")]
            cluster.ready(a, b, *workers)
            app = create_app(Settings.from_environ(cluster.env))
            yield Running(cluster, a, b, workers, app)
        finally:
            cluster.close()
            if app is not None:
                app.extensions["gateway"].store.dispose()
