"""The rules push checks before anything is stored or sent: the VAPID subject, the push
service allowlist and the SSRF address rule, subscription keys, quiet hours, and how each
push service answer is classified (with Retry-After and backoff)."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.core.settings import Settings, SettingsError
from gateway.push import outcomes
from gateway.push.allowlist import DEFAULT_HOSTS, allowed, check_host_pattern
from gateway.push.endpoints import check_endpoint, check_keys
from gateway.push.errors import EndpointRefused, SubscriptionKeysInvalid
from gateway.push.preferences import QuietHours
from gateway.push.subject import check_subject

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("subject", [
    "mailto:ops@gateway.example.com", "https://gateway.example.com/contact",
    "mailto:push-admin+alerts@example.co.uk",
])
def test_a_real_https_url_or_mailto_address_is_a_subject(subject):
    assert check_subject(subject) == subject


@pytest.mark.parametrize("subject", [
    "mailto:admin@localhost", "https://localhost", "https://localhost/contact",
    "mailto: ops@example.com", "mailto:<ops@example.com>", "https://127.0.0.1",
    "http://gateway.example.com", "ops@example.com", "mailto:ops@example.com?subject=x",
    "mailto:a@example.com,b@example.com", "https://app.localhost", "", "mailto:not-an-address",
    "https://gateway", "https://user:pw@gateway.example.com",
])
def test_subjects_apple_would_refuse_are_refused(subject):
    with pytest.raises(ValueError):
        check_subject(subject)


def test_a_bad_subject_setting_stops_the_gateway_naming_it():
    with pytest.raises(SettingsError, match="GATEWAY_PUSH_SUBJECT"):
        Settings.from_environ({"GATEWAY_PUSH_SUBJECT": "mailto:root@localhost"})
    with pytest.raises(SettingsError, match="GATEWAY_PUSH_HOSTS"):
        Settings.from_environ({"GATEWAY_PUSH_HOSTS": "https://push.example.com/x"})


def test_the_allowlist_matches_hosts_and_wildcard_subdomains_only():
    assert allowed("fcm.googleapis.com", DEFAULT_HOSTS)
    assert allowed("web.push.apple.com", DEFAULT_HOSTS)
    assert allowed("updates.push.services.mozilla.com", DEFAULT_HOSTS)
    assert allowed("wns2-by3p.notify.windows.com", DEFAULT_HOSTS)
    assert not allowed("push.apple.com", DEFAULT_HOSTS)
    assert not allowed("evilpush.apple.com", DEFAULT_HOSTS)
    assert not allowed("web.push.apple.com.evil.example", DEFAULT_HOSTS)
    assert not allowed("fcm.googleapis.com.evil.example", DEFAULT_HOSTS)
    assert check_host_pattern("*.Push.Example.com") == "*.push.example.com"
    for bad in ("https://x.example", "x.example/path", "*", "*.com.", "x.example:443"):
        with pytest.raises(ValueError):
            check_host_pattern(bad)


def resolver(*addresses):
    return lambda host, port: list(addresses)


FCM = "https://fcm.googleapis.com/fcm/send/abc123"


def test_an_allowlisted_https_endpoint_on_public_addresses_is_accepted():
    endpoint = check_endpoint(FCM, DEFAULT_HOSTS, allow_insecure_local=False,
                              resolve=resolver("142.250.185.10", "2a00:1450:4001:82b::200a"))
    assert endpoint.origin == "https://fcm.googleapis.com"


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.0.0.8", "192.168.1.20", "172.16.5.4", "169.254.169.254", "100.64.0.1",
    "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "0.0.0.0", "224.0.0.1",
])
def test_an_allowlisted_host_resolving_to_a_private_address_is_refused(address):
    with pytest.raises(EndpointRefused, match="private"):
        check_endpoint(FCM, DEFAULT_HOSTS, allow_insecure_local=False,
                       resolve=resolver("142.250.185.10", address))


@pytest.mark.parametrize("url, reason", [
    ("http://fcm.googleapis.com/fcm/send/abc", "https"),
    ("https://push.evil.example/abc", "the gateway allows"),
    ("https://127.0.0.1/push/abc", "the gateway allows"),
    ("https://[::1]/push/abc", "the gateway allows"),
    ("https://user:pw@fcm.googleapis.com/fcm/send/abc", "https"),
    ("ftp://fcm.googleapis.com/x", "https"),
    ("not a url", "https"),
])
def test_endpoints_off_the_rules_are_refused(url, reason):
    with pytest.raises(EndpointRefused, match=reason):
        check_endpoint(url, DEFAULT_HOSTS, allow_insecure_local=False,
                       resolve=resolver("142.250.185.10"))


def test_a_host_that_does_not_resolve_is_refused():
    def fails(host, port):
        raise OSError("no such host")
    with pytest.raises(EndpointRefused, match="cannot be found in DNS"):
        check_endpoint(FCM, DEFAULT_HOSTS, allow_insecure_local=False, resolve=fails)


def test_the_test_only_setting_allows_local_endpoints_and_nothing_else():
    local = check_endpoint("http://127.0.0.1:8123/push/x", DEFAULT_HOSTS,
                           allow_insecure_local=True)
    assert local.origin == "http://127.0.0.1:8123"
    with pytest.raises(EndpointRefused):
        check_endpoint("https://push.evil.example/x", DEFAULT_HOSTS, allow_insecure_local=True,
                       resolve=resolver("93.184.216.34"))
    with pytest.raises(EndpointRefused, match="https"):
        check_endpoint("http://fcm.googleapis.com/x", DEFAULT_HOSTS, allow_insecure_local=True,
                       resolve=resolver("142.250.185.10"))


def _point() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def b64(raw: bytes, pad: bool = False) -> str:
    text = base64.urlsafe_b64encode(raw).decode()
    return text if pad else text.rstrip("=")


def test_subscription_keys_are_a_p256_point_on_the_curve_and_16_bytes():
    point, auth = _point(), b"\x01" * 16
    assert check_keys(b64(point, pad=True), b64(auth, pad=True)) == (b64(point), b64(auth))
    off_curve = b"\x04" + b"\x01" * 64
    for p256dh, secret, field in [
        (b64(off_curve), b64(auth), "keys.p256dh"),
        (b64(point[:33]), b64(auth), "keys.p256dh"),  # compressed form is not accepted
        (b64(b"\x05" + point[1:]), b64(auth), "keys.p256dh"),
        (b64(point), b64(auth[:8]), "keys.auth"),
        (b64(point), "!!!not-base64!!!", "keys.auth"),
    ]:
        with pytest.raises(SubscriptionKeysInvalid) as caught:
            check_keys(p256dh, secret)
        assert caught.value.extensions["field"] == field


def test_quiet_hours_over_midnight_end_the_next_morning_in_the_users_zone():
    night = QuietHours("22:00", "07:00", "Europe/Berlin")
    late = datetime(2026, 11, 28, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
    assert night.until(late) == datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
    early = datetime(2026, 11, 28, 5, 0, tzinfo=UTC)  # 06:00 in Berlin
    assert night.until(early) == datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
    assert night.until(NOW) is None
    lunch = QuietHours("12:00", "13:00", "Asia/Shanghai")
    assert lunch.until(datetime(2026, 11, 28, 4, 30, tzinfo=UTC)) == datetime(
        2026, 11, 28, 5, 0, tzinfo=UTC)


EXPIRES = NOW + timedelta(days=1)


@pytest.mark.parametrize("status, kind", [
    (200, "delivered"), (201, "delivered"), (202, "delivered"), (404, "prune"), (410, "prune"),
    (413, "too_large"), (429, "retry"), (500, "retry"), (502, "retry"), (503, "retry"),
    (400, "failed"), (401, "failed"), (403, "failed"),
])
def test_each_answer_is_classified(status, kind):
    outcome = outcomes.classify(status, None, now=NOW, attempt=1, expires_at=EXPIRES,
                                rng=random.Random(1))
    assert outcome.kind == kind and outcome.status == status
    assert (outcome.alert == "our-fault") == (kind == "failed")


def test_retry_after_in_seconds_or_as_an_http_date_is_honoured():
    rng = random.Random(3)
    seconds = outcomes.classify(429, "300", now=NOW, attempt=1, expires_at=EXPIRES, rng=rng)
    assert NOW + timedelta(seconds=300) <= seconds.retry_at <= NOW + timedelta(seconds=330)
    dated = outcomes.classify(503, "Sat, 28 Nov 2026 12:20:00 GMT", now=NOW, attempt=1,
                              expires_at=EXPIRES, rng=rng)
    assert NOW + timedelta(minutes=20) <= dated.retry_at <= NOW + timedelta(minutes=22)
    assert outcomes.parse_retry_after("soon", NOW) is None
    assert outcomes.parse_retry_after("9999999", NOW) == NOW + timedelta(days=1)


def test_backoff_doubles_with_jitter_up_to_an_hour():
    rng = random.Random(11)
    for attempt, ceiling in [(1, 5), (2, 10), (3, 20), (6, 160), (20, 3600)]:
        wait = outcomes.backoff(attempt, rng).total_seconds()
        assert ceiling / 2 <= wait <= ceiling


def test_a_retry_that_could_only_come_after_the_ttl_is_expired_at_once():
    outcome = outcomes.classify(429, "600", now=NOW, attempt=1,
                                expires_at=NOW + timedelta(seconds=60), rng=random.Random(1))
    assert outcome.kind == "expired" and outcome.status == 429
