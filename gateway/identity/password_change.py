"""Changing a password: the new hash, the sign-ins it ends, and its audit row, in one
transaction.

A one-time password (the first admin's) may have been seen by others, who may have
signed in with it: replacing it ends every other sign-in, whatever the user asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.store import Store
from gateway.identity import accounts, device_tokens, session_ends, web_sessions
from gateway.identity.device_tokens import SignOutHook
from gateway.identity.passwords import Passwords
from gateway.identity.session_ends import SessionsEndedHook


@dataclass(frozen=True)
class Changer:
    """Where the change is made: a signed-in device (its id and sign-in) or a browser
    session (the hash of its id), and the caller's address."""

    device_id: str | None = None
    family_id: str | None = None
    session_hash: str | None = None
    ip: str | None = None

    @property
    def from_browser(self) -> bool:
        return self.session_hash is not None


@dataclass(frozen=True)
class PasswordChanges:
    """Password changes, bound to the store, the clock, the password hasher and what a sign-out
    ends elsewhere (the composition root's reactions)."""

    store: Store
    clock: Clock
    passwords: Passwords
    on_signed_out: tuple[SignOutHook, ...]
    sessions_ended: tuple[SessionsEndedHook, ...] = ()  # the applications signed in there

    def change_password(self, user_id: str, *, current: str, new: str, sign_out_others: bool,
                        by: Changer) -> bool:
        """Replace *user_id*'s password; returns whether it was a one-time one.

        With *sign_out_others* (or after a one-time password) the user's other device
        sign-ins end, each as a sign-out (*on_signed_out*: its push subscription goes); from
        a browser its other browser sessions end too, from a device they end after a
        one-time password. Raises ``InvalidCredentials`` when *current* is wrong and
        ``InvalidRequest`` when *new* is too weak or the same as *current*; then nothing
        changes.
        """
        afters = []
        with self.store.write() as connection:
            one_time = accounts.replace_password(connection, self.passwords, user_id, current, new)
            others = sign_out_others or one_time
            if others:
                device_tokens.end_other_sign_ins(connection, self.clock, user_id,
                                                 by.family_id or "", self.on_signed_out)
            # From a device, "others" means other devices; browsers end only when the password
            # was a one-time one. From a browser, both end.
            end_browser_sessions = others if by.from_browser else one_time
            if end_browser_sessions:
                ended = web_sessions.end_others(connection, self.clock, user_id,
                                                by.session_hash)
                afters = session_ends.react(self.sessions_ended, connection, self.clock,
                                            user_id, ended)
            audit.record(connection, self.clock, "account.password-changed", actor=user_id,
                         device_id=by.device_id,
                         details={"signed_out_others": others, "one_time": one_time}, ip=by.ip)
        session_ends.after_commit(afters)
        return one_time
