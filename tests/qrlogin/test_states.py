"""The QR login state machine, driven directly with a clock the tests move."""

from __future__ import annotations

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from gateway.consent import ConsentRequired
from gateway.core import audit, qrcodes
from gateway.core.errors import CsrfFailed, InvalidRequest
from gateway.core.tokens import digest
from gateway.identity.device_proofs import ProofInvalid, ProofReplayed, ProofRequired
from gateway.qrlogin import logins as qrlogin
from gateway.qrlogin import phone as qrlogin_phone
from gateway.qrlogin.tables import qr_login_tokens, qr_logins
from tests.qrlogin_support import DESKTOP, Flow, proof


@pytest.fixture
def flow(gateway, people, clock):
    return Flow(gateway, people, clock)


def test_a_new_login_is_pending_and_keeps_no_secret_in_clear(flow):
    assert flow.status().state == "pending"
    with flow.store.read() as connection:
        row = connection.execute(select(qr_logins)).one()
        hashes = set(connection.execute(select(qr_login_tokens.c.token_hash)).scalars())
    stored = " ".join(str(value) for value in row)
    for secret in (flow.started.browser_secret, flow.started.csrf_token, flow.token(),
                   flow.started.code.replace("-", "")):
        assert secret not in stored
    assert digest(flow.token()) in hashes and flow.token() not in hashes
    assert len(hashes) == 4  # 120 s of 30 s tokens


def test_scanning_shows_the_number_to_the_browser_and_three_choices_to_the_phone(flow):
    with flow.bus.subscribe(qrlogin.channel(flow.id)) as inbox:
        scanned = flow.scan()
        assert inbox.get(timeout=1) == {"state": "scanned", "number": scanned.login.number}
    status = flow.status()
    assert status.state == "scanned" and 10 <= status.number <= 99
    assert status.number in scanned.login.choices and len(set(scanned.login.choices)) == 3
    assert scanned.login.requester.browser == "Firefox 133"


def test_scanning_again_from_the_same_phone_changes_nothing(flow):
    first = flow.scan()
    again = flow.scan()
    assert again.login.choices == first.login.choices and again.login.number == first.login.number


def test_a_second_phone_cannot_take_over_a_scanned_login(flow, people):
    flow.scan()
    other = flow.phone_of(people.device_sign_in(device_id="tablet-0002"))
    with pytest.raises(qrlogin.WrongState):
        flow.scan(phone=other)


def test_confirming_with_the_right_number_and_a_proof_confirms(flow):
    flow.scan()
    assert flow.confirm().state == "confirmed"
    assert flow.status().state == "confirmed"
    with flow.store.read() as connection:
        logged = audit.recent(connection, "qrlogin.confirmed")
    assert logged[0].actor == flow.device.user_id and logged[0].subject == flow.id
    assert flow.token() not in str(logged[0].details)


def test_a_wrong_number_denies_the_login(flow):
    flow.scan()
    wrong = next(n for n in flow.scan().login.choices if n != flow.status().number)
    with pytest.raises(qrlogin_phone.WrongNumber):
        flow.confirm(number=wrong)
    assert flow.status().state == "denied"
    with pytest.raises(qrlogin.WrongState):
        flow.confirm()


def test_the_phone_can_deny(flow):
    flow.scan()
    assert flow.deny().state == "denied"
    with pytest.raises(qrlogin.WrongState):
        flow.redeem()


def test_redeeming_opens_a_session_and_signs_an_assertion_once(flow):
    flow.scan()
    flow.confirm()
    done = flow.redeem()
    key = flow.svc.keyring.get(jwt.get_unverified_header(done.assertion)["kid"])
    claims = jwt.decode(done.assertion, key.private_key.public_key(), algorithms=["ES256"],
                        audience="bi-server", options={"verify_exp": False})
    assert claims["sub"] == flow.device.user_id and claims["amr"] == ["qr"]
    assert claims["exp"] - claims["iat"] == 60 and claims["auth_time"] and claims["jti"]
    assert jwt.get_unverified_header(done.assertion)["typ"] == "login+jwt"
    assert flow.status().state == "redeemed"
    with pytest.raises(qrlogin.WrongState):
        flow.redeem()


@pytest.mark.parametrize("step", ["pending", "scanned", "denied"])
def test_only_a_confirmed_login_can_be_redeemed(flow, step):
    if step != "pending":
        flow.scan()
    if step == "denied":
        flow.deny()
    with pytest.raises(qrlogin.WrongState):
        flow.redeem()


def test_a_phone_cannot_confirm_or_deny_a_login_it_did_not_scan(flow, people):
    with pytest.raises(qrlogin.LoginNotFound):
        flow.confirm(number=42)
    flow.scan()
    other_device = people.device_sign_in(device_id="tablet-0002")
    with pytest.raises(qrlogin.LoginNotFound):
        flow.confirm(device=other_device, phone=flow.phone_of(other_device))


def test_ended_logins_cannot_move_again(flow):
    flow.scan()
    flow.confirm()
    with pytest.raises(qrlogin.WrongState):
        flow.deny()
    with pytest.raises(qrlogin.WrongState):
        flow.scan(token=flow.token(0))
    flow.redeem()
    with pytest.raises(qrlogin.WrongState):
        flow.confirm()


def test_only_the_starting_browser_can_watch_or_redeem(flow):
    flow.scan()
    flow.confirm()
    with pytest.raises(qrlogin.BrowserMissing):
        flow.browser.status(flow.id, None)
    with pytest.raises(qrlogin.OtherBrowser):
        flow.browser.status(flow.id, "another browser's secret")
    with pytest.raises(qrlogin.OtherBrowser):
        flow.redeem(secret="another browser's secret")
    with pytest.raises(CsrfFailed):
        flow.redeem(csrf="forged")
    assert flow.status().state == "confirmed"


def test_a_login_expires_after_two_minutes(flow, clock):
    clock.advance(119)
    assert flow.status().state == "pending"
    clock.advance(1)
    assert flow.status().state == "expired"
    with pytest.raises(qrlogin.LoginExpired):
        flow.scan(token=flow.token(3))


def test_expiry_is_recorded_once_and_told_to_waiters(flow, clock):
    assert not flow.browser.expire(flow.id)
    clock.advance(120)
    with flow.bus.subscribe(qrlogin.channel(flow.id)) as inbox:
        assert flow.browser.expire(flow.id)
        assert inbox.get(timeout=1)["state"] == "expired"
    assert not flow.browser.expire(flow.id)


def test_a_scanned_login_expires_before_it_is_confirmed(flow, clock):
    flow.scan()
    number = flow.status().number
    clock.advance(120)
    with pytest.raises(qrlogin.LoginExpired):
        flow.confirm(number=number)


def test_a_confirmed_login_must_be_redeemed_within_thirty_seconds(flow, clock):
    flow.scan()
    clock.advance(100)
    flow.confirm()
    clock.advance(29)
    assert flow.status().state == "confirmed"
    clock.advance(1)
    assert flow.status().state == "expired"
    with pytest.raises(qrlogin.LoginExpired):
        flow.redeem()


def test_the_qr_token_rotates_every_thirty_seconds(flow, clock):
    first = flow.browser.current_link_token(flow.id, flow.started.browser_secret)
    clock.advance(30)
    second = flow.browser.current_link_token(flow.id, flow.started.browser_secret)
    assert first != second and flow.status().rotation == 1
    clock.advance(5)
    with pytest.raises(qrcodes.TokenReplaced):
        flow.scan(token=first)
    assert flow.scan(token=second).login.state == "scanned"


def test_a_token_replaced_a_moment_ago_still_scans(flow, clock):
    first = flow.token()
    clock.advance(33)
    assert flow.scan(token=first).login.state == "scanned"


def test_an_unknown_token_is_refused(flow):
    with pytest.raises(qrcodes.TokenUnknown):
        flow.scan(token="A" * 24)


def test_the_code_is_not_drawn_again_once_scanned(flow):
    flow.scan()
    with pytest.raises(qrlogin.WrongState):
        flow.browser.current_link_token(flow.id, flow.started.browser_secret)


def scan_code(flow, code):
    return flow.moves.scan_code(code=code, phone=flow.phone)


def test_a_typed_code_scans_in_any_case_with_or_without_the_dash(flow):
    assert scan_code(flow, flow.started.code.lower().replace("-", " ")).login.via == "typed_code"


def test_a_typed_code_locks_after_five_wrong_tries(flow):
    code = flow.started.code
    wrong = code[:5] + ("B" if code[5] != "B" else "C") + code[6:]
    for _ in range(qrcodes.MAX_CODE_FAILURES):
        with pytest.raises(qrcodes.CodeNotFound):
            scan_code(flow, wrong)
    with pytest.raises(qrcodes.CodeLocked):
        scan_code(flow, code)
    assert flow.status().state == "pending"  # the QR code itself still works
    assert flow.scan().login.state == "scanned"


def test_an_unknown_or_malformed_code_is_refused(flow):
    for code in ("BBBB-BBBB", "1234-5678", "", "BCDF"):
        with pytest.raises(qrcodes.CodeNotFound):
            scan_code(flow, code)


def test_the_apps_own_camera_needs_camera_consent(flow, people):
    with pytest.raises(ConsentRequired) as refused:
        flow.scan(via="app_camera")
    assert refused.value.extensions["purpose"] == "camera"
    assert flow.status().state == "pending"
    people.decide(flow.device, "camera")
    assert flow.scan(via="app_camera").login.via == "app_camera"


def test_opening_the_link_or_typing_the_code_needs_no_camera_consent(flow, people):
    people.decide(flow.device, "camera", "refused")
    assert flow.scan(via="link").login.state == "scanned"
    typed = flow.browser.start(DESKTOP)
    assert scan_code(flow, typed.code).login.state == "scanned"


def test_a_device_with_a_key_must_prove_its_confirmation(flow):
    flow.scan()
    with pytest.raises(ProofRequired):
        flow.moves.confirm(login_id=flow.id, phone=flow.phone, number=flow.status().number,
                           proof=None)
    assert flow.status().state == "scanned"


@pytest.mark.parametrize("change", [
    {"key": "another"}, {"aud": "gateway"}, {"act": "deny"}, {"iat": "stale"},
    {"iat": "future"}, {"jti": "short"},
])
def test_forged_or_stale_proofs_are_refused(flow, clock, change):
    flow.scan()
    number = flow.status().number
    args = {}
    if "key" in change:
        args["key"] = ec.generate_private_key(ec.SECP256R1())
    if "aud" in change:
        args["aud"] = change["aud"]
    if "act" in change:
        args["act"] = change["act"]
    if change.get("iat") == "stale":
        args["iat"] = int(clock.now().timestamp()) - 61
    if change.get("iat") == "future":
        args["iat"] = int(clock.now().timestamp()) + 61
    if change.get("jti") == "short":
        args["jti"] = "x"
    with pytest.raises(ProofInvalid):
        flow.confirm(number=number, **args)
    assert flow.status().state == "scanned"


def test_a_proof_for_another_number_or_login_is_refused(flow):
    flow.scan()
    number = flow.status().number
    made = proof(flow.device, "another-login", number, flow.clock)
    with pytest.raises(ProofInvalid):
        flow.moves.confirm(login_id=flow.id, phone=flow.phone, number=number, proof=made)
    made = proof(flow.device, flow.id, number + 1 if number < 99 else 10, flow.clock)
    with pytest.raises(ProofInvalid):
        flow.moves.confirm(login_id=flow.id, phone=flow.phone, number=number, proof=made)


def test_an_unsigned_or_hmac_proof_is_refused(flow):
    flow.scan()
    number = flow.status().number
    claims = {"aud": "qr-login", "rid": flow.id, "num": number, "act": "confirm",
              "iat": int(flow.clock.now().timestamp()), "jti": "0123456789abcdef"}
    for forged in (jwt.encode(claims, None, algorithm="none"),
                   jwt.encode(claims, "a shared secret of 32 bytes.....", algorithm="HS256")):
        with pytest.raises(ProofInvalid):
            flow.moves.confirm(login_id=flow.id, phone=flow.phone, number=number,
                               proof=forged)


def test_a_replayed_proof_is_refused(flow):
    flow.scan()
    number = flow.status().number
    used = proof(flow.device, flow.id, number, flow.clock, jti="jti-used-once-0001")
    flow.moves.confirm(login_id=flow.id, phone=flow.phone, number=number, proof=used)
    # The same proof id again, freshly signed for the next login this phone scans.
    second = flow.browser.start(DESKTOP)
    scanned = flow.moves.scan(token=qrcodes.token_for(flow.key, second.login.id, 0),
                              phone=flow.phone, via="link")
    again = proof(flow.device, second.login.id, scanned.login.number, flow.clock,
                  jti="jti-used-once-0001")
    with pytest.raises(ProofReplayed):
        flow.moves.confirm(login_id=second.login.id, phone=flow.phone,
                           number=scanned.login.number, proof=again)
    assert flow.browser.status(second.login.id, second.browser_secret).state == "scanned"


def test_a_device_without_a_key_confirms_without_a_proof(flow, people):
    keyless = people.device_sign_in(device_id="keyless-0003", key=False)
    phone = qrlogin_phone.Phone(keyless.user_id, keyless.device_id, None, flow.phone.where)
    flow.scan(phone=phone)
    login = flow.moves.confirm(login_id=flow.id, phone=phone, number=flow.status().number,
                               proof=None)
    assert login.state == "confirmed"


def test_starting_a_login_never_removes_ended_ones_the_housekeeper_does(flow, clock):
    from gateway.privacy.sweep import sweep_ended_flows

    clock.advance(hours=1, seconds=121)
    flow.browser.start(DESKTOP)  # a browser's request pays for no housekeeping
    assert flow.status().state == "expired"
    assert sweep_ended_flows(flow.store, clock, flow.svc.settings) == 1
    with pytest.raises(qrlogin.LoginNotFound):
        flow.status()


def test_a_login_goes_back_only_to_a_return_url_the_operator_allows(flow, clock):
    allowed = ("https://bi.example.com/sso",)
    with pytest.raises(InvalidRequest) as refused:
        flow.browser.start(DESKTOP, return_to="https://evil.example/sso",
                           allowed_return_urls=allowed)
    assert refused.value.extensions == {"field": "return_to"}
    started = flow.browser.start(DESKTOP, return_to="https://bi.example.com/sso/",
                                 allowed_return_urls=allowed)
    assert started.login.return_url == "https://bi.example.com/sso"
    assert flow.browser.start(DESKTOP).login.return_url is None
