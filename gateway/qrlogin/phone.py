"""Scan to log in, on the phone: scan (or type the code), see who asks, pick the number the
browser shows, confirm or deny.

A scan by the app's own camera needs the device's ``camera`` consent; opening the link
with the phone's camera app or typing the code does not (agreement 1.4: refusing the
camera only turns off the app's scanner). A device that registered a key must prove its
confirmation with it. A wrong number denies the login.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, update

from gateway import consent
from gateway.consent.purposes import Catalogue
from gateway.core import audit, qrcodes
from gateway.core.clock import Clock
from gateway.core.errors import Conflict
from gateway.core.events import EventBus
from gateway.core.store import Store
from gateway.core.useragent import NetworkWarning, Requester, networks_differ
from gateway.identity import device_proofs
from gateway.qrlogin.far_away import FarAway, Locator, far_away
from gateway.qrlogin.logins import LIVE, REDEEM_WINDOW, Login, LoginNotFound, channel, explain, load
from gateway.qrlogin.tables import qr_login_tokens, qr_logins

VIAS = ("link", "app_camera", "typed_code")
PROOF_AUDIENCE = "qr-login"


class WrongNumber(Conflict):
    slug = "qr-login-wrong-number"
    title = "Wrong number"


@dataclass(frozen=True)
class Phone:
    """The signed-in device acting, and where it is (coarsely)."""

    user_id: str
    device_id: str
    public_key: dict | None
    where: Requester


@dataclass(frozen=True)
class Scanned:
    """What the phone shows after a scan: the login, and why to be careful, if at all. A
    computer far from the phone's own fix (*far_away*) is the stronger warning; the
    network *warning* stands only without it."""

    login: Login
    warning: NetworkWarning | None
    far_away: FarAway | None = None


def _times(connection: Connection):
    def times_of(login_id: str):
        login = load(connection, login_id)
        return login.created_at, login.expires_at
    return times_of


def _scan(connection: Connection, clock: Clock, login_id: str, phone: Phone, via: str) -> Login:
    now = clock.now()
    login = load(connection, login_id)
    if login.state_at(now) == "scanned" and login.device_id == phone.device_id:
        return login  # the same phone again (a reload): same numbers, nothing changes
    number, choices = qrcodes.number_choices()
    moved = connection.execute(
        update(qr_logins)
        .where(qr_logins.c.id == login_id, qr_logins.c.state == "pending",
               qr_logins.c.expires_at > now)
        .values(state="scanned", user_id=phone.user_id, device_id=phone.device_id, via=via,
                number=number, choices=choices, scanned_at=now)
    ).rowcount
    if not moved:
        raise explain(login, now, "pending")
    return load(connection, login_id)


def _scanned(events: EventBus, login: Login, phone: Phone, far: FarAway | None) -> Scanned:
    events.publish(channel(login.id), {"state": "scanned", "number": login.number})
    return Scanned(login, None if far else networks_differ(login.requester, phone.where), far)


def _nowhere(*args, **kwargs) -> None:
    return None  # no locator declared: the phone's location is never read


def _mine(connection: Connection, login_id: str, phone: Phone) -> Login:
    login = load(connection, login_id)
    # Another phone's login is indistinguishable from a missing one.
    if login.device_id != phone.device_id or login.user_id != phone.user_id:
        raise LoginNotFound("This phone did not scan this sign-in code. Scan the code on the "
                            "computer.")
    return login


def _details(login: Login, reason: str | None) -> dict:
    # Coarse context only: never a token, a code or an address beyond its network.
    details = {"browser": login.requester.browser, "os": login.requester.os,
               "place": login.requester.place, "via": login.via}
    if reason:
        details["reason"] = reason
    return details


@dataclass(frozen=True)
class PhoneMoves:
    """Scan to log in as a signed-in phone drives it, bound to the store, the clock, the
    purposes of consent and the event bus the waiting browsers listen on."""

    store: Store
    clock: Clock
    catalogue: Catalogue
    events: EventBus
    key: bytes  # the QR tokens' key, which also signs holds
    # Where a phone is, with location consent only (gateway.build declares it).
    locate: Locator = field(default=_nowhere)

    def _far(self, connection: Connection, login: Login, phone: Phone) -> FarAway | None:
        return far_away(connection, self.clock, self.locate, requester=login.requester,
                        user_id=phone.user_id, device_id=phone.device_id)

    def hold(self, token: str) -> tuple[str, Login]:
        """A hold on the login behind the QR *token* in force, for a phone that must sign in
        before it can scan (``qrcodes.hold_for``), with the login. Changes nothing. Raises
        ``TokenUnknown``, ``TokenReplaced`` and ``LoginExpired``/``WrongState`` for a login
        that can no longer be scanned."""
        now = self.clock.now()
        with self.store.read() as connection:
            login_id = qrcodes.find_token(connection, qr_login_tokens, token,
                                          _times(connection), now)
            login = load(connection, login_id)
        if login.state_at(now) != "pending":
            raise explain(login, now, "pending")
        return qrcodes.hold_for(self.key, login_id), login

    def scan(self, *, token: str | None = None, hold: str | None = None, phone: Phone,
             via: str) -> Scanned:
        """Move the login behind a QR *token* (or a *hold* on it, see ``hold``) to
        ``scanned`` by *phone* and draw the numbers.

        Scanning again from the same phone gives the same answer. Raises ``ConsentRequired``
        (``via="app_camera"`` without camera consent), ``TokenUnknown``, ``TokenReplaced``,
        ``LoginExpired`` and ``WrongState`` (scanned by another phone, or ended).
        """
        clock = self.clock
        now = clock.now()
        with self.store.write() as connection:
            if via == "app_camera":
                consent.require(connection, clock, self.catalogue, user_id=phone.user_id,
                                device_id=phone.device_id, purpose="camera")
            login_id = (qrcodes.held_flow(self.key, hold) if hold else
                        qrcodes.find_token(connection, qr_login_tokens, token or "",
                                           _times(connection), now))
            login = _scan(connection, clock, login_id, phone, via)
            far = self._far(connection, login, phone)
        return _scanned(self.events, login, phone, far)

    def scan_code(self, *, code: str, phone: Phone) -> Scanned:
        """Like ``scan`` for a typed code. Raises ``CodeNotFound``, ``CodeLocked``,
        ``LoginExpired`` and ``WrongState``."""
        login_id = qrcodes.match_code(self.store, qr_logins, code, self.clock.now(),
                                      ("pending",))
        with self.store.write() as connection:
            login = _scan(connection, self.clock, login_id, phone, "typed_code")
            far = self._far(connection, login, phone)
        return _scanned(self.events, login, phone, far)

    def confirm(self, *, login_id: str, phone: Phone, number: int, proof: str | None,
                ip: str | None = None) -> Login:
        """Confirm the login this phone scanned, with the number it picked.

        A wrong number denies the login (committed) and raises ``WrongNumber``. Raises
        ``ProofRequired``/``ProofInvalid``/``ProofReplayed`` when the device has a key and the
        proof is missing or does not check out, ``LoginNotFound``, ``LoginExpired`` and
        ``WrongState``.
        """
        clock = self.clock
        now = clock.now()
        with self.store.write() as connection:
            login = _mine(connection, login_id, phone)
            if login.state_at(now) != "scanned":
                raise explain(login, now, "scanned")
            if phone.public_key is not None:
                if not proof:
                    raise device_proofs.ProofRequired(
                        "This device registered a key: send a proof signed with it.")
                device_proofs.check(
                    connection, clock, device_id=phone.device_id, public_jwk=phone.public_key,
                    proof=proof, audience=PROOF_AUDIENCE,
                    expect={"rid": login_id, "num": number, "act": "confirm"},
                )
            wrong = number != login.number
            values = (dict(state="denied", deny_reason="wrong-number") if wrong else
                      dict(state="confirmed", proved_by_key=phone.public_key is not None,
                           expires_at=now + REDEEM_WINDOW))
            moved = connection.execute(
                update(qr_logins)
                .where(qr_logins.c.id == login_id, qr_logins.c.state == "scanned",
                       qr_logins.c.device_id == phone.device_id, qr_logins.c.expires_at > now)
                .values(decided_at=now, **values)
            ).rowcount
            if not moved:
                raise explain(load(connection, login_id), now, "scanned")
            action = "qrlogin.denied" if wrong else "qrlogin.confirmed"
            audit.record(connection, clock, action, actor=phone.user_id,
                         device_id=phone.device_id, subject=login_id, ip=ip,
                         details=_details(login, "wrong-number" if wrong else None))
            login = load(connection, login_id)
        self.events.publish(channel(login_id), {"state": login.state, "number": None})
        if wrong:
            raise WrongNumber("That was not the number on the computer. The sign-in was "
                              "refused for safety; start again on the computer.")
        return login

    def deny(self, *, login_id: str, phone: Phone, ip: str | None = None) -> Login:
        """Refuse the login this phone scanned. Raises ``LoginNotFound``, ``LoginExpired``
        and ``WrongState``."""
        now = self.clock.now()
        with self.store.write() as connection:
            login = _mine(connection, login_id, phone)
            moved = connection.execute(
                update(qr_logins)
                .where(qr_logins.c.id == login_id, qr_logins.c.state.in_(LIVE),
                       qr_logins.c.device_id == phone.device_id, qr_logins.c.expires_at > now)
                .values(state="denied", deny_reason="refused", decided_at=now)
            ).rowcount
            if not moved:
                raise explain(load(connection, login_id), now, "scanned")
            audit.record(connection, self.clock, "qrlogin.denied", actor=phone.user_id,
                         device_id=phone.device_id, subject=login_id, ip=ip,
                         details=_details(login, "refused"))
            login = load(connection, login_id)
        self.events.publish(channel(login_id), {"state": "denied", "number": None})
        return login
