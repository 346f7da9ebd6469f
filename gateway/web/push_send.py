"""Sending a notification from the API with an integration key (the BI server), and the
request and answer shapes the admin console's send uses too."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from flask import Blueprint
from pydantic import AwareDatetime, BaseModel, Field

from gateway.core.errors import NotFound
from gateway.push import history, notifications, topics
from gateway.push.notifications import Audience, Draft, Notification
from gateway.web.api import Model, json_response, operation
from gateway.web.auth import current_integration
from gateway.web.context import services
from gateway.web.shown import shown

bp = Blueprint("push_send", __name__, url_prefix="/api/v1/push")

TOPIC_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"
NOTIFICATION_ID = re.compile(r"^[0-9a-f]{32}$")
# Text people read: any character but the control ones (tab and line breaks allowed).
PLAIN = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$"
Urgency = Literal["very-low", "low", "normal", "high"]
Username = Annotated[str, Field(min_length=2, max_length=64,
                                pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]+$")]
GroupName = Annotated[str, Field(min_length=1, max_length=64,
                                 pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")]


class AudienceIn(Model):
    kind: Literal["users", "groups", "topic", "everyone"] = Field(
        description="users or groups named below, the subscribers of `topic`, or everyone")
    users: list[Username] = Field(default_factory=list, max_length=1000,
                                  description="Usernames, with kind users")
    groups: list[GroupName] = Field(default_factory=list, max_length=100,
                                    description="Group names, with kind groups")


class SendIn(Model):
    audience: AudienceIn
    title: str = Field(min_length=1, max_length=200, pattern=PLAIN)
    body: str = Field(default="", max_length=2900, pattern=PLAIN)
    url: str | None = Field(default=None, max_length=1000, pattern=r"^[!-~]+$",
                            description="Opened on a click: a path here or an https URL")
    topic: str | None = Field(default=None, pattern=TOPIC_NAME,
                              description="Its TTL and urgency apply; opted-out users are left out")
    collapse_key: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,32}$",
                                     description="Sent as the Topic header: a newer message "
                                                 "with the same key replaces an undelivered one")
    ttl: int | None = Field(default=None, ge=0, le=topics.MAX_TTL,
                            description="Seconds the push service keeps it; default the "
                                        "topic's, else a day")
    urgency: Urgency | None = None
    send_at: AwareDatetime | None = Field(default=None, description="Send later (<= 30 days)")
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=128,
                                        pattern=r"^[!-~]+$",
                                        description="A retried request with the same key "
                                                    "creates nothing new")


class ProgressOut(BaseModel):
    states: dict[str, int]
    displayed: int = Field(description="Deliveries the device reported as shown")
    total: int
    done: bool


class _Progressing(BaseModel):
    progress: ProgressOut
    replayed: bool = False

    @classmethod
    def of(cls, notification: Notification, counts: dict, replayed: bool = False):
        """*notification* as its sender is told it, with how far its sending has got."""
        return cls(**{name: getattr(notification, name) for name in cls.model_fields
                      if name not in ("progress", "replayed")},
                   progress=ProgressOut(**counts, done=history.done(notification, counts)),
                   replayed=replayed)


# A notification as its sender sees it; who sent it and the expansion's bookmark stay inside.
NotificationOut = shown(Notification, hide=("sender_id", "expanded_cursor"),
                        base=_Progressing, name="NotificationOut")


def draft_of(body: SendIn) -> Draft:
    audience = Audience(body.audience.kind, tuple(body.audience.users),
                        tuple(body.audience.groups))
    return Draft(audience=audience, title=body.title, body=body.body, url=body.url,
                 topic=body.topic, collapse_key=body.collapse_key, ttl=body.ttl,
                 urgency=body.urgency, send_at=body.send_at,
                 idempotency_key=body.idempotency_key)


def notification_out(notification_id: str, replayed: bool = False) -> NotificationOut:
    with services().store.read() as connection:
        notification = notifications.get(connection, notification_id)
        counts = history.progress(connection, [notification_id])[notification_id]
    return NotificationOut.of(notification, counts, replayed)


def accepted(draft: Draft, *, sender_kind: str, sender_id: str):
    """Commit the draft and answer 202 with it (the worker is woken to send it)."""
    svc = services()
    notification, replayed = notifications.accept(svc.store, svc.clock, draft,
                                                  sender_kind=sender_kind, sender_id=sender_id)
    services().push.wake()
    out = notification_out(notification.id, replayed)
    response = json_response(out.model_dump(mode="json"), 202)
    response.headers["Location"] = f"/api/v1/push/notifications/{notification.id}"
    return response


@bp.post("/notifications")
@operation(summary="Send a notification (integration key with push:send)", tag="push",
           auth="integration", scope="push:send", body=SendIn, response=NotificationOut,
           status=202, errors=(400, 404, 409, 422))
def send(body: SendIn):
    integration = current_integration("push:send")
    return accepted(draft_of(body), sender_kind="integration", sender_id=integration.id)


@bp.get("/notifications/<notification_id>")
@operation(summary="A notification this integration sent, with its progress", tag="push",
           auth="integration", scope="push:send", response=NotificationOut, errors=(404,))
def status(notification_id: str):
    integration = current_integration("push:send")
    if not NOTIFICATION_ID.match(notification_id):
        raise NotFound("There is no such notification.")
    with services().store.read() as connection:
        notifications.get_sent_by(connection, notification_id, integration.id)
    return notification_out(notification_id)
