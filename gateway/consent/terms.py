"""Grants bound to terms: a purpose whose coverage is set at run time (a partner's
recipient, purpose and fields, ``Catalogue.terms``) counts only as long as the notice the
grant answered is still the notice served now. Any change to the terms changes the
notice, and so its hash, and the grant stops counting: the user is asked again."""

from __future__ import annotations

from sqlalchemy import Connection

from gateway.consent.ledger import ConsentEvent
from gateway.consent.notices import current_notice
from gateway.consent.policies import get_policy
from gateway.consent.purposes import Catalogue


def terms_changed(connection: Connection, catalogue: Catalogue, event: ConsentEvent | None) -> bool:
    """Whether *event*, a grant of a purpose with terms, answered a notice whose terms are
    no longer the current ones (False for anything else)."""
    if event is None or event.decision != "granted" or not catalogue.has_terms(event.purpose):
        return False
    policy = get_policy(connection, event.policy_version)
    shown_now = current_notice(connection, catalogue, catalogue.get(event.purpose), policy,
                               event.language)
    return event.notice_hash != shown_now.hash
