"""schemathesis against the running gateway's own /openapi.json, signed in with a device
token, an admin's browser session (cookie and CSRF token) and an integration key: no
answer is a 5xx or strays from the document (undocumented status, content type or body,
a request that breaks the schema accepted, an operation that ignores its credentials).

Bounded for CI: one pass of every phase with ``GATEWAY_TEST_FUZZ_EXAMPLES`` cases per
operation and phase (default 10), about a minute per database. A campaign sets more
examples and ``GATEWAY_TEST_FUZZ_SECONDS``: schemathesis then keeps fuzzing until that
time is up (README, "Fuzzing"). ``GATEWAY_TEST_FUZZ_SEED`` replays a run.
"""

from __future__ import annotations

import os

import pytest

from tests.fuzz import fuzzing
from tests.live_server import live_gateway

EXAMPLES = int(os.environ.get("GATEWAY_TEST_FUZZ_EXAMPLES", "10"))
SECONDS = int(os.environ.get("GATEWAY_TEST_FUZZ_SECONDS", "0")) or None
SEED = os.environ.get("GATEWAY_TEST_FUZZ_SEED")


@pytest.fixture
def hypothesis_home(tmp_path):
    """Hypothesis caches what it learns in .hypothesis/ of the working directory: not in
    the source tree."""
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(tmp_path / "hypothesis")
    yield
    set_hypothesis_home_dir(None)


@pytest.mark.fuzz
def test_fuzzing_the_api_finds_no_server_error_and_no_answer_off_the_document(
        settings, hypothesis_home):
    # Rate limits off: one address sends thousands of requests, and a 429 teaches nothing.
    with live_gateway(settings.replace(rate_limits_enabled=False)) as (app, base_url):
        outcome = fuzzing.run(app, base_url, examples=EXAMPLES, seconds=SECONDS,
                              seed=int(SEED) if SEED else None)
    print(f"\nschemathesis: {outcome.summary()}")
    assert not outcome.errors, "\n".join(outcome.errors)
    assert not outcome.failures, "\n".join(outcome.failures)
    # It got past authentication to the real endpoints, not only their 401s.
    passed = sum(count for status, count in outcome.statuses.items() if status < 300)
    assert passed >= outcome.cases // 20 and outcome.cases >= 50 * min(EXAMPLES, 10)
