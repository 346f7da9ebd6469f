"""Speaking to push services: one shared aiohttp session, explicit connect and total
timeouts, a concurrency limit per push service origin, no redirects, and the SSRF rule
enforced on every connection by the resolver.

Encryption (RFC 8291, aes128gcm) is pywebpush's ``WebPusher.encode`` (``encryption``).
The request itself is sent here rather than by ``WebPusher.send_async`` or
``webpush_async``: those follow redirects (an allowlisted host could bounce the request
elsewhere), take no per-request options, encrypt inside the request (so it cannot move
to another core), and ``webpush_async`` signs a new VAPID JWT for every message; here one
signed header per key and push service is reused (``vapid.HeaderCache``).
"""

from __future__ import annotations

import asyncio
import functools
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver

from gateway.core.clock import Clock
from gateway.push import outcomes, payload
from gateway.push.endpoints import is_local, is_public
from gateway.push.outbox import Job
from gateway.push.outcomes import Outcome, OutcomeKind
from gateway.push.receipts import ReceiptKey
from gateway.push.vapid import HeaderCache


class UnsafeAddress(OSError):
    """A push service host resolved to an address the gateway may not call."""


@functools.lru_cache(maxsize=4096)
def address_allowed(address: str, allow_local: bool) -> bool:
    """Whether the gateway may connect to *address* (public, or local in test mode)."""
    return is_public(address) or (allow_local and is_local(address))


class GuardedResolver(AbstractResolver):
    """Resolves like aiohttp's threaded resolver, then drops every address that is not
    public (or, in the test-only local mode, local); none left is an ``UnsafeAddress``."""

    def __init__(self, allow_local: bool) -> None:
        self.allow_local = allow_local
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET):
        found = await self._inner.resolve(host, port, family)
        safe = [entry for entry in found if address_allowed(entry["host"], self.allow_local)]
        if not safe:
            raise UnsafeAddress(f"{host} resolves to no address the gateway may call")
        return safe

    async def close(self) -> None:
        await self._inner.close()


@dataclass(frozen=True)
class Signing:
    """What a request needs to be signed: the key, its public half and the subject."""

    kid: str
    private_key: object
    public_key: str
    subject: str


@dataclass(frozen=True)
class Message:
    """One delivery ready to go: the claimed job, its notification's content and how."""

    job: Job
    content: payload.Content
    urgency: str
    signing: Signing


class Sender:
    """Sends messages over one session; use as ``async with Sender(...) as sender``."""

    def __init__(self, clock: Clock, receipts: ReceiptKey, headers: HeaderCache, *,
                 concurrency: int, origin_concurrency: int, connect_timeout: float,
                 send_timeout: float, allow_local: bool, rng: random.Random,
                 timer: Callable[[], float] = time.perf_counter) -> None:
        self.clock, self.receipts, self.headers_cache, self.rng, self.timer = (
            clock, receipts, headers, rng, timer)
        self.allow_local = allow_local
        self.origin_concurrency = origin_concurrency
        self._limits: dict[str, asyncio.Semaphore] = {}
        self._connector_args = dict(limit=concurrency, limit_per_host=origin_concurrency,
                                    ttl_dns_cache=60)
        self._timeout = aiohttp.ClientTimeout(total=send_timeout, connect=connect_timeout)
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Sender:
        connector = aiohttp.TCPConnector(resolver=GuardedResolver(self.allow_local),
                                         **self._connector_args)
        self.session = aiohttp.ClientSession(
            connector=connector, timeout=self._timeout, auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar())
        return self

    async def __aexit__(self, *exc) -> None:
        await self.session.close()

    def _limit(self, origin: str) -> asyncio.Semaphore:
        if origin not in self._limits:
            self._limits[origin] = asyncio.Semaphore(self.origin_concurrency)
        return self._limits[origin]

    def plaintext(self, message: Message) -> bytes:
        """What the device will read: the notification with this delivery's receipt."""
        job = message.job
        return payload.encode(message.content, job.delivery_id,
                              self.receipts.token(job.delivery_id), trimmed=job.trimmed)

    def headers(self, message: Message, now: datetime) -> dict[str, str]:
        """The request headers (TTL always explicit: what is left of the lifetime)."""
        job, signing = message.job, message.signing
        headers = {
            "TTL": str(max(int((job.expires_at - now).total_seconds()), 0)),
            "Urgency": message.urgency,
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            # The audience is the push service's origin, as stored with the subscription.
            "Authorization": self.headers_cache.header(
                signing.kid, signing.private_key, signing.public_key, job.origin,
                signing.subject),
        }
        if message.content.collapse_key:
            headers["Topic"] = message.content.collapse_key
        return headers

    async def send(self, message: Message, body: bytes) -> tuple[Outcome, float | None]:
        """Send one message with its encrypted *body*; the classified outcome and how
        long the request took."""
        job = message.job
        now = self.clock.now()
        host = _host(job.origin)
        if _literal(host) and not address_allowed(host, self.allow_local):
            return _unsafe(host), None
        headers = self.headers(message, now)
        retry = dict(now=now, attempt=job.attempt, expires_at=job.expires_at, rng=self.rng)
        async with self._limit(job.origin):
            started = self.timer()
            try:
                async with self.session.post(job.endpoint, data=body, headers=headers,
                                             allow_redirects=False) as response:
                    await response.content.read(4096)  # a short error text at most
                    status, retry_after = response.status, response.headers.get("Retry-After")
            except aiohttp.ClientConnectorDNSError as error:
                if isinstance(error.os_error, UnsafeAddress):
                    return _unsafe(host), None
                return outcomes.retry(**retry, status=None, reason="the push service's host "
                                                                    "did not resolve"), None
            except (TimeoutError, asyncio.TimeoutError):
                waited = self.timer() - started
                return outcomes.retry(**retry, status=None, reason="timed out"), waited
            except (aiohttp.ClientError, OSError) as error:
                return outcomes.retry(**retry, status=None,
                                      reason=f"connection failed: {type(error).__name__}"), None
            latency = self.timer() - started
        return outcomes.classify(status, retry_after, **retry), latency


@functools.lru_cache(maxsize=4096)
def _host(origin: str) -> str:
    return urlsplit(origin).hostname or ""


@functools.lru_cache(maxsize=4096)
def _literal(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True


def _unsafe(host: str) -> Outcome:
    return Outcome(OutcomeKind.FAILED, None,
                   reason=f"{host} resolves to a private, loopback or link-local address",
                   alert="unsafe-endpoint")
