"""Changing a password, through the composition root without Flask: the new hash, the
sign-ins it ends and its audit row go together, or not at all."""

from __future__ import annotations

import pytest

from gateway.build import build_gateway
from gateway.core import audit
from gateway.core.errors import InvalidCredentials, TokenInvalid
from gateway.identity import accounts, device_tokens, password_change, web_sessions
from gateway.identity.devices import DeviceDescription
from gateway.identity.password_change import Changer

OLD, NEW = "a one-time password", "a password of my own"


@pytest.fixture
def gateway(settings, clock):
    built = build_gateway(settings, clock)
    yield built
    built.store.dispose()


def _user_with_two_phones(gateway, must_change: bool = True):
    svc = gateway
    user = accounts.create_user(svc.store, svc.clock, svc.passwords, username="alice",
                                password=OLD, must_change_password=must_change)
    phones = [device_tokens.sign_in(
        svc.store, svc.signer, svc.clock, svc.passwords, svc.lifetimes, username="alice",
        password=OLD, description=DeviceDescription(f"phone-{n}", "Pixel", "Android", "16",
                                                    "3.2.0"), ip=None) for n in range(2)]
    return user, phones


def _family(gateway, phone) -> str:
    return device_tokens.authenticate(gateway.store, gateway.signer, phone.access_token).family_id


def _signed_in(gateway, phone) -> bool:
    try:
        device_tokens.authenticate(gateway.store, gateway.signer, phone.access_token)
    except TokenInvalid:
        return False
    return True


def _actions(gateway) -> list[str]:
    with gateway.store.read() as connection:
        return [op.action for op in audit.recent(connection)]


def test_replacing_a_one_time_password_ends_every_other_sign_in(gateway):
    user, (mine, other) = _user_with_two_phones(gateway)
    browser = web_sessions.sign_in(gateway.store, gateway.clock, user.id, "password",
                                   gateway.lifetimes.access)
    one_time = password_change.change_password(
        gateway.store, gateway.clock, gateway.passwords, user.id, current=OLD, new=NEW,
        sign_out_others=False, by=Changer(device_id=mine.device_id,
                                          family_id=_family(gateway, mine)),
        on_signed_out=gateway.reactions.signed_out)
    assert one_time
    assert _signed_in(gateway, mine) and not _signed_in(gateway, other)
    assert web_sessions.find(gateway.store, gateway.clock, browser) is None
    assert accounts.authenticate(gateway.store, gateway.passwords, "alice", NEW).id == user.id
    assert "account.password-changed" in _actions(gateway)


def test_a_change_whose_audit_row_fails_changes_nothing(gateway, monkeypatch):
    user, (mine, other) = _user_with_two_phones(gateway)

    def broken(*args, **kwargs):
        raise RuntimeError("the operation log is unavailable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        password_change.change_password(
            gateway.store, gateway.clock, gateway.passwords, user.id, current=OLD, new=NEW,
            sign_out_others=True, by=Changer(device_id=mine.device_id,
                                             family_id=_family(gateway, mine)),
            on_signed_out=gateway.reactions.signed_out)
    monkeypatch.undo()
    assert accounts.authenticate(gateway.store, gateway.passwords, "alice", OLD).id == user.id
    with pytest.raises(InvalidCredentials):
        accounts.authenticate(gateway.store, gateway.passwords, "alice", NEW)
    assert _signed_in(gateway, other)


def test_a_wrong_current_password_changes_nothing(gateway):
    user, (mine, other) = _user_with_two_phones(gateway, must_change=False)
    with pytest.raises(InvalidCredentials):
        password_change.change_password(
            gateway.store, gateway.clock, gateway.passwords, user.id, current="not it at all",
            new=NEW, sign_out_others=True, by=Changer(session_hash="x"),
            on_signed_out=gateway.reactions.signed_out)
    assert _signed_in(gateway, mine) and _signed_in(gateway, other)
    assert "account.password-changed" not in _actions(gateway)
