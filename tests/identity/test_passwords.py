"""Password hashes: scrypt in the stored format the gateway has always written."""

from __future__ import annotations

from werkzeug.security import generate_password_hash

from gateway.identity.passwords import Passwords

CHEAP = "scrypt:1024:8:1"


def test_a_hash_checks_its_own_password_and_no_other():
    passwords = Passwords(CHEAP)
    stored = passwords.hash("correct horse battery")
    assert stored.startswith("scrypt:1024:8:1$")
    assert passwords.check(stored, "correct horse battery")
    assert not passwords.check(stored, "correct horse battery ")
    assert passwords.hash("correct horse battery") != stored  # a fresh salt each time


def test_hashes_stored_before_still_check_whatever_the_cost_now():
    # Written by the library the gateway used before, at another cost.
    stored = generate_password_hash("old password", method="scrypt:2048:8:1")
    assert Passwords(CHEAP).check(stored, "old password")
    assert not Passwords(CHEAP).check(stored, "new password")


def test_no_hash_or_a_broken_one_never_matches():
    passwords = Passwords(CHEAP)
    assert not passwords.check(None, "anything")
    assert not passwords.check("", "anything")
    assert not passwords.check("pbkdf2:sha256:1$salt$00", "anything")
    assert not passwords.check("scrypt:x:8:1$salt$00", "anything")
