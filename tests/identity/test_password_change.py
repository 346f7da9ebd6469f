"""Changing a password, through the composition root without Flask: the new hash, the
sign-ins it ends and its audit row go together, or not at all."""

from __future__ import annotations

import pytest

from gateway.core import audit
from gateway.core.errors import InvalidCredentials, TokenInvalid
from gateway.identity import accounts
from gateway.identity.devices import DeviceDescription
from gateway.identity.password_change import Changer

OLD, NEW = "a one-time password", "a password of my own"


def _user_with_two_phones(gateway, must_change: bool = True):
    svc = gateway
    user = svc.identity.accounts.create_user(username="alice", password=OLD,
                                             must_change_password=must_change)
    phones = [svc.identity.tokens.sign_in(
        username="alice", password=OLD, description=DeviceDescription(
            f"phone-{n}", "Pixel", "Android", "16", "3.2.0"), ip=None) for n in range(2)]
    return user, phones


def _family(gateway, phone) -> str:
    return gateway.identity.tokens.authenticate(phone.access_token).family_id


def _signed_in(gateway, phone) -> bool:
    try:
        gateway.identity.tokens.authenticate(phone.access_token)
    except TokenInvalid:
        return False
    return True


def _actions(gateway) -> list[str]:
    with gateway.store.read() as connection:
        return [op.action for op in audit.recent(connection)]


def test_replacing_a_one_time_password_ends_every_other_sign_in(gateway):
    user, (mine, other) = _user_with_two_phones(gateway)
    browser = gateway.identity.sessions.sign_in(user.id, "password", gateway.lifetimes.access)
    one_time = gateway.identity.password_changes.change_password(
        user.id, current=OLD, new=NEW, sign_out_others=False,
        by=Changer(device_id=mine.device_id, family_id=_family(gateway, mine)))
    assert one_time
    assert _signed_in(gateway, mine) and not _signed_in(gateway, other)
    assert gateway.identity.sessions.find(browser) is None
    assert accounts.authenticate(gateway.store, gateway.passwords, "alice", NEW).id == user.id
    assert "account.password-changed" in _actions(gateway)


def test_a_change_whose_audit_row_fails_changes_nothing(gateway, monkeypatch):
    user, (mine, other) = _user_with_two_phones(gateway)

    def broken(*args, **kwargs):
        raise RuntimeError("the operation log is unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        gateway.identity.password_changes.change_password(
            user.id, current=OLD, new=NEW, sign_out_others=True,
            by=Changer(device_id=mine.device_id, family_id=_family(gateway, mine)))
    monkeypatch.undo()
    assert accounts.authenticate(gateway.store, gateway.passwords, "alice", OLD).id == user.id
    with pytest.raises(InvalidCredentials):
        accounts.authenticate(gateway.store, gateway.passwords, "alice", NEW)
    assert _signed_in(gateway, other)


def test_a_wrong_current_password_changes_nothing(gateway):
    user, (mine, other) = _user_with_two_phones(gateway, must_change=False)
    with pytest.raises(InvalidCredentials):
        gateway.identity.password_changes.change_password(
            user.id, current="not it at all", new=NEW, sign_out_others=True,
            by=Changer(session_hash="x"))
    assert _signed_in(gateway, mine) and _signed_in(gateway, other)
    assert "account.password-changed" not in _actions(gateway)
