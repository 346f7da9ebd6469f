"""The live gateway most browser tests drive: served on 127.0.0.1 (``tests.live_server``),
with alice ("Alice Example") able to sign in under the first agreement, as `flask init`
leaves a fresh install (phones that sign in need a policy in effect)."""

from __future__ import annotations

import pytest

from tests.live_server import live_gateway
from tests.support import Actions


@pytest.fixture
def live_settings(settings):
    """The settings the live gateway runs on; a module overrides this to change one."""
    return settings


@pytest.fixture
def gateway(live_settings):
    """(app, base_url) of a live gateway with alice and the first agreement in effect."""
    with live_gateway(live_settings) as (app, base_url):
        actions = Actions(app, app.test_client())
        actions.ensure_policy()  # as `flask init` publishes on a fresh install
        actions.create_user("alice", display_name="Alice Example")
        yield app, base_url
