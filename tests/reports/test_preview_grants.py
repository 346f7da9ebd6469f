"""gateway.reports.preview and gateway.reports.preview_control: links, grants as JWTs with a
row behind them, single-winner revocation, and the purge of what ended (through the gateway's
bound ``reports`` services, without Flask)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import func, select

from gateway.core import audit
from gateway.core.clock import epoch
from gateway.core.errors import TokenInvalid
from gateway.reports import preview
from gateway.reports.summary import Summary
from gateway.reports.tables import preview_grants, preview_links
from tests.preview_support import SUMMARY


@pytest.fixture
def svc(gateway):
    return gateway


@pytest.fixture
def setting(svc, people):
    """Olivia owns a report Victor may see; Victor has a signed-in phone."""
    olivia = people.create_user("olivia")
    victor = people.create_user("victor", groups=("sales",))
    svc.reports.library.register(
        report_id="sales-q3", title="Sales", owner="olivia", users_=[], groups=["sales"],
        generated_at=None, summary=Summary.model_validate(SUMMARY), snapshot=None,
        integration_id=None)
    phone = people.device_sign_in("victor")
    return olivia, victor, phone


def link(svc, user_id):
    return svc.reports.previews.create_link(report_id="sales-q3", user_id=user_id)


def open_(svc, phone, found):
    return svc.reports.previews.open_preview(user_id=phone.user_id, device_id=phone.device_id,
                                             token=found.url.rsplit("/", 1)[1])


def test_a_grant_is_an_es256_jwt_for_the_preview_audience_backed_by_a_row(svc, setting):
    _, victor, phone = setting
    issued = open_(svc, phone, link(svc, victor.id))
    header = jwt.get_unverified_header(issued.token)
    assert header["alg"] == "ES256" and header["typ"] == "preview+jwt" and header["kid"]
    claims = svc.signer.verify(issued.token, audience="preview", typ="preview+jwt")
    assert claims["jti"] == issued.grant.id and claims["rid"] == "sales-q3"
    assert claims["did"] == phone.device_id and claims["sub"] == victor.id
    assert claims["exp"] == epoch(svc.clock.now() + timedelta(minutes=10))
    with pytest.raises(TokenInvalid):
        svc.signer.verify(issued.token, audience="gateway")  # not an access token


def test_a_grant_ends_exactly_at_its_expiry(svc, setting, clock):
    _, victor, phone = setting
    issued = open_(svc, phone, link(svc, victor.id))
    clock.advance(minutes=10, seconds=-1)
    svc.reports.previews.use_grant(issued.token, user_id=victor.id, device_id=phone.device_id)
    clock.advance(seconds=1)
    with pytest.raises(preview.PreviewEnded) as ended:
        svc.reports.previews.use_grant(issued.token, user_id=victor.id,
                                       device_id=phone.device_id)
    assert ended.value.extensions["reason"] == "expired"


def test_concurrent_revocations_have_one_winner(svc, setting):
    olivia, victor, phone = setting
    issued = open_(svc, phone, link(svc, victor.id))
    with ThreadPoolExecutor(10) as pool:
        grants = list(pool.map(lambda _: svc.reports.control.revoke(
            "sales-q3", issued.grant.id, user_id=olivia.id, role="user"), range(10)))
    assert {g.revoked_reason for g in grants} == {"revoked"}
    with svc.store.read() as connection:
        assert len(audit.recent(connection, action="preview.revoked")) == 1


def test_the_purge_removes_what_ended_a_day_ago_and_keeps_the_rest(svc, setting, clock):
    _, victor, phone = setting
    open_(svc, phone, link(svc, victor.id))
    clock.advance(days=1, minutes=11)
    open_(svc, phone, link(svc, victor.id))
    assert svc.reports.control.purge() == 2  # the old link and grant
    with svc.store.read() as connection:
        for table in (preview_links, preview_grants):
            assert connection.execute(select(func.count()).select_from(table)).scalar_one() == 1


def test_an_old_typed_code_does_not_shadow_a_live_one(svc, setting, clock, monkeypatch):
    _, victor, phone = setting
    monkeypatch.setattr(preview.secrets, "choice", lambda alphabet: alphabet[0])
    first = link(svc, victor.id)
    clock.advance(minutes=6)
    second = link(svc, victor.id)
    assert first.code == second.code == "BBBB-BBBB"
    issued = svc.reports.previews.open_preview(user_id=victor.id, device_id=phone.device_id,
                                               code="bbbbbbbb")
    assert issued.grant.via == "typed_code"
