"""What the multi-node tests share: whether they can run, the cluster they get, and HTTP
clients that each come from a client address of their own."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

import pytest
import requests

from tests.cluster import Cluster, Instance, Process

POSTGRES_URL = os.environ.get("GATEWAY_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("GATEWAY_TEST_REDIS_URL", "")
QR_START_LIMIT = 5  # per minute and address: small, so a test can reach it

needs_cluster = pytest.mark.skipif(
    not (POSTGRES_URL and REDIS_URL),
    reason="GATEWAY_TEST_DATABASE_URL and GATEWAY_TEST_REDIS_URL not both set")


@dataclass
class Running:
    """The started cluster: instances A and B, the push workers now running, and an app in
    the test's process on the same store and keys (to set up data and look at outcomes)."""

    cluster: Cluster
    a: Instance
    b: Instance
    workers: list[Process]
    app: object

    @property
    def svc(self):
        return self.app.extensions["gateway"]


def client_address() -> str:
    """A client address of its own (sent as X-Forwarded-For through the one trusted proxy),
    so each test has its own rate-limit buckets, even beside another run on the same Redis."""
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{1 + secrets.randbelow(254)}"


def browser(address: str | None = None) -> requests.Session:
    """An HTTP client that comes from *address* (a fresh one by default)."""
    session = requests.Session()
    session.headers["X-Forwarded-For"] = address or client_address()
    return session
