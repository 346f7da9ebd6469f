"""Speaking to push services: one libcurl transport (``transport``), explicit connect and
total timeouts, a concurrency limit per push service origin, no redirects, and the SSRF
rule enforced on every connection the transport opens.

Encryption (RFC 8291, aes128gcm) is pywebpush's own, http_ece, called as
``WebPusher.encode`` calls it (``encryption``).
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

from gateway.core.clock import Clock
from gateway.push import outcomes, payload
from gateway.push.endpoints import is_local, is_public
from gateway.push.outbox import Job
from gateway.push.outcomes import Outcome, OutcomeKind
from gateway.push.receipts import ReceiptKey
from gateway.push.transport import Failed, Transport
from gateway.push.vapid import HeaderCache


@functools.lru_cache(maxsize=4096)
def address_allowed(address: str, allow_local: bool) -> bool:
    """Whether the gateway may connect to *address* (public, or local in test mode)."""
    return is_public(address) or (allow_local and is_local(address))


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
    """Sends messages over one transport; use as ``async with Sender(...) as sender``."""

    def __init__(self, clock: Clock, receipts: ReceiptKey, headers: HeaderCache, *,
                 concurrency: int, origin_concurrency: int, connect_timeout: float,
                 send_timeout: float, allow_local: bool, rng: random.Random,
                 timer: Callable[[], float] = time.perf_counter) -> None:
        self.clock, self.receipts, self.headers_cache, self.rng, self.timer = (
            clock, receipts, headers, rng, timer)
        self.allow_local = allow_local
        # The limits themselves are the worker's sending slots (``slots``); libcurl is
        # told them too, so that it never opens more connections than they allow.
        self._transport_args = dict(
            connect_timeout=connect_timeout, total_timeout=send_timeout,
            connections=concurrency, per_host=origin_concurrency,
            allow_address=functools.partial(address_allowed, allow_local=allow_local))
        self.transport: Transport | None = None

    async def __aenter__(self) -> Sender:
        self.transport = Transport(**self._transport_args)
        return self

    async def __aexit__(self, *exc) -> None:
        self.transport.close()
        self.transport = None

    def plaintext(self, message: Message) -> bytes:
        """What the device will read: the notification with this delivery's receipt."""
        job = message.job
        return payload.encode(message.content, job.delivery_id,
                              self.receipts.token(job.delivery_id), trimmed=job.trimmed)

    def headers(self, message: Message, now: datetime) -> list[str]:
        """The request headers, as ``Name: value`` lines (TTL always explicit: what is
        left of the lifetime)."""
        job, signing = message.job, message.signing
        # The audience is the push service's origin, as stored with the subscription.
        vapid = self.headers_cache.header(signing.kid, signing.private_key, signing.public_key,
                                          job.origin, signing.subject)
        headers = [f"TTL: {max(int((job.expires_at - now).total_seconds()), 0)}",
                   f"Urgency: {message.urgency}", "Content-Encoding: aes128gcm",
                   "Content-Type: application/octet-stream", f"Authorization: {vapid}"]
        if message.content.collapse_key:
            headers.append(f"Topic: {message.content.collapse_key}")
        return headers

    def post(self, message: Message, body: bytes) -> asyncio.Future | Outcome:
        """Start sending one message with its encrypted *body*: the transport's future of
        the answer (``outcome`` reads it), or at once the outcome of a message that must
        not go out (its push service is a refused address)."""
        job = message.job
        host = _host(job.origin)
        if _literal(host) and not address_allowed(host, self.allow_local):
            return _unsafe(host)
        return self.transport.post(job.endpoint, body, self.headers(message, self.clock.now()))

    def outcome(self, message: Message, answer: asyncio.Future,
                started: float) -> tuple[Outcome, float | None]:
        """The classified outcome of a request ``post`` started at *started* (a timer
        reading), and how long it took (None when no answer came in time or at all)."""
        job = message.job
        retry = dict(now=self.clock.now(), attempt=job.attempt, expires_at=job.expires_at,
                     rng=self.rng)
        failed = answer.exception()
        if failed is None:
            reply = answer.result()
            return (outcomes.classify(reply.status, reply.retry_after, **retry),
                    self.timer() - started)
        if not isinstance(failed, Failed):
            raise failed
        if failed.kind == "unsafe":
            return _unsafe(_host(job.origin)), None
        if failed.kind == "unresolved":
            return outcomes.retry(**retry, status=None,
                                  reason="the push service's host did not resolve"), None
        if failed.kind == "timeout":
            waited = self.timer() - started
            return outcomes.retry(**retry, status=None, reason="timed out"), waited
        return outcomes.retry(**retry, status=None,
                              reason=f"connection failed: {failed.reason}"[:200]), None


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
