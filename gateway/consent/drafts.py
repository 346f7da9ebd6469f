"""A policy version before it is published: what publishing it now would change, whom it
would ask again, and the notices people would then be shown, so that the administrator
sees all of it before the version becomes immutable."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from gateway.consent.notices import Notice, current_notice
from gateway.consent.policies import PolicyVersion, computed_changes
from gateway.consent.purposes import LANGUAGES, PARTNER_PREFIX, Catalogue
from gateway.consent.tables import consent_events
from gateway.core.clock import Clock


@dataclass(frozen=True)
class Draft:
    """What publishing a version now would do."""

    computed: tuple[str, ...]  # purposes whose coverage changed: asked again whatever is ticked
    changes: tuple[str, ...]  # those and the ticked ones
    users_asked_again: int  # users with a decision on a changed purpose (it stops counting)
    users_losing_grants: int  # of those, users whose grant stops counting until they answer
    notices: tuple[Notice, ...]  # each changed purpose's notice in every language

    @property
    def partners(self) -> tuple[str, ...]:
        """The partner systems whose sharing purpose the version changes."""
        return tuple(name.removeprefix(PARTNER_PREFIX) for name in self.changes
                     if name.startswith(PARTNER_PREFIX))


def deciders(connection: Connection, purposes: Iterable[str]) -> tuple[int, int]:
    """How many users have a decision on any of *purposes* (on any device), and how many
    of them granted one: publishing a version that changes those purposes makes each of
    those decisions stale, so they are asked again."""
    names = list(purposes)
    if not names:
        return 0, 0
    latest = (select(func.max(consent_events.c.seq).label("seq"))
              .where(consent_events.c.purpose.in_(names), consent_events.c.redacted_at.is_(None))
              .group_by(consent_events.c.user_id, consent_events.c.device_id,
                        consent_events.c.purpose).subquery())
    rows = connection.execute(select(consent_events.c.user_id, consent_events.c.decision)
                              .join(latest, consent_events.c.seq == latest.c.seq)).all()
    return (len({row.user_id for row in rows}),
            len({row.user_id for row in rows if row.decision == "granted"}))


def draft(connection: Connection, clock: Clock, catalogue: Catalogue, *, version: str,
          ticked: Iterable[str]) -> Draft:
    """What publishing version *version* now, with the purposes *ticked*, would change.
    Raises ``UnknownPurpose`` for a ticked purpose outside the catalogue."""
    ticked = {catalogue.get(name).name for name in ticked}
    computed = tuple(computed_changes(connection, catalogue))
    changes = tuple(sorted(ticked | set(computed)))
    asked, losing = deciders(connection, changes)
    # Only the label goes into a notice; the rest of the draft is not a version yet.
    label = PolicyVersion(0, version, "", "", "", changes, clock.now(), clock.now())
    notices = tuple(current_notice(connection, catalogue, catalogue.get(name), label, language)
                    for name in changes for language in LANGUAGES)
    return Draft(computed, changes, asked, losing, notices)
