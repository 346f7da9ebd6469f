"""What an administrator does to accounts: find them, disable and enable them, reset a
password to a one-time one, change a role, and see and end a user's sign-ins.

Each change and its operation-log row happen in one transaction. The gateway always keeps
one administrator who can sign in: the last one can be neither disabled nor made a user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, or_, select, update

from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.errors import Conflict, InvalidRequest, NotFound
from gateway.core.store import Store
from gateway.identity import accounts, device_tokens, session_ends, web_sessions
from gateway.identity.device_tokens import SignOutHook
from gateway.identity.devices import Device, list_devices
from gateway.identity.passwords import Passwords
from gateway.identity.session_ends import AfterCommit, SessionsEndedHook
from gateway.identity.tables import users
from gateway.identity.tables import web_sessions as sessions_table

SIGN_IN_ACTIONS = ("browser.signed-in", "qrlogin.redeemed", "device.signed-in")
MOST_FOUND = 200


@dataclass(frozen=True)
class Account:
    """A user as the administrator sees them."""

    user: accounts.User
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True)
class BrowserSession:
    handle: str  # the hash of the session's id: names it without being able to use it
    method: str  # password, qr
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Overview:
    account: Account
    devices: list[Device]
    sessions: list[BrowserSession]  # the browser sessions still open
    sign_ins: list[audit.Operation]  # the newest sign-ins, browsers and phones


def _account(connection: Connection, row) -> Account:
    return Account(accounts.user_of(connection, row), row.created_at, row.disabled_at)


def _row(connection: Connection, user_id: str):
    row = connection.execute(select(users).where(users.c.id == user_id)).first()
    if row is None:
        raise NotFound("There is no such user.")
    return row


def _other_admins(connection: Connection, user_id: str) -> int:
    return connection.execute(select(func.count()).select_from(users).where(
        users.c.role == "admin", users.c.disabled_at.is_(None), users.c.id != user_id)).scalar()


def _like(text: str) -> str:
    """*text* as a LIKE pattern matching it anywhere, its own wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class Administration:
    """The administrator's work on accounts, bound to the store, the clock, the password
    hasher and what ending a device's sign-in (*signed_out*) or a browser session
    (*sessions_ended*: the applications signed in through it) does elsewhere."""

    store: Store
    clock: Clock
    passwords: Passwords
    signed_out: tuple[SignOutHook, ...]
    sessions_ended: tuple[SessionsEndedHook, ...] = ()

    def find(self, text: str = "", *, limit: int = MOST_FOUND) -> list[Account]:
        """The accounts, disabled ones included, whose username, name or e-mail contains
        *text* (any case), by username; at most *limit*."""
        query = select(users).order_by(users.c.username).limit(limit)
        if text.strip():
            pattern = _like(text.strip().lower())
            query = query.where(or_(*(func.lower(column).like(pattern, escape="\\")
                                      for column in (users.c.username, users.c.display_name,
                                                     users.c.email))))
        with self.store.read() as connection:
            return [_account(connection, row) for row in connection.execute(query).all()]

    def account(self, user_id: str) -> Account:
        """The account *user_id*, disabled or not. Raises ``NotFound``."""
        with self.store.read() as connection:
            return _account(connection, _row(connection, user_id))

    def _end_sign_ins(self, connection: Connection, user_id: str) -> list[AfterCommit]:
        ended = web_sessions.end_others(connection, self.clock, user_id, None)
        device_tokens.end_other_sign_ins(connection, self.clock, user_id, "", self.signed_out)
        # Every sign-in of the account ends, the applications' included (even those
        # whose browser session has ended or expired meanwhile).
        return session_ends.react(self.sessions_ended, connection, self.clock, user_id, ended,
                                  whole_account=True)

    def set_disabled(self, user_id: str, disabled: bool, *, actor: str) -> Account:
        """Disable the account (it can no longer sign in, and every browser and phone signed
        in to it is signed out) or enable it again. Raises ``NotFound``, and ``Conflict`` for
        the administrator's own account or the last administrator."""
        afters: list[AfterCommit] = []
        with self.store.write() as connection:
            row = _row(connection, user_id)
            if disabled and user_id == actor:
                raise Conflict("You cannot disable your own account.")
            if disabled and row.role == "admin" and not _other_admins(connection, user_id):
                raise Conflict("This is the last administrator: make another one first.")
            if disabled and row.disabled_at is None:
                connection.execute(update(users).where(users.c.id == user_id)
                                   .values(disabled_at=self.clock.now()))
                afters = self._end_sign_ins(connection, user_id)
                audit.record(connection, self.clock, "account.disabled", actor=actor,
                             subject=user_id)
            elif not disabled and row.disabled_at is not None:
                connection.execute(update(users).where(users.c.id == user_id)
                                   .values(disabled_at=None))
                audit.record(connection, self.clock, "account.enabled", actor=actor,
                             subject=user_id)
            account = _account(connection, _row(connection, user_id))
        session_ends.after_commit(afters)
        return account

    def reset_password(self, user_id: str, *, actor: str) -> str:
        """Give the account a new one-time password, returned to be handed over once: every
        browser and phone signed in to it is signed out, and its next sign-in must replace
        the password before anything else. Raises ``NotFound``."""
        password = accounts.one_time_password()
        with self.store.write() as connection:
            _row(connection, user_id)
            connection.execute(update(users).where(users.c.id == user_id).values(
                password_hash=self.passwords.hash(password), must_change_password=True))
            afters = self._end_sign_ins(connection, user_id)
            audit.record(connection, self.clock, "account.password-reset", actor=actor,
                         subject=user_id)
        session_ends.after_commit(afters)
        return password

    def set_role(self, user_id: str, role: str, *, actor: str) -> Account:
        """Make the account an administrator or a user. Raises ``InvalidRequest`` for another
        role, ``NotFound``, and ``Conflict`` when the last administrator would be none."""
        if role not in accounts.ROLES:
            raise InvalidRequest("A role is admin or user.", field="role")
        with self.store.write() as connection:
            row = _row(connection, user_id)
            if row.role == "admin" and role != "admin" and not _other_admins(connection,
                                                                              user_id):
                raise Conflict("This is the last administrator: make another one first.")
            if row.role != role:
                connection.execute(update(users).where(users.c.id == user_id).values(role=role))
                audit.record(connection, self.clock, "account.role-changed", actor=actor,
                             subject=user_id, details={"role": role})
            return _account(connection, _row(connection, user_id))

    def overview(self, user_id: str, *, sign_ins: int = 20) -> Overview:
        """The account with its devices, its open browser sessions and its newest sign-ins.
        Raises ``NotFound``."""
        with self.store.read() as connection:
            account = _account(connection, _row(connection, user_id))
            open_sessions = connection.execute(
                select(sessions_table).where(sessions_table.c.user_id == user_id,
                                             sessions_table.c.revoked_at.is_(None),
                                             sessions_table.c.expires_at > self.clock.now())
                .order_by(sessions_table.c.created_at.desc())).all()
            recent = [operation for operation in audit.for_actor(connection, user_id)
                      if operation.action in SIGN_IN_ACTIONS][:sign_ins]
        return Overview(account, list_devices(self.store, user_id),
                        [BrowserSession(s.id_hash, s.method, s.created_at, s.expires_at)
                         for s in open_sessions], recent)

    def end_session(self, user_id: str, handle: str, *, actor: str) -> None:
        """End one of the user's browser sessions, named by its handle. Raises
        ``NotFound``."""
        with self.store.write() as connection:
            ended = connection.execute(
                update(sessions_table).where(sessions_table.c.id_hash == handle,
                                             sessions_table.c.user_id == user_id,
                                             sessions_table.c.revoked_at.is_(None))
                .values(revoked_at=self.clock.now())).rowcount
            if not ended:
                raise NotFound("There is no such open session.")
            afters = session_ends.react(self.sessions_ended, connection, self.clock, user_id,
                                        (handle,))
            audit.record(connection, self.clock, "session.ended-by-admin", actor=actor,
                         subject=user_id)
        session_ends.after_commit(afters)
