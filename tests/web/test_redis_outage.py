"""A gateway configured for Redis keeps answering while Redis is unreachable: events are
hints (a move still commits and answers; waiters re-read the store) and rate limits fall
back to each instance's memory. Without GATEWAY_REDIS_URL nothing of Redis is used."""

from __future__ import annotations

import pytest

from gateway import create_app
from gateway.core.events import InProcessBus
from gateway.core.redis_events import RedisBus
from tests.qrlogin_support import DESKTOP_UA, proof
from tests.support import Actions

UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def app_without_redis(settings, clock):
    app = create_app(settings.replace(redis_url=UNREACHABLE), clock=clock)
    yield app
    app.extensions["gateway"].events.close()
    app.extensions["gateway"].store.dispose()


def test_without_a_redis_url_events_and_limits_stay_in_the_process(app):
    assert isinstance(app.extensions["gateway"].events, InProcessBus)
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_a_qr_login_completes_while_redis_is_unreachable(app_without_redis):
    app = app_without_redis
    assert isinstance(app.extensions["gateway"].events, RedisBus)
    desktop, phone_client = app.test_client(), app.test_client()
    actions = Actions(app, phone_client)
    actions.create_user("alice")
    phone = actions.device_sign_in()  # a rate-limited call: the memory fallback answers
    started = desktop.post("/api/v1/qr-logins", json={}, headers={"User-Agent": DESKTOP_UA})
    assert started.status_code == 201, started.get_json()
    login = started.get_json()

    scanned = phone_client.post("/api/v1/qr-logins/scan", headers=phone.headers,
                                json={"token": login["qr"].rsplit("/", 1)[1]})
    assert scanned.status_code == 200, scanned.get_json()  # committed; the event is dropped
    number = desktop.get(f"/api/v1/qr-logins/{login['id']}").get_json()["number"]
    confirmed = phone_client.post(
        f"/api/v1/qr-logins/{login['id']}/confirm", headers=phone.headers,
        json={"number": number, "proof": proof(phone, login["id"], number,
                                                app.extensions["gateway"].clock)})
    assert confirmed.status_code == 200, confirmed.get_json()
    waited = desktop.get(f"/api/v1/qr-logins/{login['id']}/wait?known=scanned&seconds=1")
    assert waited.get_json()["state"] == "confirmed"
