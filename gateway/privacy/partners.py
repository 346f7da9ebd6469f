"""Partner systems (agreement 5): data goes to a partner only with the user's active
authorisation, checked at the moment of sending, and every disclosure is recorded and
shown to the user.

The operator names partners in ``GATEWAY_PARTNERS`` (each becomes a consent purpose
``partner_sharing:<name>``) and sets, per partner, who receives the data (recipient and
contact), the webhook, one purpose from a fixed list and the fields it gets: the terms a
user's consent covers (``partner_terms``). Changing any of them makes existing grants
stale. The webhook is the only address the gateway calls for a partner.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import Connection, insert, select, update

from gateway import consent
from gateway.consent.purposes import PARTNER_PREFIX, Catalogue
from gateway.consent.tables import consent_events
from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.errors import GatewayError, InvalidRequest, NotFound
from gateway.core.store import Store
from gateway.identity import accounts
from gateway.privacy.partner_terms import PURPOSES, terms_of_row
from gateway.privacy.tables import disclosures, partner_configs

FIELDS = ("username", "display_name", "email", "phone", "groups")
TIMEOUT_SECONDS = 5
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

# send(url, body) -> the partner's HTTP status; raises OSError when it cannot be reached
Sender = Callable[[str, bytes], int]


class NotAuthorised(GatewayError):
    status = 403
    slug = "consent-required"
    title = "The user has not authorised sharing with this partner"


@dataclass(frozen=True)
class Disclosure:
    partner: str
    fields: tuple[str, ...]
    reason: str
    sent_at: datetime
    outcome: str
    status_code: int | None


def post_json(url: str, body: bytes) -> int:
    """POST *body* to the partner's webhook; its status, or OSError when unreachable."""
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    local = parts.hostname in LOOPBACK_HOSTS
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise InvalidRequest("A partner's webhook must use https (http only on this machine).",
                             field="webhook_url")
    return url


def configure(store: Store, clock: Clock, catalogue: Catalogue, *, name: str, webhook_url: str,
              fields: list[str], recipient: str, contact: str, purpose: str,
              by: str | None) -> None:
    """Set who partner *name* is (*recipient*, *contact*), where it is reached, for which
    *purpose* (one of ``partner_terms.PURPOSES``) and which fields it gets. Every grant
    made on other terms stops counting. Raises ``NotFound`` for a partner not named in the
    settings and ``InvalidRequest`` for a bad URL, field, purpose, recipient or contact."""
    catalogue.get(PARTNER_PREFIX + name)
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown or not fields:
        raise InvalidRequest("Fields are some of {choices}.", params={"choices": ", ".join(FIELDS)},
                             field="fields")
    if purpose not in PURPOSES:
        raise InvalidRequest("The purpose is one of {choices}: data is shared only to run the "
                             "system (agreement 4).", params={"choices": ", ".join(PURPOSES)}, field="purpose")
    if not recipient.strip():
        raise InvalidRequest("Name who receives the data.", field="recipient")
    if not contact.strip():
        raise InvalidRequest("Say how to reach the recipient.", field="contact")
    values = dict(webhook_url=_check_url(webhook_url), fields=sorted(set(fields)),
                  recipient=recipient.strip(), contact=contact.strip(), purpose=purpose,
                  updated_at=clock.now())
    with store.write() as connection:
        if connection.execute(update(partner_configs).where(partner_configs.c.name == name)
                              .values(**values)).rowcount == 0:
            connection.execute(insert(partner_configs).values(name=name, **values))
        audit.record(connection, clock, "partner.configured", actor=by, subject=name,
                     details={"fields": values["fields"], "purpose": purpose,
                              "recipient": values["recipient"],
                              "host": urlsplit(values["webhook_url"]).hostname})


def authorised(connection: Connection, clock: Clock, catalogue: Catalogue, user_id: str,
               partner: str) -> bool:
    """Whether the user's latest decision on sharing with *partner*, from any of their
    devices, is a current grant of the partner's current terms."""
    purpose = PARTNER_PREFIX + partner
    latest = connection.execute(
        select(consent_events.c.device_id)
        .where(consent_events.c.user_id == user_id, consent_events.c.purpose == purpose)
        .order_by(consent_events.c.seq.desc()).limit(1)).scalar()
    if latest is None:
        return False
    try:
        consent.require(connection, clock, catalogue, user_id=user_id, device_id=latest,
                        purpose=purpose)
    except consent.ConsentRequired:
        return False
    return True


def share(store: Store, clock: Clock, catalogue: Catalogue, *, partner: str, user_id: str,
          reason: str, send: Sender = post_json) -> Disclosure:
    """Send the user's configured fields to *partner* for *reason* (the partner's purpose)
    and record the disclosure.

    Raises ``NotFound`` (partner not configured, or no such user), ``InvalidRequest`` when
    *reason* is not the purpose the partner is configured (and the user consented) for,
    and ``NotAuthorised`` when the user has not granted ``partner_sharing:<partner>``
    under its current terms (nothing is sent then).
    """
    catalogue.get(PARTNER_PREFIX + partner)
    user = accounts.get_user(store, user_id)
    with store.read() as connection:
        config = connection.execute(select(partner_configs)
                                    .where(partner_configs.c.name == partner)).first()
        if terms_of_row(config) is None:
            raise NotFound("The partner {partner} has no recipient, purpose and webhook "
                           "configured yet.", params={"partner": partner})
        if reason != config.purpose:
            raise InvalidRequest("The partner {partner} receives data only for "
                                 "{purpose}, the purpose its users consented to.",
                                 params={"partner": partner, "purpose": config.purpose},
                                 field="reason")
        if not authorised(connection, clock, catalogue, user_id, partner):
            raise NotAuthorised("Sharing with {partner} needs the user's consent.",
                                params={"partner": partner},
                                purpose=PARTNER_PREFIX + partner)
    data = {field: getattr(user, field) for field in config.fields}
    if "groups" in data:
        data["groups"] = list(data["groups"])
    body = json.dumps({"partner": partner, "reason": reason, "user": data,
                       "sent_at": clock.now().isoformat()}).encode()
    try:
        status_code = send(config.webhook_url, body)
        outcome = "delivered" if 200 <= status_code < 300 else "failed"
    except OSError:
        status_code, outcome = None, "failed"
    now = clock.now()
    with store.write() as connection:
        connection.execute(insert(disclosures).values(
            partner=partner, user_id=user_id, fields=list(config.fields), reason=reason,
            sent_at=now, outcome=outcome, status_code=status_code))
        audit.record(connection, clock, "partner.disclosed", subject=partner,
                     details={"user": user_id, "fields": list(config.fields), "outcome": outcome})
    return Disclosure(partner, tuple(config.fields), reason, now, outcome, status_code)


def disclosures_of(connection: Connection, user_id: str) -> list[Disclosure]:
    """Every disclosure about the user, newest first."""
    rows = connection.execute(select(disclosures).where(disclosures.c.user_id == user_id)
                              .order_by(disclosures.c.id.desc()))
    return [Disclosure(r.partner, tuple(r.fields), r.reason, r.sent_at, r.outcome, r.status_code)
            for r in rows]


def configured_names(store: Store) -> set[str]:
    """The partners that have a webhook set."""
    with store.read() as connection:
        return set(connection.execute(select(partner_configs.c.name)).scalars())
