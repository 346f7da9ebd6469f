"""Authorization codes and refresh tokens in the domain: single use, also under 50
concurrent redemptions (SQLite and PostgreSQL), expiry on the injected clock."""

from __future__ import annotations

import threading

from gateway.oidc.signins import ACR_PHONE, SignIn
from tests.oidc_support import register

RACERS = 50


def _code(gateway, people, code="the-code"):
    user = people.create_user("alice")
    rp = register(gateway)
    sign_in = SignIn(user.id, 1_800_000_000, ("qr",), ACR_PHONE, None)
    gateway.oidc.codes.save(code, client_id=rp.client_id, redirect_uri=rp.redirect_uri,
                            scope="openid", nonce="n", code_challenge=None,
                            code_challenge_method=None, sign_in=sign_in)
    return rp, sign_in


def _race(action) -> list:
    results, barrier = [], threading.Barrier(RACERS)

    def run():
        barrier.wait()
        results.append(action())

    threads = [threading.Thread(target=run) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_a_code_is_taken_once_of_fifty_concurrent_redemptions(gateway, people):
    rp, _ = _code(gateway, people)
    results = _race(lambda: gateway.oidc.codes.take("the-code", rp.client_id))
    assert sum(result is not None for result in results) == 1


def test_a_code_is_another_clients_or_expired_is_not_taken(gateway, people, clock):
    rp, _ = _code(gateway, people)
    other = register(gateway, name="Grafana")
    assert gateway.oidc.codes.take("the-code", other.client_id) is None
    clock.advance(seconds=61)
    assert gateway.oidc.codes.take("the-code", rp.client_id) is None


def test_a_refresh_token_rotates_and_a_second_use_ends_its_line(gateway, people):
    rp, sign_in = _code(gateway, people)
    tokens = gateway.oidc.tokens
    tokens.issue(client_id=rp.client_id, grant_type="authorization_code", scope="openid",
                 sign_in=sign_in, access_token="a1", expires_in=3600, refresh_token="r1",
                 code_hash="c")
    results = _race(lambda: tokens.take_refresh("r1", rp.client_id))
    assert sum(result is not None for result in results) == 1
    tokens.issue(client_id=rp.client_id, grant_type="refresh_token", scope="openid",
                 sign_in=sign_in, access_token="a2", expires_in=3600, refresh_token="r2",
                 code_hash="c")
    assert tokens.take_refresh("r1", rp.client_id) is None  # used before: the line ends
    assert tokens.access("a2") is None and tokens.take_refresh("r2", rp.client_id) is None
