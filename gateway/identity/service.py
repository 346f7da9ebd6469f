"""Identity, bound once to what it runs on: accounts, devices, device sign-in, browser
sessions, integration keys and password changes, as the composition root builds them.

Reading an account or a device (``accounts.get_user``, ``find_user``, ``authenticate``,
``devices.get_device``, ``list_devices``, ``integrations.authenticate``) stays a module
function of the store: the consent and privacy domains read them too.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.core.clock import Clock
from gateway.core.store import Store
from gateway.core.tokens import Signer
from gateway.identity.accounts import Accounts
from gateway.identity.administration import Administration
from gateway.identity.device_tokens import DeviceTokens, Lifetimes, SignOutHook
from gateway.identity.devices import Devices, RevocationHook
from gateway.identity.integrations import Integrations
from gateway.identity.password_change import PasswordChanges
from gateway.identity.passwords import Passwords
from gateway.identity.session_ends import SessionsEndedHook
from gateway.identity.web_sessions import WebSessions


@dataclass(frozen=True)
class Identity:
    """Who is who: ``accounts`` (users, groups, profiles), ``devices`` (revoking one),
    ``tokens`` (a device's sign-in, refresh, access and sign-out), ``sessions`` (a
    browser's), ``integrations`` (server-to-server keys), ``password_changes`` and
    ``administration`` (an administrator's work on accounts)."""

    accounts: Accounts
    devices: Devices
    tokens: DeviceTokens
    sessions: WebSessions
    integrations: Integrations
    password_changes: PasswordChanges
    administration: Administration

    @classmethod
    def build(cls, store: Store, clock: Clock, signer: Signer, passwords: Passwords,
              lifetimes: Lifetimes, *, device_revoked: tuple[RevocationHook, ...],
              signed_out: tuple[SignOutHook, ...],
              sessions_ended: tuple[SessionsEndedHook, ...] = ()) -> Identity:
        """Identity on *store* and *clock*; access tokens are signed by *signer*, passwords
        hashed by *passwords*; revoking a device runs *device_revoked* and ending a device's
        sign-in runs *signed_out*, an administrator or a password change ending browser
        sessions runs *sessions_ended* (the composition root's reactions)."""
        return cls(
            accounts=Accounts(store, clock, passwords),
            devices=Devices(store, clock, device_revoked),
            tokens=DeviceTokens(store, clock, signer, passwords, lifetimes, signed_out),
            sessions=WebSessions(store, clock),
            integrations=Integrations(store, clock),
            password_changes=PasswordChanges(store, clock, passwords, signed_out,
                                             sessions_ended),
            administration=Administration(store, clock, passwords, signed_out, sessions_ended),
        )
