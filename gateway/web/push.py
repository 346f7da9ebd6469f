"""Web Push for the companion: the VAPID public key, the device's subscription (push
consent required), topic opt-outs, quiet hours, display receipts, the service worker and
the notifications page."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from urllib.parse import urlsplit

from flask import Blueprint, current_app, send_from_directory
from pydantic import BaseModel, Field

from gateway.core.errors import NotFound
from gateway.push import announcements, preferences, receipts, subscriptions, topics, vapid
from gateway.push.allowlist import service_of
from gateway.push.runtime import PushRuntime
from gateway.web.api import Model, operation
from gateway.web.auth import current_device
from gateway.web.context import services
from gateway.web.i18n import language
from gateway.web.limits import by_address, limiter
from gateway.web.pages import page
from gateway.web.problems import words
from gateway.web.push_send import TOPIC_NAME

bp = Blueprint("push", __name__)


def runtime() -> PushRuntime:
    return services().push


class VapidKeyOut(BaseModel):
    public_key: str = Field(description="The applicationServerKey (base64url P-256 point)")
    kid: str


B64URL = r"^[A-Za-z0-9_=-]+$"


class KeysIn(Model):
    p256dh: str = Field(min_length=80, max_length=100, pattern=B64URL)
    auth: str = Field(min_length=16, max_length=32, pattern=B64URL)


class SubscriptionIn(Model):
    """A PushSubscription as ``subscription.toJSON()`` gives it, plus the key it used."""

    endpoint: str = Field(min_length=10, max_length=2048, pattern=r"^[!-~]+$")
    keys: KeysIn
    expirationTime: int | None = None  # noqa: N815  (the browser's own spelling)
    application_server_key: str | None = Field(default=None, max_length=100, pattern=B64URL)


class SubscriptionOut(BaseModel):
    id: str
    origin: str
    push_service: str = Field(description="Who runs the push service every notification to "
                              "this device passes through (outside this server)")
    vapid_kid: str
    resubscribe: bool = Field(description="The key was retired: subscribe again")
    current_key: str
    created_at: datetime
    updated_at: datetime
    last_delivered_at: datetime | None


class TopicChoice(BaseModel):
    name: str
    title: str
    description: str
    opted_out: bool


class TopicChoices(BaseModel):
    topics: list[TopicChoice]


class QuietHoursIn(Model):
    starts: str = Field(pattern=r"^\d\d:\d\d$", description="HH:MM, local time")
    ends: str = Field(pattern=r"^\d\d:\d\d$")
    timezone: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+/-]+$",
                          description="IANA, e.g. Europe/Berlin")


class QuietHoursOut(BaseModel):
    quiet_hours: QuietHoursIn | None


class ReceiptIn(Model):
    receipt: str = Field(min_length=3, max_length=64, pattern=r"^[0-9]+\.[A-Za-z0-9_-]+$")


def _known_name(name: str) -> None:
    """A name no topic can have is simply not found (and never reaches the database)."""
    if not re.match(TOPIC_NAME, name):
        raise NotFound("There is no topic \"{name}\".", params={"name": name})


def readable(topic: topics.Topic) -> topics.Topic:
    """*topic* as its reader sees it: the gateway's own topic in their language (an admin's
    words as written)."""
    if not announcements.in_own_words(topic):
        return topic
    return dataclasses.replace(topic, title=words(topic.title),
                               description=words(topic.description))


def _out(subscription: subscriptions.Subscription) -> SubscriptionOut:
    with services().store.read() as connection:
        current = vapid.current_key(connection).public_key
    return SubscriptionOut(
        id=subscription.id, origin=subscription.origin,
        push_service=service_of(urlsplit(subscription.origin).hostname or "", language()),
        vapid_kid=subscription.vapid_kid,
        resubscribe=subscription.resubscribe, current_key=current,
        created_at=subscription.created_at, updated_at=subscription.updated_at,
        last_delivered_at=subscription.last_delivered_at)


@bp.get("/api/v1/push/vapid-key")
@operation(summary="The VAPID public key to subscribe with", tag="push", response=VapidKeyOut,
           errors=(503,))
def vapid_key():
    with services().store.read() as connection:
        key = vapid.current_key(connection)
    return VapidKeyOut(public_key=key.public_key, kid=key.kid)


@bp.get("/api/v1/push/subscription")
@operation(summary="This device's push subscription", tag="push", auth="device",
           response=SubscriptionOut, errors=(404,))
def get_subscription():
    found = subscriptions.for_device(services().store, current_device().device_id)
    if found is None:
        raise NotFound("This device has no push subscription. Turn on notifications on it first.")
    return _out(found)


@bp.put("/api/v1/push/subscription")
@operation(summary="Register this device's push subscription (needs push consent)",
           tag="push", auth="device", body=SubscriptionIn, response=SubscriptionOut,
           errors=(400, 403, 409, 503))
def put_subscription(body: SubscriptionIn):
    svc, push, device = services(), runtime(), current_device()
    found = subscriptions.subscribe(
        svc.store, svc.clock, svc.catalogue, push.options, user_id=device.user_id,
        device_id=device.device_id, family_id=device.family_id, endpoint=body.endpoint,
        p256dh=body.keys.p256dh, auth=body.keys.auth,
        application_server_key=body.application_server_key, resolve=push.resolve)
    return _out(found)


@bp.delete("/api/v1/push/subscription")
@operation(summary="Remove this device's push subscription", tag="push", auth="device",
           status=204)
def delete_subscription():
    svc, device = services(), current_device()
    subscriptions.unsubscribe(svc.store, svc.clock, user_id=device.user_id,
                              device_id=device.device_id)
    return "", 204


@bp.get("/api/v1/push/topics")
@operation(summary="The topics, and which of them this user opted out of", tag="push",
           auth="device", response=TopicChoices)
def list_topics():
    svc = services()
    with svc.store.read() as connection:
        out = topics.opted_out(connection, current_device().user_id)
    return TopicChoices(topics=[
        TopicChoice(name=t.name, title=t.title, description=t.description,
                    opted_out=t.name in out) for t in map(readable, topics.list_all(svc.store))])


@bp.put("/api/v1/push/topics/<name>/opt-out")
@operation(summary="Opt out of a topic", tag="push", auth="device", status=204, errors=(404,))
def opt_out(name: str):
    _known_name(name)
    svc = services()
    topics.set_opt_out(svc.store, svc.clock, user_id=current_device().user_id, topic=name,
                       out=True)
    return "", 204


@bp.delete("/api/v1/push/topics/<name>/opt-out")
@operation(summary="Opt back in to a topic", tag="push", auth="device", status=204,
           errors=(404,))
def opt_in(name: str):
    _known_name(name)
    svc = services()
    topics.set_opt_out(svc.store, svc.clock, user_id=current_device().user_id, topic=name,
                       out=False)
    return "", 204


@bp.get("/api/v1/push/quiet-hours")
@operation(summary="The user's quiet hours", tag="push", auth="device", response=QuietHoursOut)
def get_quiet_hours():
    with services().store.read() as connection:
        hours = preferences.get(connection, current_device().user_id)
    return QuietHoursOut(quiet_hours=QuietHoursIn(**hours.__dict__) if hours else None)


@bp.put("/api/v1/push/quiet-hours")
@operation(summary="Set quiet hours (only urgent notifications come through)", tag="push",
           auth="device", body=QuietHoursIn, response=QuietHoursOut, errors=(400,))
def put_quiet_hours(body: QuietHoursIn):
    svc = services()
    hours = preferences.check(body.starts, body.ends, body.timezone)
    preferences.set_quiet_hours(svc.store, svc.clock, current_device().user_id, hours)
    return QuietHoursOut(quiet_hours=body)


@bp.delete("/api/v1/push/quiet-hours")
@operation(summary="Clear the quiet hours", tag="push", auth="device", status=204)
def delete_quiet_hours():
    svc = services()
    preferences.set_quiet_hours(svc.store, svc.clock, current_device().user_id, None)
    return "", 204


@bp.post("/api/v1/push/receipts")
@limiter.limit("600 per minute", key_func=by_address)
@operation(summary="The service worker reports a notification it showed", tag="push",
           body=ReceiptIn, status=204, errors=(401, 429))
def receipt(body: ReceiptIn):
    svc = services()
    receipts.record_display(svc.store, svc.clock, runtime().receipts, body.receipt)
    return "", 204


@bp.get("/app/push-sw.js")
@operation(summary="The companion's service worker (shows pushes, reports receipts)",
           tag="pages", produces="text/javascript")
def service_worker():
    response = send_from_directory(current_app.static_folder, "js/push-sw.js", max_age=0,
                                   mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/app/notifications")
@operation(summary="The companion's notification settings page", tag="pages",
           produces="text/html")
def notifications_page():
    return page("app-notifications.html")
