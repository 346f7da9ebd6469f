"""Policy versions: the published texts of the agreement, immutable once published.

A version names the purposes it *changes*; once it is in effect, decisions about those
purposes taken under older versions stop counting (re-consent). Which purposes changed is
computed when publishing, from what each purpose covers (``Purpose.coverage``: its wording
in every language, sensitivity, retention) against the previous version; the admin may
only add purposes to that (``computed_changes`` shows it before publishing). The
announcement of a new version (clause 6) is sent after the publishing transaction has
committed (``gateway.push.announcements``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, insert, select

from gateway.consent import policy_texts
from gateway.consent.errors import NoPolicyInEffect, UnknownPolicyVersion
from gateway.consent.policy_texts import PolicyText
from gateway.consent.purposes import Catalogue
from gateway.consent.tables import policy_changes, policy_coverage, policy_versions
from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.errors import Conflict, InvalidRequest
from gateway.core.languages import SOURCE_LANGUAGE
from gateway.core.store import Store
from gateway.core.store.types import UTCDateTime

VERSION_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")


@dataclass(frozen=True)
class PolicyVersion:
    seq: int
    version: str
    text: str  # every language in one document (``policy_texts.document``)
    text_hash: str
    summary: str
    changes: tuple[str, ...]
    effective_at: datetime
    published_at: datetime
    # (language, words) pairs; a tuple keeps the dataclass hashable.
    texts: tuple[tuple[str, PolicyText], ...] = field(default=(), compare=False)

    def in_language(self, language: str) -> PolicyText:
        """The version's summary and text in *language*, else in English, else the whole
        document (a version recorded before versions had languages)."""
        found = dict(self.texts)
        return found.get(language) or found.get(SOURCE_LANGUAGE) or PolicyText(self.summary,
                                                                                self.text)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _changes_of(connection: Connection, seqs: Iterable[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    rows = connection.execute(
        select(policy_changes).where(policy_changes.c.policy_seq.in_(list(seqs)))
        .order_by(policy_changes.c.purpose))
    for row in rows:
        found.setdefault(row.policy_seq, []).append(row.purpose)
    return {seq: tuple(names) for seq, names in found.items()}


def _policies(connection: Connection, rows) -> list[PolicyVersion]:
    rows = list(rows)
    seqs = [row.seq for row in rows]
    changes = _changes_of(connection, seqs) if rows else {}
    texts = policy_texts.texts_of(connection, seqs) if rows else {}
    return [PolicyVersion(row.seq, row.version, row.text, row.text_hash, row.summary,
                          changes.get(row.seq, ()), row.effective_at, row.published_at,
                          tuple(sorted(texts.get(row.seq, {}).items())))
            for row in rows]


def publish_policy(
    store: Store, clock: Clock, catalogue: Catalogue, *, version: str,
    texts: Mapping[str, PolicyText], changes: Iterable[str], effective_at: datetime | None = None,
    published_by: str | None = None,
) -> PolicyVersion:
    """Publish a version of the agreement with its *texts* (summary and text per language,
    Chinese and English); it cannot be changed afterwards. It changes the purposes ticked
    in *changes* and, whatever is ticked, every purpose whose coverage differs from the
    previous version's (``computed_changes``).

    Raises ``UnknownPurpose`` for a changed purpose outside the catalogue, ``Conflict``
    when the version label exists already, and ``InvalidRequest`` for a malformed label,
    a language whose text or summary is missing (naming its field), or an effective date
    in the past or before that of the newest version (versions take effect in the order
    they are published).
    """
    ticked = set(changes)
    for name in ticked:
        catalogue.get(name)
    if not VERSION_PATTERN.match(version):
        raise InvalidRequest("A version label has 1 to 32 letters, digits, '.', '_' or '-'.",
                             field="version")
    texts = policy_texts.check_texts(texts)
    whole = policy_texts.document(texts)
    now = clock.now()
    effective_at = effective_at or now
    if effective_at < now:
        raise InvalidRequest("A version cannot take effect in the past.", field="effective_at")
    with store.write() as connection:
        if connection.execute(
            select(policy_versions.c.seq).where(policy_versions.c.version == version)
        ).first():
            raise Conflict("Version {version} exists already and cannot be changed: publish a "
                           "new version.", params={"version": version})
        latest = connection.execute(select(func.max(policy_versions.c.effective_at))).scalar()
        if latest is not None and effective_at < latest:
            raise InvalidRequest("A version cannot take effect before the newest one does "
                                 "({when}).", params={"when": latest}, field="effective_at")
        changes = sorted(ticked | set(computed_changes(connection, catalogue)))
        seq = connection.execute(insert(policy_versions).values(
            version=version, text=whole.text, text_hash=whole.hash, summary=whole.summary,
            effective_at=effective_at, published_at=now, published_by=published_by,
        )).inserted_primary_key[0]
        policy_texts.store_texts(connection, seq, texts)
        if changes:
            connection.execute(insert(policy_changes),
                               [{"policy_seq": seq, "purpose": name} for name in changes])
        connection.execute(insert(policy_coverage), [
            {"policy_seq": seq, "purpose": p.name, "digest": p.coverage()} for p in catalogue])
        policy = get_policy(connection, version)
        audit.record(connection, clock, "policy.published", actor=published_by,
                     subject=version, details={"changes": list(changes),
                                               "effective_at": effective_at.isoformat()})
        return policy


def computed_changes(connection: Connection, catalogue: Catalogue) -> list[str]:
    """The purposes whose coverage differs from what the newest published version
    recorded (every purpose before the first version, or after versions that recorded
    none): what publishing now counts as changed whatever is ticked."""
    newest = connection.execute(select(func.max(policy_versions.c.seq))).scalar()
    recorded = dict(connection.execute(
        select(policy_coverage.c.purpose, policy_coverage.c.digest)
        .where(policy_coverage.c.policy_seq == newest)).all()) if newest else {}
    return [p.name for p in catalogue if recorded.get(p.name) != p.coverage()]


def list_policies(connection: Connection) -> list[PolicyVersion]:
    """Every published version, newest first."""
    return _policies(connection, connection.execute(
        select(policy_versions).order_by(policy_versions.c.seq.desc())))


def is_first(connection: Connection, policy: PolicyVersion) -> bool:
    """Whether *policy* is the first version ever published (nothing it could update)."""
    return connection.execute(select(policy_versions.c.seq)
                              .where(policy_versions.c.seq < policy.seq).limit(1)).first() is None


def current_policy(connection: Connection, clock: Clock) -> PolicyVersion | None:
    """The newest version already in effect, or None before the first is published."""
    rows = connection.execute(
        select(policy_versions)
        .where(policy_versions.c.effective_at <= clock.now())
        .order_by(policy_versions.c.seq.desc())
        .limit(1)
    )
    found = _policies(connection, rows)
    return found[0] if found else None


def policy_in_effect(connection: Connection, clock: Clock) -> PolicyVersion:
    """The newest version in effect. Raises ``NoPolicyInEffect`` before the first takes
    effect: until then nothing that needs a notice may be collected (agreement 1.6)."""
    found = current_policy(connection, clock)
    if found is None:
        raise NoPolicyInEffect("The gateway's administrator has not published the user "
                               "agreement yet. Phones can sign in once it is in effect.")
    return found


def get_policy(connection: Connection, version: str) -> PolicyVersion:
    """The published version *version*. Raises ``UnknownPolicyVersion``."""
    found = _policies(connection, connection.execute(
        select(policy_versions).where(policy_versions.c.version == version)))
    if not found:
        raise UnknownPolicyVersion("No version {version} of the agreement was published.",
                                   params={"version": version},
                                   version=version)
    return found[0]


# The seq of the newest version in effect at :now that changed :purpose (NULL when none
# did): one lookup in the purpose index. Built once, so a check pays no statement building.
LAST_CHANGE = (
    select(func.max(policy_changes.c.policy_seq))
    .join(policy_versions, policy_versions.c.seq == policy_changes.c.policy_seq)
    .where(policy_changes.c.purpose == bindparam("purpose"),
           policy_versions.c.effective_at <= bindparam("now", type_=UTCDateTime()))
    .scalar_subquery()
)


def last_change_seq(connection: Connection, clock: Clock, purpose: str) -> int:
    """The seq of the newest version in effect that changed *purpose*, 0 when none did."""
    return connection.execute(select(LAST_CHANGE),
                              {"purpose": purpose, "now": clock.now()}).scalar() or 0


def change_seqs(connection: Connection, clock: Clock) -> dict[str, int]:
    """For every purpose some version in effect changed, the seq of the newest such one."""
    rows = connection.execute(
        select(policy_changes.c.purpose, func.max(policy_changes.c.policy_seq))
        .join(policy_versions, policy_versions.c.seq == policy_changes.c.policy_seq)
        .where(policy_versions.c.effective_at <= clock.now())
        .group_by(policy_changes.c.purpose))
    return {purpose: seq for purpose, seq in rows}


def version_seqs(connection: Connection) -> dict[str, int]:
    """Every published version label with its seq (the order of publication)."""
    rows = connection.execute(select(policy_versions.c.version, policy_versions.c.seq))
    return {version: seq for version, seq in rows}


def verify_texts(connection: Connection) -> list[str]:
    """The versions whose stored text (the whole document, or its words in one language)
    no longer matches the hash taken when published."""
    rows = connection.execute(select(policy_versions.c.seq, policy_versions.c.version,
                                     policy_versions.c.text, policy_versions.c.text_hash)
                              .order_by(policy_versions.c.seq))
    altered = set(policy_texts.altered_texts(connection))
    return [row.version for row in rows
            if sha256(row.text) != row.text_hash or row.seq in altered]
