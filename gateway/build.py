"""The composition root: ``build_gateway(settings, clock)`` makes every service the gateway
runs on, and ``reactions()`` declares, in one list, everything a domain does when
something happens in another.

Flask-free. ``create_app``, the CLI commands, the push worker and gunicorn's hooks all
start from here, so a domain imported alone is complete (nothing registers itself at
import) and a test can build the whole gateway without the web layer.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry

from gateway.consent.purposes import Catalogue, WithdrawalHook
from gateway.consent.receipts import Controller, ReceiptIssuer
from gateway.core.clock import Clock, SystemClock
from gateway.core.events import EventBus, InProcessBus
from gateway.core.keys import Keyring, ensure_folder, load_secret
from gateway.core.personal_data import Category, DataMap, Eraser, Exporter
from gateway.core.settings import Settings
from gateway.core.store import Store, sqlite_url
from gateway.core.tokens import Signer
from gateway.enrollment.service import Enrollment
from gateway.identity.device_tokens import Lifetimes, SignOutHook
from gateway.identity.devices import RevocationHook
from gateway.identity.passwords import Passwords
from gateway.identity.service import Identity
from gateway.identity.session_ends import SessionsEndedHook
from gateway.oidc.logout import Logout
from gateway.oidc.service import Oidc
from gateway.privacy import datamap, device_reports, exports, partner_terms, whereabouts
from gateway.privacy.access_log import AccessLog
from gateway.push import inbox as push_inbox
from gateway.push import inbox_data, stream_ends
from gateway.push import personal_data as push_data
from gateway.push import reactions as push
from gateway.push.live_receipts import LiveReceipts
from gateway.push.metrics import PushCollector
from gateway.push.runtime import PushRuntime
from gateway.qrlogin import logins, state_cache
from gateway.qrlogin.far_away import Locator
from gateway.qrlogin.service import QrLogin
from gateway.qrlogin.state_cache import StateCache
from gateway.reports import preview_control
from gateway.reports.service import Reports

CHECKOUT = Path(__file__).resolve().parents[1]  # instance/ lives here unless set


@dataclass(frozen=True)
class Reactions:
    """What one domain does when something happens in another, each run inside the
    transaction of the change it reacts to (so both happen, or neither)."""

    withdrawn: Mapping[str, tuple[WithdrawalHook, ...]]  # purpose -> on withdrawal/refusal
    device_revoked: tuple[RevocationHook, ...]
    signed_out: tuple[SignOutHook, ...]
    sessions_ended: tuple[SessionsEndedHook, ...]  # browser sessions ended for the user
    data_map: DataMap  # every table holding personal data; the three below follow it
    retention: tuple[Category, ...]  # every data category the purge applies
    exports: Mapping[str, Exporter]  # section of the user's export -> what fills it
    erasures: Mapping[str, Eraser]  # part of an account's deletion -> what it removes
    locate_phone: Locator  # where a phone is, for scan to log in's far-away warning


def personal_data() -> DataMap:
    """The personal-data map: every domain's holdings, in the order of an account's
    deletion (push's first, for they refer to devices; the account's own row last)."""
    return DataMap(inbox_data.HOLDINGS + push_data.HOLDINGS + datamap.HOLDINGS,
                   datamap.devices_of)


def reactions(events: EventBus, oidc_logout: Logout) -> Reactions:
    """Every cross-domain reaction of the gateway, in one list (*events*: the bus the
    reactions that end live streams publish on; *oidc_logout*: the OpenID Provider's
    back-channel logout)."""
    data_map = personal_data()
    device_streams_end, family_streams_end = stream_ends.enders(events)
    return Reactions(
        withdrawn={
            # Push consent withdrawn or refused: no subscription, nothing more sent.
            "push": (push.on_push_withdrawn,),
            # Location consent withdrawn or refused: the fixes stored go at once.
            "location": (device_reports.on_location_withdrawn,),
        },
        device_revoked=(
            push.on_device_revoked,  # its subscription and queue go
            preview_control.end_device_grants,  # its open report previews end
            device_streams_end,  # its open inbox streams end at once
        ),
        signed_out=(
            push.on_signed_out,  # the subscription made under that sign-in goes
            family_streams_end,  # and the device's open inbox streams end
        ),
        sessions_ended=(
            # The applications' tokens of those browser sessions are revoked with them;
            # their back-channel logout is sent once that has committed.
            oidc_logout.sessions_ended,
        ),
        data_map=data_map,
        retention=data_map.categories(),
        exports={**data_map.exports(), **exports.VIEWS},
        erasures=data_map.erasures(),
        # A phone's newest fix, read only with its location consent: the far-away warning.
        locate_phone=whereabouts.recent_fix,
    )


@dataclass
class Gateway:
    """Everything the running gateway is made of, built once by ``build_gateway``."""

    settings: Settings
    store: Store
    clock: Clock
    instance: Path
    keys_dir: Path
    keyring: Keyring
    signer: Signer
    passwords: Passwords
    lifetimes: Lifetimes
    catalogue: Catalogue
    reactions: Reactions
    receipts: ReceiptIssuer  # signs consent receipts
    push: PushRuntime
    inbox: push_inbox.Inbox  # the companion's in-app inbox (no push consent needed)
    live_receipts: LiveReceipts  # which devices the companion's live stream reached
    access_log: AccessLog
    # Who waits on what (QR logins): in this process unless a shared bus is given.
    events: EventBus
    states: StateCache  # QR logins' current states, for the browsers polling them
    metrics: CollectorRegistry  # read from the store when /metrics is scraped
    identity: Identity  # accounts, devices, sign-ins, browser sessions, integration keys
    qrlogin: QrLogin  # scan to log in
    enrollment: Enrollment  # scan to connect a phone
    reports: Reports  # scan to preview
    oidc: Oidc  # the OpenID Provider: relying parties, codes, tokens, claims


def _redis_bus(url: str):
    # Imported only when Redis is configured: its client is about 8 MB of the embedded
    # default's memory that it would never use.
    from gateway.core.redis_events import RedisBus

    return RedisBus(url)


def build_gateway(settings: Settings | None = None, clock: Clock | None = None) -> Gateway:
    """Build the gateway from *settings* (``GATEWAY_*`` when none are given) and *clock*
    (the system's by default). Connects to nothing; makes the instance and keys folders
    and the keys in it when missing. Raises ``SettingsError`` on a bad setting."""
    settings = settings or Settings.from_environ()
    clock = clock or SystemClock()
    instance = Path(settings.instance_path or CHECKOUT / "instance").resolve()
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    keys_dir = ensure_folder(Path(settings.keys_dir or instance / "keys"))
    keyring = Keyring.load(keys_dir)
    store = Store.from_url(settings.database_url or sqlite_url(instance / "gateway.sqlite3"))
    events = _redis_bus(settings.redis_url) if settings.redis_url else InProcessBus()
    signer = Signer(keyring, settings.public_url, clock)
    lifetimes = Lifetimes(access=timedelta(seconds=settings.access_token_seconds),
                          refresh=timedelta(days=settings.refresh_token_days))
    oidc = Oidc.build(store, clock, signer, refresh_lifetime=lifetimes.refresh,
                      https_only=settings.https)
    declared = reactions(events, oidc.logout)
    # A waiting browser polls its login often: its state is served from memory until a
    # move published on the bus drops it. Every move passes the in-process bus; through
    # Redis one may be lost, so entries are trusted for a second only (state_cache.py).
    states = StateCache(clock, state_cache.SHARED if settings.redis_url
                        else state_cache.ONE_PROCESS)
    events.tap(logins.CHANNEL_PREFIX, states.listener(logins.CHANNEL_PREFIX))
    metrics = CollectorRegistry(auto_describe=True)
    metrics.register(PushCollector(store))
    # A partner purpose covers the partner's current terms (recipient, purpose, fields).
    catalogue = Catalogue.for_partners(
        settings.partners, withdrawn=declared.withdrawn, terms=partner_terms.notice_terms,
        kept_days={"location": settings.retain_location_days,
                   "push": settings.retain_push_delivery_days})
    qr_key = qr_token_key(keys_dir)
    passwords = Passwords(settings.password_hash)
    push_runtime = PushRuntime.build(settings, keys_dir, store, clock)
    # Every notification's recipients also get it in their in-app inbox, announced to
    # their open companions on the bus once the expansion commits.
    push_runtime.on_recipients = push_inbox.keeper(events)
    return Gateway(
        settings=settings,
        store=store,
        clock=clock,
        instance=instance,
        keys_dir=keys_dir,
        keyring=keyring,
        signer=signer,
        passwords=passwords,
        lifetimes=lifetimes,
        catalogue=catalogue,
        reactions=declared,
        receipts=ReceiptIssuer(
            keyring, settings.public_url, clock, load_secret(keys_dir, "consent-pseudonym"),
            Controller(settings.controller_name or settings.public_url,
                       settings.controller_contact, settings.jurisdiction,
                       f"{settings.public_url}/policies")),
        push=push_runtime,
        inbox=push_inbox.Inbox(store, clock, events),
        live_receipts=LiveReceipts(store, clock),
        access_log=AccessLog(instance / "logs", clock),
        events=events,
        states=states,
        metrics=metrics,
        identity=Identity.build(store, clock, signer, passwords, lifetimes,
                                device_revoked=declared.device_revoked,
                                signed_out=declared.signed_out,
                                sessions_ended=declared.sessions_ended),
        qrlogin=QrLogin.build(store, clock, events, signer, catalogue, qr_key, states,
                              locate=declared.locate_phone),
        enrollment=Enrollment.build(store, clock, events, signer, catalogue, lifetimes, qr_key),
        reports=Reports.build(store, clock, signer, catalogue, settings.public_url),
        oidc=oidc,
    )


def qr_token_key(keys_dir: Path) -> bytes:
    """The key QR tokens are derived under: the web secret, narrowed to this one use."""
    return hmac.new(load_secret(keys_dir, "flask"), b"qr-tokens", hashlib.sha256).digest()
