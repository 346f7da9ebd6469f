"""The composition root: built alone, without the web layer, the gateway has every
cross-domain reaction, and each of them does its work through the domains' own calls."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway import consent
from gateway.build import build_gateway
from gateway.identity import devices
from gateway.identity.devices import DeviceDescription
from gateway.privacy import retention, rights
from gateway.push import subscriptions as push_subscriptions
from gateway.push import vapid
from gateway.push.tables import subscriptions
from tests.push_support import push_settings
from tests.pushservice import PushService
from tests.support import both

ROOT = Path(__file__).resolve().parents[1]

# Every reaction, by the name of the function that carries it out.
EXPECTED = {
    "withdrawn": {"push": ["gateway.push.reactions.on_push_withdrawn"],
                  "location": ["gateway.privacy.device_reports.on_location_withdrawn"]},
    "device_revoked": ["gateway.push.reactions.on_device_revoked",
                       "gateway.reports.preview_control.end_device_grants",
                       "gateway.push.stream_ends.enders.<locals>.on_device_revoked"],
    "signed_out": ["gateway.push.reactions.on_signed_out",
                   "gateway.push.stream_ends.enders.<locals>.on_signed_out"],
    # Browser sessions ended by an administrator or a password change: the applications'
    # tokens from them are revoked, their back-channel logout sent after the commit.
    "sessions_ended": ["gateway.oidc.logout.Logout.sessions_ended"],
    # Where a phone is for scan to log in's far-away warning: its fix, with location consent.
    "locate_phone": "gateway.privacy.whereabouts.recent_fix",
    "retention": ["consent_evidence", "ended_flows", "full_ip_address", "notices",
                  "operation_log", "precise_location", "previews", "push_deliveries",
                  "push_inbox", "revoked_devices", "sessions"],
    "exports": ["account", "activity", "application_sign_ins", "application_tokens",
                "applications_registered", "browser_sessions", "consents", "device_proofs",
                "device_sign_ins", "devices", "disclosures", "enrollments", "inbox",
                "integration_keys_made", "locations", "notices_served", "policies_published",
                "policy_acknowledgements", "preview_grants", "preview_links", "previews", "push",
                "qr_logins", "reports_owned", "reports_shared_with_me", "sign_ins"],
    # In the order of deletion: what refers to devices first, the account's own row last.
    "erasures": ["push_inbox_messages", "push_deliveries", "push_subscriptions", "push_notifications",
                 "push_quiet_hours", "push_topic_opt_outs", "push_config", "push_alerts",
                 "notices_served", "policy_acknowledgements", "policy_versions", "disclosures",
                 "device_locations", "qr_logins", "enrollments", "preview_grants",
                 "preview_links", "report_viewer_users", "reports", "integration_keys",
                 "oidc_codes", "oidc_tokens", "oidc_clients", "web_sessions",
                 "used_device_proofs", "token_families", "memberships",
                 "devices", "users"],
}

_DESCRIBE = """
import json, sys
from gateway.build import build_gateway
from gateway.core.settings import Settings

gateway = build_gateway(Settings(instance_path=sys.argv[1]))
name = lambda f: f"{f.__module__}.{f.__qualname__}"
r = gateway.reactions
print(json.dumps({
    "loaded": sorted(m for m in sys.modules
                     if m.split(".")[0] in ("flask", "werkzeug")
                     or m.startswith(("gateway.web", "gateway.cli"))),
    "withdrawn": {p: [name(f) for f in fs] for p, fs in r.withdrawn.items()},
    "carried": {p: [name(f) for f in gateway.catalogue.withdrawn(p)] for p in r.withdrawn},
    "device_revoked": [name(f) for f in r.device_revoked],
    "signed_out": [name(f) for f in r.signed_out],
    "sessions_ended": [name(f) for f in r.sessions_ended],
    "locate_phone": name(r.locate_phone),
    "located_by": name(gateway.qrlogin.phone.locate),
    "retention": sorted(c.name for c in r.retention),
    "exports": sorted(r.exports),
    "erasures": list(r.erasures),
}))
"""


def test_built_without_the_web_layer_the_gateway_has_every_reaction(tmp_path):
    # A fresh interpreter: nothing imported before (the test process has Flask loaded).
    run = subprocess.run([sys.executable, "-c", _DESCRIBE, str(tmp_path / "instance")],
                         cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    described = json.loads(run.stdout)
    assert described.pop("loaded") == []
    assert described.pop("carried") == EXPECTED["withdrawn"]  # the catalogue applies them
    assert described.pop("located_by") == EXPECTED["locate_phone"]  # scan to log in uses it
    assert described == EXPECTED


@pytest.fixture
def gateway(settings, clock):
    built = build_gateway(push_settings(settings), clock)
    yield built
    built.store.dispose()


def _phone_with_a_subscription(gateway, service: PushService, username: str):
    """A user whose phone has push consent and a subscription, made with domain calls."""
    svc = gateway
    user = svc.identity.accounts.create_user(username=username,
                                             password="correct horse battery")
    with svc.store.read() as connection:
        policy = consent.current_policy(connection, svc.clock)
    policy = policy or consent.publish_policy(
        svc.store, svc.clock, svc.catalogue, version="1.0",
        texts=both("First version", "The agreement."), changes=list(svc.catalogue.names()))
    with svc.store.write() as connection:
        device = devices.register(connection, svc.clock, user.id, DeviceDescription(
            f"{username}-phone", "Pixel 9", "Android", "16", "3.2.0"), None)
        consent.record(connection, svc.clock, svc.catalogue, user_id=user.id,
                       device_id=device.id, purpose="push", decision="granted",
                       policy_version=policy.version,
                       notice_hash=consent.notice(svc.catalogue.get("push"), policy).hash)
    svc.push.ensure_vapid_key()
    sub = service.subscribe(_vapid_public_key(svc))
    push_subscriptions.subscribe(svc.store, svc.clock, svc.catalogue, svc.push.options,
                                 user_id=user.id, device_id=device.id, family_id=None,
                                 endpoint=sub.endpoint, p256dh=sub.p256dh, auth=sub.auth)
    return user, device, policy


def _vapid_public_key(gateway) -> str:
    with gateway.store.read() as connection:
        return vapid.current_key(connection).public_key


def _subscribed(gateway, device_id: str) -> bool:
    with gateway.store.read() as connection:
        return connection.execute(select(subscriptions.c.id).where(
            subscriptions.c.device_id == device_id)).first() is not None


def test_the_reactions_do_their_work_through_the_domains_alone(gateway):
    with PushService() as service:
        alice, phone, policy = _phone_with_a_subscription(gateway, service, "alice")
        bob, other, _ = _phone_with_a_subscription(gateway, service, "bob")
    assert _subscribed(gateway, phone.id) and _subscribed(gateway, other.id)

    # Push consent withdrawn: the subscription goes in the same transaction.
    with gateway.store.write() as connection:
        consent.record(connection, gateway.clock, gateway.catalogue, user_id=alice.id,
                       device_id=phone.id, purpose="push", decision="withdrawn",
                       policy_version=policy.version,
                       notice_hash=consent.notice(gateway.catalogue.get("push"), policy).hash)
    assert not _subscribed(gateway, phone.id)

    # A revoked device's subscription goes too.
    gateway.identity.devices.revoke(bob.id, other.id)
    assert not _subscribed(gateway, other.id)

    # Push data is in the export, its deliveries in the purge, and erased with the account.
    assert "push" in rights.export(gateway.store, gateway.clock, bob.id,
                                   gateway.reactions.exports)
    assert "push_deliveries" in retention.purge(gateway.store, gateway.clock, gateway.settings,
                                                gateway.reactions.retention, dry_run=True)
    parts = rights.delete_account(gateway.store, gateway.clock, bob.id,
                                  gateway.reactions.erasures)
    assert "push_deliveries.removed" in parts and parts["account"] == 1


def test_no_domain_module_imports_the_web_framework():
    # The web layer (web/, cli/) and the process edge (serving, gunicorn) may; nothing else.
    edge = {"web", "cli"}
    edge_modules = {"serving.py", "gunicorn_conf.py", "__init__.py"}
    offenders = []
    for path in sorted((ROOT / "gateway").rglob("*.py")):
        parts = path.relative_to(ROOT / "gateway").parts
        if parts[0] in edge or (len(parts) == 1 and parts[0] in edge_modules):
            continue
        for line in path.read_text().splitlines():
            words = line.split()
            if words[:1] in (["import"], ["from"]) and len(words) > 1 \
                    and words[1].split(".")[0] in ("flask", "werkzeug", "flask_limiter"):
                offenders.append(f"{path.relative_to(ROOT)}: {line.strip()}")
    assert offenders == []
