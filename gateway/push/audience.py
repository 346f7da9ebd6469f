"""Who a notification is for: named users, members of groups, a topic's subscribers
(everyone who has not opted out of it) or everyone, resolved to user ids; of those, with a
language, only the ones who read it (``gateway.identity.reading``)."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from gateway.identity.reading import reading_language
from gateway.identity.tables import groups, memberships, users
from gateway.push.tables import topic_opt_outs


def unknown_names(connection: Connection, usernames, group_names) -> dict[str, list[str]]:
    """The usernames and group names that do not exist, by kind (empty when all do)."""
    missing: dict[str, list[str]] = {}
    if usernames:
        known = set(connection.execute(select(users.c.username)
                                       .where(users.c.username.in_(list(usernames)))).scalars())
        if absent := sorted(set(usernames) - known):
            missing["users"] = absent
    if group_names:
        known = set(connection.execute(select(groups.c.name)
                                       .where(groups.c.name.in_(list(group_names)))).scalars())
        if absent := sorted(set(group_names) - known):
            missing["groups"] = absent
    return missing


def page(connection: Connection, audience: dict, topic: str | None, *, after: str | None,
         limit: int) -> tuple[list[str], str | None, int]:
    """The next *limit* active users *audience* names, in id order after *after*: their
    ids minus those who opted out of *topic*, the last id looked at (None when there
    was none left), and how many opted out."""
    query = select(users.c.id).where(users.c.disabled_at.is_(None))
    if after is not None:
        query = query.where(users.c.id > after)
    kind = audience["kind"]
    if kind == "users":
        query = query.where(users.c.username.in_(list(audience["users"])))
    elif kind == "groups":
        members = select(memberships.c.user_id).where(
            memberships.c.group_name.in_(list(audience["groups"])))
        query = query.where(users.c.id.in_(members))
    if language := audience.get("language"):
        read = reading_language()
        if audience.get("language_unset"):  # those of whom nothing tells read it too
            read = func.coalesce(read, language)
        query = query.where(read == language)
    user_ids = list(connection.execute(query.order_by(users.c.id).limit(limit)).scalars())
    last = user_ids[-1] if user_ids else None
    if not topic or not user_ids:
        return user_ids, last, 0
    out = set(connection.execute(select(topic_opt_outs.c.user_id).where(
        topic_opt_outs.c.topic == topic, topic_opt_outs.c.user_id.in_(user_ids))).scalars())
    return [u for u in user_ids if u not in out], last, len(out)
