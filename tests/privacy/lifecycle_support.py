"""A user who has used every function of the gateway, and what the store then holds about
them: shared by the personal-data map's tests."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

from sqlalchemy import select

from gateway.core import qrcodes
from gateway.core.useragent import Requester
from gateway.identity import devices
from gateway.privacy import partners
from gateway.qrlogin import phone as qrlogin_phone
from gateway.schema import metadata
from tests.oidc_support import authorize_params, pkce, redeem_code, sign_in_for_code
from tests.oidc_support import register as oidc_register
from tests.preview_support import integration_key, register
from tests.qrlogin_support import DESKTOP, Enrollment, proof

# Columns that hold a user's or a device's id, by name (a foreign key says so by itself).
REFERRING = {"user_id", "device_id", "actor", "owner_id", "sender_id", "created_by",
             "updated_by", "published_by", "resolved_by", "revoked_by"}
# Words in a column's name that say it holds names, e-mail, phone, places, addresses,
# user agents, network addresses, positions or push endpoints.
TELLING = ("username", "display_name", "email", "phone", "address", "browser", "model",
           "network", "place", "country", "ssid", "bssid", "latitude", "longitude", "endpoint",
           "audience", "agent", "os", "os_version", "ip", "last_ip")


def referring_columns(table) -> list[str]:
    """The columns of *table* that hold a user's or a device's id."""
    found = []
    for column in table.columns:
        targets = {fk.target_fullname.split(".")[0] for fk in column.foreign_keys}
        if column.name in REFERRING or targets & {"users", "devices"}:
            found.append(column.name)
    if table.name in ("users", "devices"):
        found.append("id")
    return found


def telling_columns(table) -> list[str]:
    """The columns of *table* whose name says they hold something about a person."""
    return [c.name for c in table.columns
            if c.name in TELLING or any(c.name.endswith("_" + w) for w in ("ip", "email"))]


def uncovered(data_map) -> list[str]:
    """``table.column`` of every referring or telling column no holding covers."""
    missing = []
    for table in metadata.sorted_tables:
        covered = set().union(*(h.covered for h in data_map.of(table.name)))
        missing += [f"{table.name}.{name}" for name in
                    referring_columns(table) + telling_columns(table) if name not in covered]
    return sorted(set(missing))




def dump(store, user_id: str, device_ids: set[str]) -> dict[str, list[dict]]:
    """Every row of every table that refers to *user_id* or one of *device_ids*."""
    ids = {user_id} | device_ids
    found: dict[str, list[dict]] = {}
    with store.read() as connection:
        for table in metadata.sorted_tables:
            names = referring_columns(table)
            if not names:
                continue
            for row in connection.execute(select(table)):
                if any(row._mapping[name] in ids for name in names):
                    found.setdefault(table.name, []).append(dict(row._mapping))
    return found


def values(store, skip: dict[str, list[dict]] | None = None):
    """(table, value) of every value in the store, but the rows in *skip*."""
    skip = skip or {}
    with store.read() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                mapping = dict(row._mapping)
                if mapping in skip.get(table.name, ()):
                    continue
                for value in mapping.values():
                    for leaf in leaves(value):
                        yield table.name, leaf


def leaves(value):
    """The scalar values inside *value* (JSON lists and objects opened), as text."""
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from leaves(item)
    elif isinstance(value, datetime):
        yield value.isoformat()
    elif value is not None and not isinstance(value, bytes):
        yield json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value


def everything(app, actions, client, clock, kit):
    """Alice uses every function: phone connected by QR, device sign-in, consents (camera,
    push, location, the partner), a location report, a QR login, a report she owns and
    previews, a push subscription and a notification, a browser session, the policy
    announcement acknowledged, a sign-in to an application through the OpenID Provider, a
    disclosure to the partner. Returns (alice's phone, her browser headers)."""
    svc = app.extensions["gateway"]
    enrollment = Enrollment(svc, actions, clock)  # creates alice
    svc.identity.accounts.update_profile(enrollment.user.id, display_name="Alice Liddell",
                                         email="alice@example.com", phone="+86 138 0000 1111")
    claimed = enrollment.claim(device_id="alice-tablet-7731")
    enrollment.approve(claimed.offer.number)
    enrollment.collect(claimed.claim_secret)

    phone, _ = kit.device("alice", device_id="alice-phone-4242")
    partners.configure(svc.store, clock, svc.catalogue, name="crm",
                       webhook_url="https://crm.example.com/hook", fields=["username", "email"],
                       recipient="CRM Ltd", contact="privacy@crm.example",
                       purpose="account_sync", by=None)
    for purpose in ("camera", "location", "partner_sharing:crm"):
        actions.grant(phone, purpose)
    client.post("/api/v1/policy/seen", headers=phone.headers, json={"version": "1.0"})
    client.post("/api/v1/devices/current/report", headers=phone.headers, json={
        "model": "Pixel 9 Pro", "os": "Android", "os_version": "16", "app_version": "3.2.0",
        "position": {"latitude": 39.9042, "longitude": 116.4074, "precision": "precise"},
        "access_point": {"bssid": "a4:5e:60:12:34:56", "ssid": "Alice-Home-5G"}})

    # A QR login confirmed on the phone.
    flow, moves = svc.qrlogin.browser, svc.qrlogin.phone
    started = flow.start(DESKTOP)
    key = devices.get_device(svc.store, phone.device_id).public_key
    on_phone = qrlogin_phone.Phone(phone.user_id, phone.device_id, key,
                                   Requester("unknown", "Android", "203.0.113.0/24", None, None))
    moves.scan(phone=on_phone, via="link",
               token=qrcodes.token_for(flow.key, started.login.id, 0))
    number = flow.status(started.login.id, started.browser_secret).number
    moves.confirm(login_id=started.login.id, phone=on_phone, number=number,
                  proof=proof(phone, started.login.id, number, clock))

    # A report she owns, a preview link she made, opened on her phone.
    actions.create_user("root", role="admin")
    register(client, integration_key(app), owner="alice", users=("alice",), groups=())
    browser = app.test_client()
    headers = actions.web_sign_in("alice", client=browser)
    link = browser.post("/api/v1/reports/sales-q3/preview-links", headers=headers).get_json()
    opened = client.post("/api/v1/previews/open", headers=phone.headers,
                         json={"token": link["url"].rsplit("/p/", 1)[1]})
    assert opened.status_code == 201, opened.get_json()

    # She signs in to an application through the OpenID Provider (a code, then tokens).
    rp = oidc_register(svc)
    verifier, challenge = pkce()
    code, _ = sign_in_for_code(app.test_client(), client, phone, clock, authorize_params(
        rp, challenge, scope="openid profile email offline_access"))
    tokens = redeem_code(app.test_client(), rp, code, verifier)
    assert tokens.status_code == 200, tokens.get_json()

    # A notification naming her, delivered; and a disclosure to the partner.
    kit.send("alice")
    kit.drain()
    partners.share(svc.store, clock, svc.catalogue, partner="crm", user_id=phone.user_id,
                   reason="account_sync", send=lambda url, body: 204)
    return phone, headers


def with_partner(settings):
    return dataclasses.replace(settings, partners=("crm",))
