"""The authorisation matrix's world: Alice's things, and everyone who may or may not touch
them, each made on first use through the gateway's own API (or the helpers the other
tests use), so a row builds only what its endpoint needs.

``World.caller(who, scope)`` gives the test client and headers of a subject:

- ``anonymous``: nothing at all;
- ``user``: Alice, with her browser (session cookie, CSRF token, the cookies of the QR
  flows she started) and her phone (access token; camera, push and location granted);
- ``other``: Bob, who owns nothing of Alice's, with his own browser and phone (and his own
  QR login and phone enrolment where those matter);
- ``noconsent``: another phone of Alice's on which she refused every consent;
- ``admin``: an administrator's browser and phone;
- ``mustchange``: Dave, whose account still has its one-time password, with the browser
  and phone he signed in with it (no consent decided: he may not, yet);
- ``integration``: an integration key with the scope the endpoint needs (every scope where
  it needs no key); ``wrong_scope``: one with every scope but that.

Requests always aim at Alice's things: her device, her report, her grant, her receipt, her
QR login and her offer.
"""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gateway import consent
from gateway.consent.purposes import PARTNER_PREFIX
from gateway.core.tokens import digest
from gateway.identity import integrations
from gateway.privacy import partners
from gateway.push import alerts
from tests.preview_support import image_bytes, snapshot
from tests.qrlogin_support import DESKTOP_UA, proof
from tests.support import Actions, SignedInDevice, device_description

SUBJECTS = ("anonymous", "user", "other", "noconsent", "admin", "mustchange", "integration",
            "wrong_scope")
PURPOSES = ("camera", "push", "location")
PARTNER = "crm"
PERSON = {"user": "alice", "other": "bob", "admin": "root"}  # the subjects with a browser
_serials = itertools.count(1)


@dataclass
class Req:
    """A request aimed at Alice's things; the subject adds its own credentials."""

    path: str
    json: Any = None
    headers: dict = field(default_factory=dict)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class World:
    """One Alice, Bob and admin with their things; made lazily, unique per instance."""

    def __init__(self, app) -> None:
        self.app = app
        self.svc = app.extensions["gateway"]
        self.clock = self.svc.clock
        self.n = next(_serials)
        self.actions = Actions(app, app.test_client())
        self._browsers: dict[str, tuple[Any, str]] = {}
        self._devices: dict[str, SignedInDevice] = {}
        self._keys: dict[tuple[str, ...], str] = {}
        self._logins: dict[str, dict] = {}
        self._claims: dict[str, str] = {}
        self.actions.ensure_policy()  # devices sign in only once a notice exists (1.6)

    # -- people -------------------------------------------------------------------------------

    def username(self, who: str) -> str:
        """The username of *who* (Alice, Bob and the admin exist once it is asked for)."""
        self.users  # noqa: B018
        return self._name(who)

    def _name(self, who: str) -> str:
        return f"{who}{self.n}x"

    @cached_property
    def users(self) -> dict:
        return {who: self.actions.create_user(self._name(who),
                                              role="admin" if who == "root" else "user")
                for who in ("alice", "bob", "root")}

    @property
    def alice(self):
        return self.users["alice"]

    @cached_property
    def must_change(self) -> tuple[Any, str, SignedInDevice]:
        """Dave, who has not yet replaced his one-time password: (browser, CSRF, phone)."""
        name = self._name("dave")
        self.actions.create_user(name, must_change_password=True)
        client = self.app.test_client()
        csrf = self.actions.web_sign_in(name, client=client)["X-CSRF-Token"]
        return client, csrf, self.actions.device_sign_in(name, device_id=f"dave-{self.n}-phone")

    def phone(self, who: str, decision: str = "granted") -> SignedInDevice:
        """*who*'s phone with every consent decided as *decision*."""
        key = f"{who}-{decision}"
        if key not in self._devices:
            device = self.actions.device_sign_in(self.username(who),
                                                 device_id=f"{key}-{self.n}-phone")
            for purpose in PURPOSES:
                self.actions.grant(device, purpose, decision)
            self._devices[key] = device
        return self._devices[key]

    @property
    def alice_phone(self) -> SignedInDevice:
        return self.phone("alice")

    def browser(self, who: str):
        """*who*'s signed-in browser: (test client, CSRF token)."""
        if who not in self._browsers:
            client = self.app.test_client()
            csrf = self.actions.web_sign_in(self.username(who), client=client)["X-CSRF-Token"]
            self._browsers[who] = (client, csrf)
        return self._browsers[who]

    @property
    def alice_session_handle(self) -> str:
        """How the admin console names Alice's browser session (the hash of its id)."""
        client, _ = self.browser("alice")
        cookie = client.get_cookie("gw_session") or client.get_cookie("__Host-gw_session")
        return digest(cookie.value)

    def key(self, scopes: tuple[str, ...]) -> str:
        scopes = tuple(sorted(scopes))
        if scopes not in self._keys:
            _, key = self.svc.identity.integrations.create(
                name=f"bi-{self.n}-{len(self._keys)}", scopes=list(scopes), created_by=None)
            self._keys[scopes] = key
        return self._keys[scopes]

    def bearer(self, scopes: tuple[str, ...]) -> dict:
        return {"Authorization": f"Bearer {self.key(scopes)}"}

    def caller(self, who: str, scope: str | None):
        """The test client and headers subject *who* sends to an endpoint needing *scope*."""
        if who in PERSON:
            person = PERSON[who]
            client, csrf = self.browser(person)
            return client, {"Authorization": f"Bearer {self.phone(person).access_token}",
                            "X-CSRF-Token": csrf}
        if who == "mustchange":
            client, csrf, phone = self.must_change
            return client, {"Authorization": f"Bearer {phone.access_token}", "X-CSRF-Token": csrf}
        client = self.app.test_client()
        if who == "noconsent":
            return client, self.phone("alice", "refused").headers
        if who in ("integration", "wrong_scope"):
            every = tuple(integrations.SCOPES)
            if who == "integration":
                scopes = (scope,) if scope else every
            else:
                scopes = tuple(s for s in every if s != scope) if scope else every
            return client, self.bearer(scopes)
        return client, {}

    def device_of(self, who: str) -> SignedInDevice | None:
        """The phone subject *who* calls from, if it has one."""
        if who == "noconsent":
            return self.phone("alice", "refused")
        if who == "mustchange":
            return self.must_change[2]
        return self.phone(PERSON[who]) if who in PERSON else None

    # -- Alice's report, preview link and grant -------------------------------------------------

    @cached_property
    def report(self) -> str:
        report_id = f"alice-report-{self.n}"
        response = self.actions.client.put(
            f"/api/v1/reports/{report_id}", headers=self.bearer(("reports:write",)),
            json={"title": self.secret_title, "owner": self.username("alice"),
                  "snapshot": snapshot(image_bytes())})
        assert response.status_code == 201, response.get_json()
        return report_id

    @property
    def secret_title(self) -> str:
        return f"Alice's secret report {self.n}"

    @cached_property
    def link(self) -> dict:
        client, csrf = self.browser("alice")
        response = client.post(f"/api/v1/reports/{self.report}/preview-links",
                               headers={"X-CSRF-Token": csrf})
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        return {"token": body["url"].rsplit("/", 1)[1], **body}

    @cached_property
    def grant(self) -> dict:
        response = self.actions.client.post("/api/v1/previews/open",
                                            headers=self.alice_phone.headers,
                                            json={"token": self.link["token"], "via": "link"})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    # -- Alice's consent receipt --------------------------------------------------------------

    @cached_property
    def receipt_event(self) -> str:
        body = self.actions.grant(self.alice_phone, "location")
        return body["event"]["id"]

    # -- Alice's QR login ---------------------------------------------------------------------

    def own_login(self, who: str) -> dict | None:
        """The QR login *who*'s browser started (Alice's is the one the requests aim at)."""
        person = PERSON.get(who)
        if person is None:
            return None
        if person not in self._logins:
            client, _ = self.browser(person)
            response = client.post("/api/v1/qr-logins", json={}, headers={"User-Agent": DESKTOP_UA})
            assert response.status_code == 201, response.get_json()
            started = response.get_json()
            self._logins[person] = {**started, "token": started["qr"].rsplit("/", 1)[1]}
        return self._logins[person]

    @property
    def login(self) -> dict:
        return self.own_login("user")

    @cached_property
    def scanned(self) -> dict:
        login = self.login
        response = self.actions.client.post("/api/v1/qr-logins/scan",
                                            headers=self.alice_phone.headers,
                                            json={"token": login["token"], "via": "link"})
        assert response.status_code == 200, response.get_json()
        client, _ = self.browser("alice")
        number = client.get(f"/api/v1/qr-logins/{login['id']}").get_json()["number"]
        return {**login, "number": number}

    def confirm_body(self, who: str) -> dict:
        login, device = self.scanned, self.device_of(who)
        made = proof(device, login["id"], login["number"], self.clock) if device else None
        return {"number": login["number"], "proof": made}

    @cached_property
    def confirmed(self) -> dict:
        login = self.scanned
        response = self.actions.client.post(f"/api/v1/qr-logins/{login['id']}/confirm",
                                            headers=self.alice_phone.headers,
                                            json=self.confirm_body("user"))
        assert response.status_code == 200, response.get_json()
        return login

    # -- Alice's offer to connect a phone -----------------------------------------------------

    def _offer(self, person: str) -> dict:
        client, csrf = self.browser(person)
        response = client.post("/api/v1/enrollments", headers={"X-CSRF-Token": csrf}, json={})
        assert response.status_code == 201, response.get_json()
        offered = response.get_json()
        return {**offered, "token": offered["qr"].rsplit("/", 1)[1]}

    @cached_property
    def offer(self) -> dict:
        return self._offer("alice")

    def claim_body(self, offered: dict) -> dict:
        key = ec.generate_private_key(ec.SECP256R1())
        return {"token": offered["token"], "via": "link",
                "device": device_description(f"new-phone-{self.n}-{offered['id'][:8]}", key)}

    def _claim(self, offered: dict) -> dict:
        response = self.app.test_client().post("/api/v1/enrollments/claim",
                                               json=self.claim_body(offered))
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    @cached_property
    def claimed(self) -> dict:
        return {**self.offer, **self._claim(self.offer), "id": self.offer["id"]}

    def claim_secret(self, who: str) -> dict:
        """The X-Enrollment-Secret header of the phone that claimed *who*'s own offer."""
        if who == "user":
            return {"X-Enrollment-Secret": self.claimed["claim_secret"]}
        if who == "other":
            if "bob" not in self._claims:
                self._claims["bob"] = self._claim(self._offer("bob"))["claim_secret"]
            return {"X-Enrollment-Secret": self._claims["bob"]}
        return {}

    @cached_property
    def approved(self) -> dict:
        claimed = self.claimed
        client, csrf = self.browser("alice")
        response = client.post(f"/api/v1/enrollments/{claimed['id']}/approve",
                               headers={"X-CSRF-Token": csrf}, json={"number": claimed["number"]})
        assert response.status_code == 200, response.get_json()
        return claimed

    # -- push ---------------------------------------------------------------------------------

    @cached_property
    def vapid(self) -> None:
        self.app.extensions["gateway"].push.ensure_vapid_key()

    def subscription(self) -> dict:
        self.vapid  # noqa: B018
        public = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": f"http://127.0.0.1:9/push/{self.n}-{b64(public[:9])}",
                "keys": {"p256dh": b64(public), "auth": b64(b"a" * 16)}, "expirationTime": None}

    @cached_property
    def subscribed(self) -> None:
        response = self.actions.client.put("/api/v1/push/subscription",
                                           headers=self.alice_phone.headers,
                                           json=self.subscription())
        assert response.status_code == 200, response.get_json()

    @cached_property
    def topic(self) -> str:
        name = f"topic-{self.n}"
        client, csrf = self.browser("root")
        response = client.put(f"/api/v1/admin/push/topics/{name}", headers={"X-CSRF-Token": csrf},
                              json={"title": "Reports", "ttl": 3600})
        assert response.status_code == 200, response.get_json()
        return name

    def send_body(self) -> dict:
        return {"audience": {"kind": "users", "users": [self.username("alice")]},
                "title": "Report ready"}

    @cached_property
    def sent_by_integration(self) -> str:
        self.vapid  # noqa: B018
        response = self.actions.client.post("/api/v1/push/notifications", json=self.send_body(),
                                            headers=self.bearer(("push:send",)))
        assert response.status_code == 202, response.get_json()
        return response.get_json()["id"]

    @cached_property
    def sent_by_admin(self) -> str:
        self.vapid  # noqa: B018
        client, csrf = self.browser("root")
        response = client.post("/api/v1/admin/push/notifications", json=self.send_body(),
                               headers={"X-CSRF-Token": csrf})
        assert response.status_code == 202, response.get_json()
        return response.get_json()["id"]

    @cached_property
    def alert(self) -> int:
        origin = f"https://push-{self.n}.example.com"
        with self.svc.store.write() as connection:
            alerts.raise_alert(connection, self.clock, "our-fault", origin, "401 from the service")
            return next(a.id for a in alerts.open_alerts(connection) if a.origin == origin)

    @cached_property
    def old_key(self) -> str:
        from gateway.push import vapid

        self.vapid  # noqa: B018
        with self.svc.store.read() as connection:
            kid = vapid.current_key(connection).kid
        vapid.rotate(self.svc.store, self.clock, self.app.extensions["gateway"].push.wrap, actor=None)
        return kid

    @cached_property
    def doomed_integration(self) -> str:
        integration, _ = self.svc.identity.integrations.create(
            name=f"old-{self.n}", scopes=["reports:write"], created_by=None)
        return integration.id

    @cached_property
    def doomed_client(self) -> str:
        client, _ = self.svc.oidc.clients.register(
            name=f"old-{self.n}", redirect_uris=["https://bi.example.com/cb"], scopes=["openid"])
        return client.id

    # -- partner sharing ----------------------------------------------------------------------

    @cached_property
    def partner(self) -> str:
        partners.configure(self.svc.store, self.clock, self.svc.catalogue, name=PARTNER,
                           webhook_url="http://127.0.0.1:9/hook", fields=["username"],
                           recipient="CRM Ltd", contact="privacy@crm.example",
                           purpose="support", by=None)
        self.actions.grant(self.alice_phone, PARTNER_PREFIX + PARTNER)
        return PARTNER

    # -- the policy in effect -----------------------------------------------------------------

    @cached_property
    def policy(self) -> str:
        with self.svc.store.read() as connection:
            found = consent.current_policy(connection, self.clock)
        return (found or self.actions.publish_policy()).version

    def camera_withdrawal(self) -> dict:
        """Withdrawing the camera on Alice's phone, as the app sends it (from any device)."""
        self.policy  # noqa: B018  (a notice exists)
        notice = next(p["notice"] for p in self.actions.client.get("/api/v1/purposes").get_json()
                      ["purposes"] if p["name"] == "camera")
        return {"purpose": "camera", "decision": "withdrawn",
                "device_id": self.alice_phone.device_id,
                "policy_version": notice["policy_version"], "notice_hash": notice["hash"]}

    @property
    def receipt(self) -> str:
        return self.app.extensions["gateway"].push.receipts.token(1)
