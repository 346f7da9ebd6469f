"""The OpenID Provider's ended rows go with the housekeeper's sweep, never in a request:
requests past their time, codes an hour after theirs, tokens a day after they ended."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from gateway.core.tokens import digest
from gateway.oidc.signins import ACR_PHONE, SignIn
from gateway.oidc.tables import oidc_codes, oidc_requests, oidc_tokens
from gateway.privacy.sweep import sweep_ended_flows
from tests.oidc_support import register


def _rows(gateway) -> dict[str, int]:
    with gateway.store.read() as connection:
        return {table.name: connection.execute(select(func.count()).select_from(table))
                .scalar_one() for table in (oidc_requests, oidc_codes, oidc_tokens)}


def _issue_everything(gateway, people, rp, tag: str) -> None:
    user = people.create_user(f"user-{tag}")
    sign_in = SignIn(user.id, 1_800_000_000, ("qr",), ACR_PHONE, None)
    gateway.oidc.requests.open(rp.client_id, {"scope": "openid", "state": tag})
    gateway.oidc.codes.save(f"code-{tag}", client_id=rp.client_id, redirect_uri=rp.redirect_uri,
                            scope="openid", nonce=None, code_challenge=None,
                            code_challenge_method=None, sign_in=sign_in)
    gateway.oidc.tokens.issue(client_id=rp.client_id, grant_type="authorization_code",
                              scope="openid", sign_in=sign_in, access_token=f"access-{tag}",
                              expires_in=3600)


def test_no_request_removes_what_ended_before_it(gateway, people, clock):
    rp = register(gateway)
    _issue_everything(gateway, people, rp, "old")
    clock.advance(days=2)
    _issue_everything(gateway, people, rp, "new")
    assert _rows(gateway) == {"oidc_requests": 2, "oidc_codes": 2, "oidc_tokens": 2}


def test_the_sweep_removes_ended_requests_codes_and_tokens_and_nothing_alive(
        gateway, people, clock):
    rp = register(gateway)
    _issue_everything(gateway, people, rp, "old")
    clock.advance(minutes=16)  # the request ended; the code is kept an hour for reuse checks
    assert sweep_ended_flows(gateway.store, clock, gateway.settings) == 1
    assert _rows(gateway) == {"oidc_requests": 0, "oidc_codes": 1, "oidc_tokens": 1}
    clock.advance(hours=1)
    sweep_ended_flows(gateway.store, clock, gateway.settings)
    assert _rows(gateway) == {"oidc_requests": 0, "oidc_codes": 0, "oidc_tokens": 1}
    clock.advance(days=1)  # the access token expired a day ago
    _issue_everything(gateway, people, rp, "new")
    sweep_ended_flows(gateway.store, clock, gateway.settings)
    assert _rows(gateway) == {"oidc_requests": 1, "oidc_codes": 1, "oidc_tokens": 1}


def test_a_revoked_refresh_token_is_kept_until_it_expires_so_its_reuse_is_caught(
        gateway, people, clock):
    rp = register(gateway)
    user = people.create_user("rotating")
    sign_in = SignIn(user.id, 1_800_000_000, ("qr",), ACR_PHONE, None)

    def issue(number: int) -> None:
        gateway.oidc.tokens.issue(client_id=rp.client_id, grant_type="refresh_token",
                                  scope="openid offline_access", sign_in=sign_in,
                                  access_token=f"access-{number}", expires_in=3600,
                                  refresh_token=f"refresh-{number}", code_hash="line-1")

    issue(1)
    assert gateway.oidc.tokens.take_refresh("refresh-1", rp.client_id) is not None
    issue(2)  # rotated
    clock.advance(days=2)
    sweep_ended_flows(gateway.store, clock, gateway.settings)
    # The thief replays the first token two days on: refused, and the whole line ends.
    assert gateway.oidc.tokens.take_refresh("refresh-1", rp.client_id) is None
    assert gateway.oidc.tokens.take_refresh("refresh-2", rp.client_id) is None
    clock.advance(days=31)  # past the refresh tokens' own lifetime, and a day
    sweep_ended_flows(gateway.store, clock, gateway.settings)
    assert _rows(gateway)["oidc_tokens"] == 0


def test_a_token_of_a_browser_session_still_signed_in_stays_until_the_session_ends(
        gateway, people, clock):
    rp = register(gateway)
    user = people.create_user("long-session")
    session_id = gateway.identity.sessions.sign_in(user.id, "qr", timedelta(days=7))
    sign_in = SignIn(user.id, 1_800_000_000, ("qr",), ACR_PHONE, digest(session_id))
    gateway.oidc.tokens.issue(client_id=rp.client_id, grant_type="authorization_code",
                              scope="openid", sign_in=sign_in, access_token="access-long",
                              expires_in=3600)
    clock.advance(days=3)  # the access token expired two days ago; the session lives on
    sweep_ended_flows(gateway.store, clock, gateway.settings)
    # Its row is how the session's end reaches the relying party's back-channel logout.
    assert _rows(gateway)["oidc_tokens"] == 1
    clock.advance(days=4, seconds=1)  # the session expired: nothing left to tell
    sweep_ended_flows(gateway.store, clock, gateway.settings)
    assert _rows(gateway)["oidc_tokens"] == 0
