from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.core.errors import TokenExpired, TokenInvalid
from gateway.core.keys import Keyring, b64url
from gateway.core.tokens import Signer, digest, new_token
from tests.support import FakeClock


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def signer(tmp_path, clock):
    return Signer(Keyring.load(tmp_path), "https://gateway.test", clock)


def issue(signer, **overrides):
    return signer.issue({"sub": "u1", **overrides}, audience="gateway",
                        lifetime=timedelta(minutes=15), typ="at+jwt")


def test_a_token_verifies_with_its_audience_and_type(signer):
    claims = signer.verify(issue(signer), audience="gateway", typ="at+jwt")
    assert claims["sub"] == "u1" and claims["iss"] == "https://gateway.test"


def test_a_token_expires_when_the_clock_passes_exp(signer, clock):
    token = issue(signer)
    clock.advance(minutes=15)
    with pytest.raises(TokenExpired):
        signer.verify(token, audience="gateway")


def test_another_audience_is_refused(signer):
    with pytest.raises(TokenInvalid):
        signer.verify(issue(signer), audience="bi-server")


def test_another_type_is_refused(signer):
    with pytest.raises(TokenInvalid):
        signer.verify(issue(signer), audience="gateway", typ="login+jwt")


def test_alg_none_is_refused(signer, clock):
    claims = jwt.decode(issue(signer), options={"verify_signature": False})
    forged = jwt.encode(claims, None, algorithm="none", headers={"kid": signer.keyring.active.kid})
    with pytest.raises(TokenInvalid):
        signer.verify(forged, audience="gateway")


def test_hs256_signed_with_the_public_key_is_refused(signer):
    claims = jwt.decode(issue(signer), options={"verify_signature": False})
    header = b64url(b'{"alg":"HS256","typ":"at+jwt","kid":"%s"}' % signer.keyring.active.kid.encode())
    body = b64url(jwt.api_jws.json.dumps(claims).encode())
    forged = f"{header}.{body}.{b64url(b'x' * 32)}"
    with pytest.raises(TokenInvalid):
        signer.verify(forged, audience="gateway")


def test_a_token_signed_by_a_foreign_key_with_our_kid_is_refused(signer):
    foreign = ec.generate_private_key(ec.SECP256R1())
    claims = jwt.decode(issue(signer), options={"verify_signature": False})
    forged = jwt.encode(claims, foreign, algorithm="ES256",
                        headers={"kid": signer.keyring.active.kid, "typ": "at+jwt"})
    with pytest.raises(TokenInvalid):
        signer.verify(forged, audience="gateway")


def test_an_unknown_kid_is_refused(signer):
    foreign = ec.generate_private_key(ec.SECP256R1())
    claims = jwt.decode(issue(signer), options={"verify_signature": False})
    forged = jwt.encode(claims, foreign, algorithm="ES256", headers={"kid": "nope"})
    with pytest.raises(TokenInvalid):
        signer.verify(forged, audience="gateway")


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "x" * 5000])
def test_garbage_is_refused(signer, garbage):
    with pytest.raises(TokenInvalid):
        signer.verify(garbage, audience="gateway")


def test_older_keys_still_verify_after_a_new_one_signs(tmp_path, clock):
    old = Signer(Keyring.load(tmp_path), "https://gateway.test", clock)
    token = issue(old)
    Keyring.add_key(tmp_path)
    new = Signer(Keyring.load(tmp_path), "https://gateway.test", clock)
    assert new.keyring.active.kid != old.keyring.active.kid
    assert new.verify(token, audience="gateway")["sub"] == "u1"
    assert len(new.keyring.jwks()["keys"]) == 2


def test_opaque_tokens_carry_256_bits_and_are_stored_as_hashes():
    token = new_token()
    assert len(token) >= 43
    assert digest(token) != token and len(digest(token)) == 64


def test_key_files_are_private(tmp_path):
    Keyring.load(tmp_path / "keys")
    assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o700
    for path in (tmp_path / "keys").iterdir():
        assert path.stat().st_mode & 0o777 == 0o600
