"""The companion's in-app inbox: its messages, the unread count, marking them read (for
the user, on every device), the live event stream, and the inbox page."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from flask import Blueprint, current_app, request
from pydantic import BaseModel, Field

from gateway.core.errors import InvalidRequest
from gateway.push.inbox import MOST_MARKED, PAGE, Message
from gateway.web import waiting
from gateway.web.api import Model, operation
from gateway.web.auth import current_device
from gateway.web.context import client_ip, services
from gateway.web.inbox_stream import InboxStream
from gateway.web.pages import page
from gateway.web.streams import QUOTA

bp = Blueprint("inbox", __name__)
API = "/api/v1/inbox"
EVENT_ID = re.compile(r"^[0-9]{1,18}$")


class MessageOut(BaseModel):
    id: int = Field(description="Grows with each message; the event stream's event id")
    notification_id: str
    topic: str | None
    title: str
    body: str
    url: str | None = Field(description="A path on this gateway or an https:// link")
    created_at: datetime
    read: bool = Field(description="Read on any of the user's devices")

    @classmethod
    def of(cls, message: Message) -> MessageOut:
        return cls(**{**message.shown(), "created_at": message.created_at})


class InboxQuery(Model):
    before: int | None = Field(default=None, ge=1, le=10**18,
                               description="Only messages older than this message id")
    limit: int = Field(default=PAGE, ge=1, le=PAGE)
    unread: bool = Field(default=False, description="Only unread messages")


class InboxOut(BaseModel):
    messages: list[MessageOut] = Field(description="Newest first")
    unread: int


class UnreadOut(BaseModel):
    unread: int


class MarkIn(Model):
    # Bounded like ``before``: a larger number is no message id, and would not fit the column.
    ids: list[Annotated[int, Field(ge=1, le=10**18)]] = Field(
        min_length=1, max_length=MOST_MARKED,
        description="Ids of the user's messages; others are left alone")


@bp.get(API)
@operation(summary="The user's inbox messages, newest first", tag="inbox", auth="device",
           query=InboxQuery, response=InboxOut, errors=(400, 401))
def list_messages(query: InboxQuery):
    inbox, user_id = services().inbox, current_device().user_id
    found = inbox.page(user_id, before=query.before, unread_only=query.unread, limit=query.limit)
    return InboxOut(messages=[MessageOut.of(m) for m in found], unread=inbox.unread(user_id))


@bp.get(f"{API}/unread")
@operation(summary="How many of the user's messages are unread", tag="inbox", auth="device",
           response=UnreadOut, errors=(401,))
def unread():
    return UnreadOut(unread=services().inbox.unread(current_device().user_id))


@bp.post(f"{API}/read")
@operation(summary="Mark messages read, for the user on every device", tag="inbox",
           auth="device", body=MarkIn, response=UnreadOut, errors=(400, 401))
def mark_read(body: MarkIn):
    return UnreadOut(unread=services().inbox.mark_read(current_device().user_id, body.ids))


@bp.post(f"{API}/read-all")
@operation(summary="Mark every message read, for the user on every device", tag="inbox",
           auth="device", response=UnreadOut, errors=(401,))
def mark_all_read():
    return UnreadOut(unread=services().inbox.mark_all_read(current_device().user_id))


def _last_event_id() -> int | None:
    """The id the companion saw last (its ``Last-Event-ID``), or None on a first connection.
    Raises ``InvalidRequest`` for anything but a message id."""
    text = request.headers.get("Last-Event-ID", request.args.get("last_event_id"))
    if text is None or text == "":
        return None
    if not EVENT_ID.match(text.strip()):
        raise InvalidRequest("Last-Event-ID is the id of the last message seen, a whole "
                             "number.", field="Last-Event-ID")
    return int(text.strip())


@bp.get(f"{API}/events")
@operation(summary="Server-Sent Events of the user's inbox: new messages at once, read "
           "state, the unread count (resumes after Last-Event-ID)", tag="inbox",
           auth="device", produces="text/event-stream", errors=(400, 401, 429, 503))
def events():
    svc, device = services(), current_device()
    last = _last_event_id()
    # Per device: a companion has one stream (two for a moment while it reconnects).
    slot = current_app.extensions[QUOTA].acquire(f"{API}/events/{device.device_id}",
                                                 client_ip())
    frames = InboxStream(svc.events, svc.inbox, svc.live_receipts, user_id=device.user_id,
                         device_id=device.device_id, last_event_id=last, slot=slot)
    return waiting.sse_response(frames)


@bp.get("/app/inbox")
@operation(summary="The companion's inbox page", tag="pages", produces="text/html")
def inbox_page():
    return page("app-inbox.html")
