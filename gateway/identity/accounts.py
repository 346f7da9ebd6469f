"""Accounts: users, their roles and groups, and their passwords.

Passwords are hashed with scrypt (memory-hard). Checking a password for a user who does
not exist still spends one hash, so response times do not tell which usernames exist.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.errors import Conflict, InvalidCredentials, InvalidRequest, NotFound
from gateway.core.store import Store
from gateway.core.tokens import new_id
from gateway.identity.passwords import Passwords
from gateway.identity.tables import devices, groups, memberships, users

ROLES = ("admin", "user")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
GROUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")


@dataclass(frozen=True)
class User:
    id: str
    username: str
    display_name: str
    email: str | None
    phone: str | None
    role: str
    groups: tuple[str, ...]
    must_change_password: bool

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def get_groups(connection: Connection, user_id: str) -> tuple[str, ...]:
    """The names of the user's groups, sorted."""
    return tuple(connection.execute(
        select(memberships.c.group_name)
        .where(memberships.c.user_id == user_id)
        .order_by(memberships.c.group_name)
    ).scalars())


def user_of(connection: Connection, row) -> User:
    """The user a ``users`` row holds, with their groups."""
    names = get_groups(connection, row.id)
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        email=row.email,
        phone=row.phone,
        role=row.role,
        groups=tuple(names),
        must_change_password=row.must_change_password,
    )


def _set_groups(connection: Connection, clock: Clock, user_id: str, names) -> None:
    names = sorted(set(names))
    for name in names:
        if not GROUP_NAME.match(name):
            raise InvalidRequest("\"{name}\" is not a valid group name. Use letters, digits, '.', "
                                 "'_' or '-'.",
                                 params={"name": name})
    known = set(connection.execute(select(groups.c.name).where(groups.c.name.in_(names))).scalars())
    for name in names:
        if name not in known:
            connection.execute(insert(groups).values(name=name, created_at=clock.now()))
    connection.execute(delete(memberships).where(memberships.c.user_id == user_id))
    if names:
        connection.execute(
            insert(memberships), [{"user_id": user_id, "group_name": n} for n in names]
        )


def authenticate(store: Store, passwords: Passwords, username: str, password: str) -> User:
    """The user whose credentials these are. Raises ``InvalidCredentials`` otherwise
    (unknown user, wrong password or a disabled account alike)."""
    with store.read() as connection:
        row = connection.execute(
            select(users).where(users.c.username == username.strip().lower())
        ).first()
        valid = passwords.check(row.password_hash if row else None, password)
        if not valid or row.disabled_at is not None:
            raise InvalidCredentials("The username or the password is wrong. Check them and try "
                                     "again.")
        return user_of(connection, row)


def get_user(store: Store, user_id: str) -> User:
    """The user with this id. Raises ``NotFound``."""
    with store.read() as connection:
        row = connection.execute(select(users).where(users.c.id == user_id)).first()
        if row is None or row.disabled_at is not None:
            raise NotFound("There is no such user.")
        return user_of(connection, row)


def find_user(store: Store, username: str) -> User | None:
    """The user with this username, or None."""
    with store.read() as connection:
        row = connection.execute(
            select(users).where(users.c.username == username.strip().lower())
        ).first()
        return user_of(connection, row) if row else None


def replace_password(connection: Connection, passwords: Passwords, user_id: str,
                     current: str, new: str) -> bool:
    """Replace the password after checking the current one, inside an open transaction;
    returns whether the password replaced was a one-time one. Raises
    ``InvalidCredentials`` when *current* is wrong and ``InvalidRequest`` when *new* is
    too weak or the same as *current*. (``PasswordChanges.change_password`` is the whole
    change: the sign-ins it ends and its audit row.)"""
    check_strength(new)
    if new == current:
        raise InvalidRequest("The new password must differ from the current one.",
                             field="new_password")
    row = connection.execute(select(users).where(users.c.id == user_id)).one()
    if not passwords.check(row.password_hash, current):
        raise InvalidCredentials("The current password is wrong. Type it again.")
    connection.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(password_hash=passwords.hash(new), must_change_password=False)
    )
    return row.must_change_password


def saved_language(connection: Connection, user_id: str) -> str | None:
    """The language the account chose with the pages' switch, or None if it never chose."""
    return connection.execute(select(users.c.language).where(users.c.id == user_id)).scalar()


def check_strength(password: str) -> None:
    """Raise ``InvalidRequest`` for a password too short to be worth hashing."""
    if len(password) < 10:
        raise InvalidRequest("A password needs at least 10 characters.")


def one_time_password() -> str:
    """A random password to hand out once (the first admin's), easy to type."""
    return secrets.token_urlsafe(12)


@dataclass(frozen=True)
class Accounts:
    """Accounts, bound to the store, the clock and the password hasher: creating users, listing
    them, their groups and their profile."""

    store: Store
    clock: Clock
    passwords: Passwords

    def create_user(self, *, username: str, password: str, display_name: str | None = None,
                    role: str = "user", email: str | None = None, phone: str | None = None,
                    groups: tuple[str, ...] = (), must_change_password: bool = False) -> User:
        """Create a user. Raises ``InvalidRequest`` for a bad username or role and
        ``Conflict`` when the username is taken."""
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise InvalidRequest("A username has 2 to 64 characters: a-z, 0-9, '.', '_' or '-'.")
        if role not in ROLES:
            raise InvalidRequest("A role is one of {roles}.", params={"roles": ", ".join(ROLES)})
        with self.store.write() as connection:
            taken = connection.execute(
                select(users.c.id).where(users.c.username == username)).first()
            if taken:
                raise Conflict("The username \"{username}\" is taken. Choose another one.",
                               params={"username": username})
            user_id = new_id()
            connection.execute(
                insert(users).values(
                    id=user_id,
                    username=username,
                    display_name=display_name or username,
                    email=email,
                    phone=phone,
                    role=role,
                    password_hash=self.passwords.hash(password),
                    must_change_password=must_change_password,
                    created_at=self.clock.now(),
                )
            )
            _set_groups(connection, self.clock, user_id, groups)
            row = connection.execute(select(users).where(users.c.id == user_id)).one()
            return user_of(connection, row)

    def list_users(self) -> list[User]:
        """Every active user, by username."""
        with self.store.read() as connection:
            rows = connection.execute(
                select(users).where(users.c.disabled_at.is_(None)).order_by(users.c.username)
            ).all()
            return [user_of(connection, row) for row in rows]

    def choose_language(self, user_id: str, language: str, device_id: str | None = None) -> None:
        """Save *language* as the choice of the account *user_id* (for what the gateway sends
        them, and their next sign-in elsewhere) and, when given, of its device *device_id*."""
        with self.store.write() as connection:
            connection.execute(update(users).where(users.c.id == user_id)
                               .values(language=language))
            if device_id:
                connection.execute(update(devices).where(devices.c.id == device_id,
                                                         devices.c.user_id == user_id)
                                   .values(language=language))

    def set_groups(self, user_id: str, names: tuple[str, ...]) -> User:
        """Replace the user's groups with *names*. Raises ``NotFound`` or ``InvalidRequest``."""
        with self.store.write() as connection:
            row = connection.execute(select(users).where(users.c.id == user_id)).first()
            if row is None:
                raise NotFound("There is no such user.")
            _set_groups(connection, self.clock, user_id, names)
            return user_of(connection, row)

    def update_profile(self, user_id: str, *, device_id: str | None = None,
                       **changes: str | None) -> User:
        """Change the user's display name, email or phone (the fields given), with its audit
        row (made from *device_id*) in the same transaction. Raises ``NotFound`` and, for an
        empty display name, ``InvalidRequest``."""
        allowed = {k: v for k, v in changes.items() if k in ("display_name", "email", "phone")}
        if "display_name" in allowed and not allowed["display_name"]:
            raise InvalidRequest("A display name cannot be empty.", field="display_name")
        with self.store.write() as connection:
            if allowed:
                connection.execute(update(users).where(users.c.id == user_id).values(**allowed))
            row = connection.execute(select(users).where(users.c.id == user_id)).first()
            if row is None:
                raise NotFound("There is no such user.")
            audit.record(connection, self.clock, "account.profile-changed", actor=user_id,
                         device_id=device_id, details={"fields": sorted(changes)})
            return user_of(connection, row)
