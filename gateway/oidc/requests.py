"""Authorization requests waiting for the user to sign in: the relying party's parameters
are kept here (never in the browser's address bar again) while the desktop login page runs,
and the QR login started for the request tells the phone which application asks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update

from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.errors import Gone
from gateway.core.store import Store
from gateway.core.tokens import new_id
from gateway.oidc.clients import Client, client_of
from gateway.oidc.tables import oidc_clients, oidc_requests

LIFETIME = timedelta(minutes=15)  # time enough to sign in with a phone, or a password


class RequestGone(Gone):
    slug = "oidc-request-gone"
    title = "Sign-in request expired"


@dataclass(frozen=True)
class AuthRequest:
    id: str
    client_id: str
    params: dict
    created_at: datetime
    login_id: str | None


@dataclass(frozen=True)
class Asking:
    """The application a QR login was started for, as the phone names it."""

    name: str
    host: str


@dataclass(frozen=True)
class Requests:
    """Authorization requests waiting for a sign-in, bound to the store and the clock."""

    store: Store
    clock: Clock

    def open(self, client_id: str, params: dict) -> AuthRequest:
        """Keep the request *params* of *client_id* while the user signs in (the
        housekeeper's sweep removes it once past its time)."""
        now = self.clock.now()
        request_id = new_id()
        with self.store.write() as connection:
            connection.execute(insert(oidc_requests).values(
                id=request_id, client_id=client_id, params=params, created_at=now,
                expires_at=now + LIFETIME))
        return AuthRequest(request_id, client_id, params, now, None)

    def find(self, request_id: str) -> AuthRequest:
        """The waiting request *request_id*. Raises ``RequestGone`` when it is unknown, used
        or past its time."""
        with self.store.read() as connection:
            row = connection.execute(select(oidc_requests)
                                     .where(oidc_requests.c.id == request_id)).first()
        if row is None or row.expires_at <= self.clock.now():
            raise RequestGone("This sign-in request has expired. Go back to the application "
                              "and sign in again.")
        return AuthRequest(row.id, row.client_id, dict(row.params), row.created_at, row.login_id)

    def attach_login(self, request_id: str, login_id: str) -> None:
        """Record that the QR login *login_id* was started for *request_id*. Raises
        ``RequestGone``."""
        self.find(request_id)
        with self.store.write() as connection:
            connection.execute(update(oidc_requests).where(oidc_requests.c.id == request_id)
                               .values(login_id=login_id))

    def asking(self, login_id: str) -> Asking | None:
        """Which application the QR login *login_id* was started for, if any."""
        with self.store.read() as connection:
            row = connection.execute(
                select(oidc_clients).join(oidc_requests,
                                          oidc_requests.c.client_id == oidc_clients.c.id)
                .where(oidc_requests.c.login_id == login_id)).first()
        if row is None:
            return None
        client: Client = client_of(row)
        return Asking(client.name, client.host)

    def close(self, request_id: str, *, decided_by: str | None = None,
              allowed: bool | None = None, scope: str = "") -> None:
        """The request was answered: it cannot be answered twice. When the user was asked
        (the client's consent screen), *decided_by*'s answer and the scopes it covered go to
        the operation log in the same transaction."""
        with self.store.write() as connection:
            row = connection.execute(select(oidc_requests.c.client_id)
                                     .where(oidc_requests.c.id == request_id)).first()
            connection.execute(delete(oidc_requests).where(oidc_requests.c.id == request_id))
            if row is not None and decided_by is not None and allowed is not None:
                audit.record(connection, self.clock,
                             "oidc.consent-given" if allowed else "oidc.consent-refused",
                             actor=decided_by, subject=row.client_id,
                             details={"scope": scope})
