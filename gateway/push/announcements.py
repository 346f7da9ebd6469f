"""What the gateway itself tells people by push: a new sign-in, a new phone connected, and
a new version of the agreement (clause 6).

Each is an ordinary notification: it goes only to devices with current push consent (the
worker checks again at delivery) and is accepted after the event's own transaction has
committed, so an announcement can never undo or block the event it announces.
"""

from __future__ import annotations

import logging

from gateway.consent import PolicyVersion
from gateway.core.catalogues import translate
from gateway.core.clock import Clock
from gateway.core.errors import GatewayError
from gateway.core.languages import LANGUAGES, N_, SOURCE_LANGUAGE
from gateway.core.store import Store
from gateway.core.useragent import Requester
from gateway.identity import accounts, reading
from gateway.push import notifications, topics
from gateway.push.notifications import Audience, Draft

POLICY_TOPIC = "policy-updates"
# The policy topic's title and description as the gateway writes them: translated where
# they are read, unless an admin has written their own (see ``in_own_words``).
POLICY_TOPIC_WORDS = (N_("Policy updates"), N_("Changes to the user agreement (clause 6)"))
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
    title, description = POLICY_TOPIC_WORDS
    topics.save(store, clock, name=POLICY_TOPIC, title=title, description=description,
                ttl=7 * 24 * 3600, urgency="normal", actor=None)


def in_own_words(topic: topics.Topic) -> bool:
    """Whether *topic* is the gateway's own, with the words it gave it (fixed English, to
    be shown in the reader's language) rather than an admin's."""
    return topic.name == POLICY_TOPIC and (topic.title, topic.description) == POLICY_TOPIC_WORDS


def _accept(store: Store, clock: Clock, draft: Draft) -> str | None:
    try:
        notification, _ = notifications.accept(store, clock, draft, sender_kind="system",
                                               sender_id=SENDER)
    except GatewayError as error:  # e.g. no user has a device yet: nothing to tell
        log.info("announcement not sent", extra={"reason": error.slug})
        return None
    return notification.id


def policy_published(store: Store, clock: Clock, policy: PolicyVersion,
                     default_language: str = SOURCE_LANGUAGE) -> list[str]:
    """Push the announcement of a new agreement version to the policy topic, once per
    language to the users who read it (``reading.reading_language``; those of whom
    nothing tells: in *default_language*). Returns the notifications' ids."""
    ensure_policy_topic(store, clock)
    sent = []
    for language in LANGUAGES:
        sent.append(_accept(store, clock, Draft(
            audience=Audience("topic", language=language,
                              language_unset=language == default_language),
            topic=POLICY_TOPIC,
            title=translate(language, N_("The user agreement changed (version {version})"),
                            version=policy.version),
            body=policy.in_language(language).summary[:200], url="/policies",
            idempotency_key=f"policy-{policy.version}-{language}")))
    return [notification for notification in sent if notification]


def _language_of(store: Store, user_id: str, default_language: str) -> str:
    with store.read() as connection:
        return reading.language_of(connection, user_id, default_language)


def new_sign_in(store: Store, clock: Clock, *, user_id: str, requester: Requester,
                notice_id: str, default_language: str = SOURCE_LANGUAGE) -> str | None:
    """Tell the user's devices, in the user's language, that a browser (*requester*)
    signed in to their account; the place is named as that language writes it."""
    user = accounts.get_user(store, user_id)
    language = _language_of(store, user_id, default_language)
    browser = translate(language, N_("{browser} ({os})"), browser=requester.browser,
                        os=requester.os)
    place = requester.place_in(language)
    body = (translate(language, N_("New sign-in on {browser} in {place}. Not you? Revoke it."),
                      browser=browser, place=place) if place else
            translate(language, N_("New sign-in on {browser}. Not you? Revoke it."),
                      browser=browser))
    return _accept(store, clock, Draft(
        audience=Audience("users", (user.username,)), urgency="high",
        title=translate(language, N_("New sign-in")), body=body,
        url="/app/privacy", idempotency_key=f"sign-in-{notice_id}"))


def phone_connected(store: Store, clock: Clock, *, user_id: str, model: str,
                    notice_id: str, default_language: str = SOURCE_LANGUAGE) -> str | None:
    """Tell the user's devices, in the user's language, that a new phone was connected to
    their account."""
    user = accounts.get_user(store, user_id)
    language = _language_of(store, user_id, default_language)
    return _accept(store, clock, Draft(
        audience=Audience("users", (user.username,)), urgency="high",
        title=translate(language, N_("A new phone was connected")),
        body=translate(language, N_("{model} can now use your account."), model=model),
        url="/app/privacy", idempotency_key=f"phone-{notice_id}"))
