"""Scan to connect a phone: the offer's states and illegal moves, with a movable clock."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway import consent
from gateway.consent import ConsentRequired
from gateway.core import audit, qrcodes
from gateway.core.errors import InvalidRequest
from gateway.enrollment import offers as enrollment
from gateway.enrollment.phone import ClaimedTwice, ClaimSecretWrong
from gateway.enrollment.tables import enrollment_tokens, enrollments
from gateway.identity import devices, reading
from gateway.identity.tables import devices as devices_table
from tests.qrlogin_support import Enrollment
from tests.support import both


@pytest.fixture
def offer(gateway, people, clock):
    return Enrollment(gateway, people, clock)


def ledger(offer):
    with offer.store.read() as connection:
        return consent.history(connection, user_id=offer.user.id)


def test_an_offer_is_offered_and_keeps_its_token_and_code_hashed(offer):
    assert offer.state() == "offered"
    token = qrcodes.token_for(offer.key, offer.id, 0)
    with offer.store.read() as connection:
        row = " ".join(str(v) for v in connection.execute(select(enrollments)).one())
        hashes = list(connection.execute(select(enrollment_tokens.c.token_hash)).scalars())
    assert token not in row and offer.offered.code.replace("-", "") not in row
    assert len(hashes) == 1 and token not in hashes


def test_a_claim_keeps_the_phones_decisions_with_the_offer_and_shows_a_number(offer):
    claimed = offer.claim()
    assert offer.state() == "claimed" and 10 <= claimed.offer.number <= 99
    assert claimed.offer.number in claimed.offer.choices
    assert ledger(offer) == []  # nothing before approval
    assert [(d["purpose"], d["decision"]) for d in claimed.offer.consents] == [
        ("camera", "granted")]
    assert claimed.offer.device_id is None  # a new phone gets its id at approval
    assert devices.list_devices(offer.store, offer.user.id) == []


def test_approving_with_the_phones_number_registers_it_and_the_phone_collects_tokens(offer):
    claimed = offer.claim()
    approved = offer.approve(claimed.offer.number)
    assert approved.state == "approved"
    listed = devices.list_devices(offer.store, offer.user.id)
    assert [d.id for d in listed] == [approved.device_id]
    assert listed[0].public_key is not None
    assert [(e.purpose, e.decision, e.method, e.device_id) for e in ledger(offer)] == [
        ("camera", "granted", "enrollment", approved.device_id)]
    pair = offer.collect(claimed.claim_secret)
    principal = offer.svc.identity.tokens.authenticate(pair.access_token)
    assert principal.user_id == offer.user.id and principal.device_id == approved.device_id
    assert offer.state() == "collected"
    with pytest.raises(enrollment.WrongState):
        offer.collect(claimed.claim_secret)
    with offer.store.read() as connection:
        actions = [entry.action for entry in audit.recent(connection)]
    assert {"enrollment.claimed", "enrollment.approved", "device.signed-in"} <= set(actions)


def test_the_collecting_phone_leaves_the_language_it_reads_on_its_device(offer):
    claimed = offer.claim()
    approved = offer.approve(claimed.offer.number)
    offer.collect(claimed.claim_secret, reads_in="zh")
    with offer.store.read() as connection:
        assert connection.execute(select(devices_table.c.reads_in).where(
            devices_table.c.id == approved.device_id)).scalar() == "zh"
        assert reading.language_of(connection, offer.user.id, "en") == "zh"


def test_a_wrong_number_on_the_desktop_ends_the_offer(offer):
    claimed = offer.claim()
    wrong = next(n for n in claimed.offer.choices if n != claimed.offer.number)
    with pytest.raises(enrollment.WrongNumber):
        offer.approve(wrong)
    assert offer.state() == "denied"
    assert devices.list_devices(offer.store, offer.user.id) == []


def test_a_second_claim_ends_the_offer(offer):
    first = offer.claim()
    with pytest.raises(ClaimedTwice):
        offer.claim(device_id="phone-0002")
    assert offer.state() == "denied"
    with pytest.raises(enrollment.WrongState):
        offer.approve(first.offer.number)


@pytest.mark.parametrize("claimed", [False, True])
def test_the_desktop_can_deny_before_or_after_a_claim(offer, claimed):
    if claimed:
        offer.claim()
    assert offer.deny().state == "denied"
    with pytest.raises((enrollment.WrongState, ClaimedTwice)):
        offer.claim(device_id="phone-0003")


def test_illegal_moves_are_refused(offer):
    with pytest.raises(enrollment.WrongState):
        offer.approve(42)  # nothing claimed yet
    claimed = offer.claim()
    with pytest.raises(enrollment.WrongState):
        offer.collect(claimed.claim_secret)  # not approved yet
    with pytest.raises(ClaimSecretWrong):
        offer.collect("someone else's secret")
    with pytest.raises(enrollment.OtherSession):
        offer.offers.approve(offer_id=offer.id, session_hash="x" * 64,
                             number=claimed.offer.number)


def test_an_offer_expires_after_two_minutes(offer, clock):
    clock.advance(120)
    assert offer.state() == "expired"
    with pytest.raises(enrollment.OfferExpired):
        offer.claim()
    assert ledger(offer) == []


def test_an_approved_phone_must_collect_within_thirty_seconds(offer, clock):
    claimed = offer.claim()
    offer.approve(claimed.offer.number)
    clock.advance(30)
    with pytest.raises(enrollment.OfferExpired):
        offer.collect(claimed.claim_secret)


def test_a_typed_code_claims_without_camera_consent(offer):
    claimed = offer.claim(code=offer.offered.code.lower(), decisions=[])
    assert claimed.offer.via == "typed_code"


def test_the_apps_own_camera_needs_a_granted_camera_decision(offer):
    with pytest.raises(ConsentRequired):
        offer.claim(via="app_camera", decisions=[offer.decision(decision="refused")])
    assert offer.state() == "offered" and ledger(offer) == []
    assert offer.claim(via="app_camera").offer.via == "app_camera"


@pytest.mark.parametrize("bad", ["no key", "malformed key", "twice", "notice"])
def test_a_bad_claim_is_refused_and_writes_nothing(offer, bad):
    args = {}
    if bad == "no key":
        args["key"] = False
    if bad == "malformed key":
        args["public_key"] = {"kty": "EC", "crv": "P-256", "x": "A" * 43, "y": "A" * 43}
    if bad == "twice":
        args["decisions"] = [offer.decision(), offer.decision()]
    if bad == "notice":
        args["decisions"] = [offer.decision(notice_hash="0" * 64)]
    with pytest.raises(InvalidRequest):
        offer.claim(**args)
    assert offer.state() == "offered" and ledger(offer) == []
    with offer.store.read() as connection:
        assert not [e for e in audit.recent(connection) if e.action.startswith("enrollment")]


def test_an_unknown_token_or_code_is_refused(offer):
    offer.id = "an offer that does not exist"  # its token is unknown to the gateway
    with pytest.raises(qrcodes.TokenUnknown):
        offer.claim()
    with pytest.raises(qrcodes.CodeNotFound):
        offer.claim(code="BBBB-BBBB")


# -- nothing a claim carries counts before approval -------------------------------------------

def existing_phone(offer, app_device_id="phone-0001"):
    """One of alice's devices, signed in with a key: what a claim must not take over."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from gateway.core.keys import public_jwk
    from gateway.identity.devices import DeviceDescription

    key = ec.generate_private_key(ec.SECP256R1())
    jwk = {k: v for k, v in public_jwk(key.public_key()).items() if k in ("kty", "crv", "x", "y")}
    with offer.store.write() as connection:
        device = devices.register(connection, offer.clock, offer.user.id, DeviceDescription(
            app_device_id, "Pixel 8", "Android", "15", "3.1.0", jwk), None)
    return device, key, jwk


def enroll_proof(key, app_device_id, clock, **changes):
    import uuid

    import jwt

    from gateway.core.clock import epoch

    claims = {"aud": "enrollment", "act": "enroll", "sub": app_device_id,
              "iat": epoch(clock.now()), "jti": uuid.uuid4().hex, **changes}
    return jwt.encode(claims, key, algorithm="ES256")


def enrollment_actions(offer):
    with offer.store.read() as connection:
        return [e.action for e in audit.recent(connection) if e.action.startswith("enrollment")]


def test_a_claim_naming_an_existing_device_without_its_proof_is_refused_unchanged(offer):
    device, _, _ = existing_phone(offer)
    with pytest.raises(enrollment.DeviceKnown):
        offer.claim(device_id=device.app_device_id)
    assert offer.state() == "offered" and ledger(offer) == []
    assert devices.list_devices(offer.store, offer.user.id) == [device]
    assert enrollment_actions(offer) == []


@pytest.mark.parametrize("end", ["deny", "expire", "claimed twice", "wrong number"])
def test_an_offer_that_is_not_approved_records_no_decision_and_no_device(offer, clock, end):
    claimed = offer.claim(decisions=[offer.decision(), offer.decision("location"),
                                     offer.decision("push", "refused")])
    if end == "deny":
        offer.deny()
    elif end == "expire":
        clock.advance(120)
        offer.offers.expire(offer.id)
    elif end == "claimed twice":
        with pytest.raises(ClaimedTwice):
            offer.claim(device_id="phone-0002")
    else:
        with pytest.raises(enrollment.WrongNumber):
            offer.approve(next(n for n in claimed.offer.choices if n != claimed.offer.number))
    assert offer.state() in ("denied", "expired")
    assert ledger(offer) == [] and devices.list_devices(offer.store, offer.user.id) == []
    with offer.store.read() as connection:
        assert connection.execute(select(enrollments.c.device_id)).scalar() is None


def test_approval_records_every_decision_for_the_new_device_in_its_transaction(offer, clock):
    claimed = offer.claim(decisions=[offer.decision(), offer.decision("location"),
                                     offer.decision("push", "refused")])
    clock.advance(7)
    approved = offer.approve(claimed.offer.number)
    assert [(e.purpose, e.decision, e.device_id, e.server_time) for e in ledger(offer)] == [
        ("camera", "granted", approved.device_id, clock.now()),
        ("location", "granted", approved.device_id, clock.now()),
        ("push", "refused", approved.device_id, clock.now())]
    with offer.store.read() as connection:
        assert consent.is_granted(connection, clock, user_id=offer.user.id,
                                  device_id=approved.device_id, purpose="location")


def test_an_approval_the_ledger_refuses_registers_nothing_and_leaves_the_offer_claimed(offer,
                                                                                      clock):
    claimed = offer.claim()
    offer.policy()
    consent.publish_policy(offer.store, clock, offer.svc.catalogue, version="2.0",
                           texts=both("Camera changed", "The agreement, again."),
                           changes=["camera"])
    with pytest.raises(consent.PolicyNotCurrent):
        offer.approve(claimed.offer.number)
    assert offer.state() == "claimed"
    assert ledger(offer) == [] and devices.list_devices(offer.store, offer.user.id) == []


def test_a_decision_the_ledger_would_refuse_is_refused_at_the_claim(offer, clock):
    stale = offer.decision()
    consent.publish_policy(offer.store, clock, offer.svc.catalogue, version="2.0",
                           texts=both("Camera changed", "The agreement, again."),
                           changes=["camera"])
    with pytest.raises(consent.PolicyNotCurrent):
        offer.claim(decisions=[stale])
    assert offer.state() == "offered"


def test_the_existing_phone_reconnects_with_its_own_proof_and_keeps_its_key(offer, clock):
    device, key, jwk = existing_phone(offer)
    claimed = offer.claim(device_id=device.app_device_id, public_key=jwk,
                          proof=enroll_proof(key, device.app_device_id, clock))
    assert claimed.offer.device_id == device.id and ledger(offer) == []
    approved = offer.approve(claimed.offer.number)
    listed = devices.list_devices(offer.store, offer.user.id)
    assert [(d.id, d.public_key) for d in listed] == [(device.id, device.public_key)]
    assert [(e.purpose, e.device_id) for e in ledger(offer)] == [("camera", device.id)]
    assert approved.device_id == device.id


@pytest.mark.parametrize("bad", ["other key", "other device", "replayed", "new key", "no key"])
def test_a_reconnection_without_a_good_proof_is_refused_unchanged(offer, clock, bad):
    from cryptography.hazmat.primitives.asymmetric import ec

    from gateway.identity import device_proofs

    device, key, jwk = existing_phone(offer)
    signer = ec.generate_private_key(ec.SECP256R1()) if bad == "other key" else key
    proof = enroll_proof(signer, device.app_device_id, clock,
                         **({"sub": "phone-0002"} if bad == "other device" else {}))
    if bad == "replayed":  # used for one offer, then sent again for the next one
        offer.claim(device_id=device.app_device_id, public_key=jwk, proof=proof)
        offer.deny()
        offer.id = offer.offers.offer(user_id=offer.user.id,
                                      session_hash=offer.session_hash).offer.id
    if bad == "no key":
        with offer.store.write() as connection:
            connection.execute(devices.devices.update().values(public_key=None))
    expected = {"other key": device_proofs.ProofInvalid, "other device": device_proofs.ProofInvalid,
                "replayed": device_proofs.ProofReplayed, "new key": InvalidRequest,
                "no key": enrollment.DeviceKnown}[bad]
    with pytest.raises(expected):
        offer.claim(device_id=device.app_device_id, proof=proof,
                    public_key=None if bad == "new key" else jwk)
    assert offer.state() == "offered" and ledger(offer) == []
    assert [d.id for d in devices.list_devices(offer.store, offer.user.id)] == [device.id]


def test_a_device_registered_between_claim_and_approval_ends_the_offer(offer):
    claimed = offer.claim()
    device, _, _ = existing_phone(offer)  # a password sign-in with the same installation id
    with pytest.raises(enrollment.DeviceKnown):
        offer.approve(claimed.offer.number)
    assert offer.state() == "denied" and ledger(offer) == []
    assert devices.list_devices(offer.store, offer.user.id) == [device]
