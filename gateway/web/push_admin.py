"""The push part of the admin console: settings and VAPID keys, topics, alerts, sending
(with progress), the history with per-notification breakdown, deliveries over time, and
"send a test to my devices". Web session with the admin role for all of it."""

from __future__ import annotations

import re

from flask import Blueprint

from gateway.core.errors import InvalidRequest, NotFound
from gateway.core.languages import N_
from gateway.identity import accounts
from gateway.push import alerts, history, notifications, subscriptions, topics, vapid
from gateway.push import config as push_config
from gateway.push.notifications import Audience, Draft
from gateway.web.api import operation
from gateway.web.auth import current_web_session
from gateway.web.context import services
from gateway.web.pages import signed_in_page
from gateway.web.problems import words
from gateway.web.push import readable
from gateway.web.push_admin_schemas import (
    AlertList,
    AlertOut,
    DeliveryOut,
    HistoryQuery,
    KeyOut,
    NotificationDetail,
    NotificationList,
    SettingsIn,
    SettingsOut,
    StatsOut,
    StatsPoint,
    StatsQuery,
    TestIn,
    TopicIn,
    TopicList,
    TopicOut,
)
from gateway.web.push_send import (
    NOTIFICATION_ID,
    TOPIC_NAME,
    NotificationOut,
    SendIn,
    accepted,
    draft_of,
)

bp = Blueprint("push_admin", __name__)
API = "/api/v1/admin/push"
KID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _settings_out() -> SettingsOut:
    svc = services()
    push = svc.push
    with svc.store.read() as connection:
        current = push_config.current(connection, push.options)
        counts = subscriptions.count_by_key(connection)
        keys = [KeyOut(**key.__dict__, subscriptions=counts.get(key.kid, 0))
                for key in vapid.list_keys(connection)]
    return SettingsOut(subject=current.subject, subject_source=current.subject_source, keys=keys,
                       builtin_hosts=list(current.builtin_hosts),
                       operator_hosts=list(current.operator_hosts),
                       console_hosts=list(current.console_hosts),
                       allow_insecure_local=current.allow_insecure_local,
                       worker=svc.settings.push_worker)


@bp.get("/admin/push")
@operation(summary="The push console page", tag="pages", produces="text/html")
def console():
    return signed_in_page("admin-push.html", admin=True)


@bp.get(f"{API}/settings")
@operation(summary="Push settings and VAPID keys", tag="admin push", auth="admin",
           response=SettingsOut)
def get_settings():
    return _settings_out()


@bp.put(f"{API}/settings")
@operation(summary="Change the VAPID subject or the extra push hosts", tag="admin push",
           auth="admin", body=SettingsIn, response=SettingsOut, errors=(400,))
def put_settings(body: SettingsIn):
    svc = services()
    push_config.change(svc.store, svc.clock, svc.push.options,
                       subject=body.subject, hosts=body.hosts,
                       actor=current_web_session().user_id)
    return _settings_out()


@bp.post(f"{API}/keys/rotate")
@operation(summary="Rotate the VAPID key (old subscriptions keep working)", tag="admin push",
           auth="admin", response=SettingsOut, status=201)
def rotate_key():
    svc = services()
    vapid.rotate(svc.store, svc.clock, svc.push.wrap,
                 actor=current_web_session().user_id)
    return _settings_out()


@bp.post(f"{API}/keys/<kid>/retire")
@operation(summary="Retire an old VAPID key (its devices must subscribe again)",
           tag="admin push", auth="admin", response=SettingsOut, errors=(404, 409))
def retire_key(kid: str):
    if not KID.match(kid):
        raise NotFound("There is no such VAPID key.")
    svc = services()
    vapid.retire(svc.store, svc.clock, kid, actor=current_web_session().user_id)
    return _settings_out()


@bp.get(f"{API}/topics")
@operation(summary="Every topic", tag="admin push", auth="admin", response=TopicList)
def list_topics():
    return TopicList(topics=[TopicOut(**{k: getattr(t, k) for k in TopicOut.model_fields})
                             for t in map(readable, topics.list_all(services().store))])


@bp.put(f"{API}/topics/<name>")
@operation(summary="Create or change a topic", tag="admin push", auth="admin", body=TopicIn,
           response=TopicOut, errors=(400,))
def put_topic(name: str, body: TopicIn):
    if not re.match(TOPIC_NAME, name):
        raise InvalidRequest("A topic name has 1 to 64 of a-z 0-9 _ - (starting with a letter "
                             "or digit).", field="name")
    svc = services()
    topic, _ = topics.save(svc.store, svc.clock, name=name, title=body.title,
                           description=body.description, ttl=body.ttl, urgency=body.urgency,
                           actor=current_web_session().user_id)
    return TopicOut(**{k: getattr(topic, k) for k in TopicOut.model_fields})


@bp.delete(f"{API}/topics/<name>")
@operation(summary="Delete a topic", tag="admin push", auth="admin", status=204,
           errors=(404,))
def delete_topic(name: str):
    if not re.match(TOPIC_NAME, name):
        raise NotFound("There is no topic \"{name}\".", params={"name": name})
    svc = services()
    topics.remove(svc.store, svc.clock, name, actor=current_web_session().user_id)
    return "", 204


@bp.get(f"{API}/alerts")
@operation(summary="Open push alerts", tag="admin push", auth="admin", response=AlertList)
def list_alerts():
    with services().store.read() as connection:
        found = alerts.open_alerts(connection)
    return AlertList(alerts=[AlertOut(**a.__dict__) for a in found])


@bp.post(f"{API}/alerts/<int:alert_id>/resolve")
@operation(summary="Resolve an alert (a mass-prune pause ends)", tag="admin push",
           auth="admin", response=AlertOut, errors=(404,))
def resolve_alert(alert_id: int):
    svc = services()
    return AlertOut(**alerts.resolve(svc.store, svc.clock, alert_id,
                                     actor=current_web_session().user_id).__dict__)


@bp.post(f"{API}/notifications")
@operation(summary="Send a notification", tag="admin push", auth="admin", body=SendIn,
           response=NotificationOut, status=202, errors=(400, 404, 409, 422))
def send(body: SendIn):
    return accepted(draft_of(body), sender_kind="admin", sender_id=current_web_session().user_id)


@bp.post(f"{API}/test")
@operation(summary="Send a test notification to my own devices", tag="admin push",
           auth="admin", body=TestIn, response=NotificationOut, status=202, errors=(422,))
def send_test(body: TestIn):
    session = current_web_session()
    me = accounts.get_user(services().store, session.user_id)
    title = body.title or words(N_("Test notification"))
    text = body.body if body.body is not None else words(
        N_("If you can read this, push works on this device."))
    draft = Draft(audience=Audience("users", (me.username,)), title=title, body=text,
                  url="/app/", ttl=600, urgency="high")
    return accepted(draft, sender_kind="test", sender_id=session.user_id)


@bp.get(f"{API}/notifications")
@operation(summary="The history of notifications with their progress", tag="admin push",
           auth="admin", query=HistoryQuery, response=NotificationList)
def list_notifications(query: HistoryQuery):
    with services().store.read() as connection:
        found = history.recent(connection, limit=query.limit, before=query.before)
        counts = history.progress(connection, [n.id for n in found])
    return NotificationList(notifications=[NotificationOut.of(n, counts[n.id]) for n in found])


@bp.get(f"{API}/notifications/<notification_id>")
@operation(summary="One notification: progress and per-device breakdown", tag="admin push",
           auth="admin", response=NotificationDetail, errors=(404,))
def notification_detail(notification_id: str):
    if not NOTIFICATION_ID.match(notification_id):
        raise NotFound("There is no such notification.")
    with services().store.read() as connection:
        found = notifications.get(connection, notification_id)
        counts = history.progress(connection, [notification_id])[notification_id]
        rows = history.by_device(connection, notification_id)
    out = NotificationOut.of(found, counts)
    return NotificationDetail(**out.model_dump(), deliveries=[DeliveryOut(**r) for r in rows])


@bp.get(f"{API}/stats")
@operation(summary="Deliveries over time by outcome", tag="admin push", auth="admin",
           query=StatsQuery, response=StatsOut)
def delivery_stats(query: StatsQuery):
    svc = services()
    with svc.store.read() as connection:
        points, step = history.over_time(connection, svc.clock.now(), query.hours)
    return StatsOut(step_seconds=int(step.total_seconds()),
                    points=[StatsPoint(**p) for p in points])
