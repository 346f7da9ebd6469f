"""What the gateway itself tells people by push: a new sign-in, a new phone connected, and
a new version of the agreement (clause 6).

Each is an ordinary notification: it goes only to devices with current push consent (the
worker checks again at delivery) and is accepted after the event's own transaction has
committed, so an announcement can never undo or block the event it announces.
"""

from __future__ import annotations

import logging

from gateway.consent import PolicyVersion
from gateway.core.clock import Clock
from gateway.core.errors import GatewayError
from gateway.core.store import Store
from gateway.identity import accounts
from gateway.push import notifications, topics
from gateway.push.notifications import Audience, Draft

POLICY_TOPIC = "policy-updates"
SENDER = "gateway"
log = logging.getLogger("gateway.push.announcements")


def ensure_policy_topic(store: Store, clock: Clock) -> None:
    """Make the topic policy announcements go to, if an admin has not already."""
    with store.read() as connection:
        try:
            topics.get(connection, POLICY_TOPIC)
            return
        except GatewayError:
            pass
    topics.save(store, clock, name=POLICY_TOPIC, title="Policy updates",
                description="Changes to the user agreement (clause 6)", ttl=7 * 24 * 3600,
                urgency="normal", actor=None)


def _accept(store: Store, clock: Clock, draft: Draft) -> str | None:
    try:
        notification, _ = notifications.accept(store, clock, draft, sender_kind="system",
                                               sender_id=SENDER)
    except GatewayError as error:  # e.g. no user has a device yet: nothing to tell
        log.info("announcement not sent", extra={"reason": error.slug})
        return None
    return notification.id


def policy_published(store: Store, clock: Clock, policy: PolicyVersion) -> str | None:
    """Push the announcement of a new agreement version to the policy topic."""
    ensure_policy_topic(store, clock)
    return _accept(store, clock, Draft(
        audience=Audience("topic"), topic=POLICY_TOPIC,
        title=f"The user agreement changed (version {policy.version})",
        body=policy.summary[:200], url="/policies",
        idempotency_key=f"policy-{policy.version}"))


def new_sign_in(store: Store, clock: Clock, *, user_id: str, browser: str,
                place: str | None, notice_id: str) -> str | None:
    """Tell the user's devices that a browser signed in to their account."""
    user = accounts.get_user(store, user_id)
    where = f", {place}" if place else ""
    return _accept(store, clock, Draft(
        audience=Audience("users", (user.username,)), urgency="high",
        title="New sign-in", body=f"New sign-in on {browser}{where}. Not you? Revoke it.",
        url="/app/privacy", idempotency_key=f"sign-in-{notice_id}"))


def phone_connected(store: Store, clock: Clock, *, user_id: str, model: str,
                    notice_id: str) -> str | None:
    """Tell the user's devices that a new phone was connected to their account."""
    user = accounts.get_user(store, user_id)
    return _accept(store, clock, Draft(
        audience=Audience("users", (user.username,)), urgency="high",
        title="A new phone was connected", body=f"{model} can now use your account.",
        url="/app/privacy", idempotency_key=f"phone-{notice_id}"))
