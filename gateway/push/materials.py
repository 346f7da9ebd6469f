"""What a claimed delivery needs before it can be sent: the VAPID key that signs it and the
subject it names, and its notification's content, each read from the store once and
remembered by the worker."""

from __future__ import annotations

import logging
from collections.abc import Callable

from gateway.core.store import Store
from gateway.push import config as push_config
from gateway.push import vapid
from gateway.push.config import PushOptions
from gateway.push.notifications import get as get_notification
from gateway.push.outbox import Job
from gateway.push.outcomes import Outcome, OutcomeKind
from gateway.push.recorder import Result
from gateway.push.sender import Message, Signing

log = logging.getLogger("gateway.push")
SUBJECT_EVERY = 5.0  # seconds: the admin may change the subject in the console
CONTENTS = 1000  # notifications' contents remembered at most


class Materials:
    """The signing keys, subject and contents of the deliveries one worker sends."""

    def __init__(self, store: Store, options: PushOptions, wrap: vapid.KeyWrap,
                 timer: Callable[[], float]) -> None:
        self.store, self.options, self.wrap, self.timer = store, options, wrap, timer
        self._keys: dict[str, tuple[object, str]] = {}
        self._contents: dict[str, tuple] = {}
        self._subject: tuple[float, str | None] | None = None

    def messages(self, jobs: list[Job]) -> tuple[list[Message], list[Result]]:
        """The messages for claimed *jobs*, and the failed results of those that cannot be
        sent (their key cannot be loaded, or no subject is set)."""
        messages, failed = [], []
        for job in jobs:
            content, urgency = self.content(job.notification_id)
            try:
                signing = self.signing(job.vapid_kid)
            except Exception:  # e.g. the keys folder changed and the key cannot be unwrapped
                log.exception("VAPID key %s cannot be loaded", job.vapid_kid)
                failed.append(Result(job, Outcome(
                    OutcomeKind.FAILED, None,
                    reason=f"the VAPID key {job.vapid_kid} cannot be loaded",
                    alert="our-fault")))
                continue
            if signing is None:
                failed.append(Result(job, Outcome(
                    OutcomeKind.FAILED, None,
                    reason="no VAPID subject: set one in the push settings",
                    alert="no-subject")))
                continue
            messages.append(Message(job, content, urgency, signing))
        return messages, failed

    def signing(self, kid: str) -> Signing | None:
        """How to sign for the key *kid*; None while no subject is set. Raises when the key
        cannot be loaded."""
        subject = self._current_subject()
        if subject is None:
            return None
        if kid not in self._keys:
            with self.store.read() as connection:
                private = vapid.load_private_key(connection, self.wrap, kid)
                public = next(k.public_key for k in vapid.list_keys(connection) if k.kid == kid)
            self._keys[kid] = (private, public)
        private, public = self._keys[kid]
        return Signing(kid, private, public, subject)

    def _current_subject(self) -> str | None:
        if self._subject is None or self.timer() - self._subject[0] > SUBJECT_EVERY:
            with self.store.read() as connection:
                subject = push_config.current(connection, self.options).subject
            self._subject = (self.timer(), subject)
        return self._subject[1]

    def content(self, notification_id: str) -> tuple:
        """The notification's content and urgency."""
        if notification_id not in self._contents:
            if len(self._contents) > CONTENTS:
                self._contents.clear()
            with self.store.read() as connection:
                found = get_notification(connection, notification_id)
            self._contents[notification_id] = (found.content, found.urgency)
        return self._contents[notification_id]
