"""Where a device stands on a purpose, derived from the ledger, and the check every
function makes before it uses one.

The current state is the last decision, never stored apart from the events. A decision
stops counting once a policy version published after the one it was taken under, and in
effect now, changes its purpose: a grant no longer grants, and a refusal may be asked
about again. Otherwise a refusal is not asked about again (repeated prompting after a
refusal is itself unlawful collection under China's app rules). A grant of a purpose
with terms (a partner's) also stops counting when the terms change (``terms``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, func, select

from gateway.consent.errors import ConsentRequired
from gateway.consent.ledger import ConsentEvent, event_of
from gateway.consent.policies import LAST_CHANGE, change_seqs, version_seqs
from gateway.consent.purposes import Catalogue
from gateway.consent.tables import consent_events, policy_versions
from gateway.consent.terms import terms_changed
from gateway.core.clock import Clock

GRANT_AT = "/api/v1/consents"
SETTINGS_PAGE = "/app/consents"


@dataclass(frozen=True)
class ConsentStatus:
    """Where one device stands on one purpose."""

    purpose: str
    state: str  # granted, refused, withdrawn, undecided
    stale: bool  # decided under a policy version that a later one in effect changed
    last_event: ConsentEvent | None
    terms_changed: bool = False  # a grant of terms (a partner's) that have changed since

    @property
    def granted(self) -> bool:
        return self.state == "granted" and not self.stale and not self.terms_changed

    @property
    def needs_decision(self) -> bool:
        """Ask the user? Not after a refusal or withdrawal, unless the policy (or what the
        purpose covers) changed."""
        return self.state == "undecided" or self.stale or self.terms_changed

    @property
    def reason(self) -> str | None:
        """Why a decision is needed: ``undecided``, ``policy_changed`` or
        ``terms_changed``; else None."""
        if self.state == "undecided":
            return "undecided"
        if self.stale:
            return "policy_changed"
        return "terms_changed" if self.terms_changed else None


def _status(purpose: str, event: ConsentEvent | None, decided_seq: int | None,
            changed_seq: int | None) -> ConsentStatus:
    if event is None:
        return ConsentStatus(purpose, "undecided", False, None)
    return ConsentStatus(purpose, event.decision, (decided_seq or 0) < (changed_seq or 0), event)


def derive(purpose: str, events: Iterable[ConsentEvent], *, version_seqs: Mapping[str, int],
           change_seqs: Mapping[str, int]) -> ConsentStatus:
    """The state a subject's events (oldest first) leave for *purpose*, given the seq of
    every policy version and, per purpose, of the newest version in effect changing it."""
    last = None
    for event in events:
        if event.purpose == purpose:
            last = event
    return _status(purpose, last, last and version_seqs.get(last.policy_version),
                   change_seqs.get(purpose))


def _last_decision(*columns):
    """The device's last decision on :purpose (as *columns*), with the seq of the version
    it was taken under and of the newest version in effect that changed the purpose: one
    query on the subject index, whatever the number of versions."""
    decided = (select(policy_versions.c.seq)
               .where(policy_versions.c.version == consent_events.c.policy_version)
               .scalar_subquery())
    return (
        select(*columns, decided.label("decided_seq"), LAST_CHANGE.label("changed_seq"))
        .where(consent_events.c.user_id == bindparam("user_id"),
               consent_events.c.device_id == bindparam("device_id"),
               consent_events.c.purpose == bindparam("purpose"))
        .order_by(consent_events.c.seq.desc())
        .limit(1)
    )


_STATUS = _last_decision(consent_events)
_CHECK = _last_decision(consent_events.c.decision)  # runs before every push delivery


def _last(connection: Connection, clock: Clock, statement, *, user_id: str, device_id: str,
          purpose: str):
    return connection.execute(statement, {"user_id": user_id, "device_id": device_id,
                                          "purpose": purpose, "now": clock.now()}).first()


def status(connection: Connection, clock: Clock, *, user_id: str, device_id: str,
           purpose: str) -> ConsentStatus:
    """Where *device_id* of *user_id* stands on *purpose* now: one indexed query."""
    row = _last(connection, clock, _STATUS, user_id=user_id, device_id=device_id,
                purpose=purpose)
    if row is None:
        return _status(purpose, None, None, None)
    return _status(purpose, event_of(row), row.decided_seq, row.changed_seq)


def _granted(connection: Connection, clock: Clock, *, user_id: str, device_id: str,
             purpose: str) -> tuple[str, bool]:
    # The check itself reads only the decision: it runs before every push delivery.
    row = _last(connection, clock, _CHECK, user_id=user_id, device_id=device_id,
                purpose=purpose)
    if row is None:
        return "undecided", False
    return row.decision, (row.decided_seq or 0) < (row.changed_seq or 0)


def statuses(connection: Connection, clock: Clock, catalogue: Catalogue, *, user_id: str,
             device_id: str) -> list[ConsentStatus]:
    """Where the device stands on every purpose of the catalogue, in its order."""
    newest = (select(func.max(consent_events.c.seq))
              .where(consent_events.c.user_id == user_id,
                     consent_events.c.device_id == device_id)
              .group_by(consent_events.c.purpose))
    last = {row.purpose: event_of(row) for row in connection.execute(
        select(consent_events).where(consent_events.c.seq.in_(newest)))}
    versions, changes = version_seqs(connection), change_seqs(connection, clock)
    found = [derive(purpose.name, [last[purpose.name]] if purpose.name in last else [],
                    version_seqs=versions, change_seqs=changes)
             for purpose in catalogue]
    return [dataclasses.replace(state, terms_changed=True)
            if state.granted and terms_changed(connection, catalogue, state.last_event)
            else state for state in found]


def is_granted(connection: Connection, clock: Clock, *, user_id: str, device_id: str,
               purpose: str, catalogue: Catalogue | None = None) -> bool:
    """Whether the device may use *purpose* now. With *catalogue*, raises
    ``UnknownPurpose`` for a purpose outside it (e.g. a partner no longer configured)."""
    if catalogue is not None:
        catalogue.get(purpose)
    state, stale = _granted(connection, clock, user_id=user_id, device_id=device_id,
                            purpose=purpose)
    return state == "granted" and not stale


def require(connection: Connection, clock: Clock, catalogue: Catalogue, *, user_id: str,
            device_id: str, purpose: str) -> None:
    """Raise ``ConsentRequired`` (403, naming the purpose and where to grant it) unless the
    device may use *purpose* now; ``UnknownPurpose`` for a purpose outside the catalogue."""
    catalogue.get(purpose)
    state, stale = _granted(connection, clock, user_id=user_id, device_id=device_id,
                            purpose=purpose)
    changed = (state == "granted" and not stale and catalogue.has_terms(purpose)
               and terms_changed(connection, catalogue, status(
                   connection, clock, user_id=user_id, device_id=device_id,
                   purpose=purpose).last_event))
    if state != "granted" or stale or changed:
        where = dict(purpose=purpose, state=state, stale=stale or changed, grant_at=GRANT_AT,
                     settings_page=SETTINGS_PAGE)
        if changed:
            raise ConsentRequired("What you agreed to share has changed: decide again in the "
                                  "app's settings.", **where)
        if stale:
            raise ConsentRequired("The agreement changed since you decided: decide again in "
                                  "the app's settings.", **where)
        raise ConsentRequired("This needs your permission first: allow it in the app's "
                              "settings.", **where)
