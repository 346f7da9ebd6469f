"""The partner systems as the administration sees them (agreement 5): each one's terms,
how many users' grants match them and how many were given to other terms (those users are
asked again, and nothing is sent about them meanwhile), and what was disclosed to it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from gateway.consent.notices import current_notice
from gateway.consent.policies import get_policy
from gateway.consent.purposes import PARTNER_PREFIX, Catalogue
from gateway.consent.tables import consent_events
from gateway.privacy.partner_terms import Terms, terms_of_row
from gateway.privacy.partners import Disclosure
from gateway.privacy.tables import disclosures, partner_configs

RECENT = 5  # disclosures listed per partner


@dataclass(frozen=True)
class PartnerOverview:
    name: str
    terms: Terms | None  # None while the recipient, contact or purpose is missing
    webhook_url: str | None
    fields: tuple[str, ...]
    updated_at: datetime | None
    grants: int  # users whose grant matches the current terms
    stale_grants: int  # users whose grant was given to other terms: asked again
    disclosures: int
    recent: tuple[Disclosure, ...]  # newest first, without whom they were about


def _grants(connection: Connection, catalogue: Catalogue, purpose: str) -> tuple[int, int]:
    """How many users hold a grant of *purpose* on the terms stated now, and how many on
    terms that have changed since (latest decision per device; a user counts once)."""
    latest = (select(func.max(consent_events.c.seq).label("seq"))
              .where(consent_events.c.purpose == purpose, consent_events.c.redacted_at.is_(None))
              .group_by(consent_events.c.user_id, consent_events.c.device_id).subquery())
    rows = connection.execute(
        select(consent_events.c.user_id, consent_events.c.policy_version,
               consent_events.c.language, consent_events.c.notice_hash)
        .join(latest, consent_events.c.seq == latest.c.seq)
        .where(consent_events.c.decision == "granted")).all()
    shown: dict[tuple[str, str], str] = {}  # (version, language) -> the notice's hash now
    current, stale = set(), set()
    for row in rows:
        key = (row.policy_version, row.language)
        if key not in shown:
            shown[key] = current_notice(connection, catalogue, catalogue.get(purpose),
                                        get_policy(connection, row.policy_version),
                                        row.language).hash
        (current if shown[key] == row.notice_hash else stale).add(row.user_id)
    return len(current), len(stale - current)


def overview(connection: Connection, catalogue: Catalogue,
             names: Iterable[str]) -> list[PartnerOverview]:
    """The partners *names* (those the settings name), each with its terms, grants and
    disclosures."""
    found = []
    for name in names:
        config = connection.execute(select(partner_configs)
                                    .where(partner_configs.c.name == name)).first()
        grants, stale = _grants(connection, catalogue, PARTNER_PREFIX + name)
        count = connection.execute(select(func.count()).select_from(disclosures)
                                   .where(disclosures.c.partner == name)).scalar()
        recent = connection.execute(select(disclosures).where(disclosures.c.partner == name)
                                    .order_by(disclosures.c.id.desc()).limit(RECENT))
        found.append(PartnerOverview(
            name, terms_of_row(config), config and config.webhook_url,
            tuple(sorted(config.fields)) if config else (), config and config.updated_at,
            grants, stale, count,
            tuple(Disclosure(r.partner, tuple(r.fields), r.reason, r.sent_at, r.outcome,
                             r.status_code) for r in recent)))
    return found
