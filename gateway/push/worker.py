"""The delivery worker: expands due notifications, claims due deliveries as sending slots
free up, sends them concurrently over one session, and records the answers in batches.

Everything it waits on is injected: the clock, the sleeper that waits for the next due
moment (tests pass one that moves a fake clock), the random source of the jitter. Tests
call ``drain()`` (all that is due now) or ``settle()`` (until nothing is pending) and
never sleep. ``run()`` is the long-running loop of ``flask gateway worker`` and of the
embedded worker beside the web server.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from gateway.core.clock import Clock
from gateway.core.store import Store
from gateway.push import config as push_config
from gateway.push import expansion, outbox, recorder, vapid
from gateway.push.config import PushOptions
from gateway.push.consent_check import ConsentMemo
from gateway.push.encryption import Encryptor
from gateway.push.guard import PruneGuard
from gateway.push.notifications import get as get_notification
from gateway.push.outcomes import Outcome, OutcomeKind
from gateway.push.receipts import ReceiptKey
from gateway.push.recorder import Result
from gateway.push.sender import Message, Sender, Signing

log = logging.getLogger("gateway.push")
POLL = 1.0  # longest idle wait, in case another process queued work
FLUSH_EVERY = 0.05  # seconds between result batches while sending
FLUSH_SIZE = 500
EXPAND_EVERY = 0.5  # seconds between looks for due notifications while sending
EXPAND_ENOUGH = 2000  # deliveries made per look, so sending starts early
LEASE_MARGIN = timedelta(seconds=5)

Sleeper = Callable[[float], Awaitable[None]]


@dataclass
class WorkerStats:
    sent: int = 0
    recorded: Counter = field(default_factory=Counter)


class Worker:
    """One delivery worker: ``drain()`` or ``settle()`` it (tests, ``--until-idle``), or
    ``run(stop)`` it. Several may work on one store at once."""

    def __init__(self, *, store: Store, clock: Clock, options: PushOptions, wrap: vapid.KeyWrap, receipts: ReceiptKey,
                 sleeper: Sleeper | None = None, rng: random.Random | None = None,
                 guard: PruneGuard | None = None, batch: int = 256,
                 timer: Callable[[], float] = time.perf_counter) -> None:
        self.store, self.clock, self.options = store, clock, options
        self.wrap, self.receipts, self.timer = wrap, receipts, timer
        self.rng = rng or secrets.SystemRandom()
        self.guard = guard or PruneGuard()
        self.batch = batch
        self.headers = vapid.HeaderCache(clock)
        self.encryptor = Encryptor(options.encrypt_processes)
        self.consent = ConsentMemo()
        self.lease = timedelta(seconds=options.send_timeout) + LEASE_MARGIN
        self.wake = asyncio.Event()
        self.sleeper = sleeper or self._wait_for_wake
        self.stats = WorkerStats()
        self._in_flight: set[asyncio.Task] = set()
        self._pending = 0  # claimed messages not answered yet
        self._per_origin: Counter = Counter()
        self._results: list[Result] = []
        self._answered = asyncio.Event()
        self._last_flush = timer()
        self._last_expand = float("-inf")
        self._dry = False
        self._keys: dict[str, tuple[object, str]] = {}
        self._contents: dict[str, tuple] = {}
        self._subject: tuple[float, str | None] | None = None
        self.sender: Sender | None = None

    # -- the parts, each a plain call ------------------------------------------------

    def expand_due(self, enough: int = EXPAND_ENOUGH) -> int:
        """Expand notifications whose send time came, chunk by chunk, until *enough*
        deliveries are made or none is left to expand; how many were made."""
        made = 0
        for notification_id in expansion.due(self.store, self.clock):
            while made < enough:
                chunk = expansion.expand(self.store, self.clock, notification_id, self.consent)
                if chunk is None:
                    break
                made += chunk
        self._dry = False
        return made

    def _signing(self, kid: str) -> Signing | None:
        subject = self._current_subject()
        if subject is None:
            return None
        if kid not in self._keys:
            with self.store.read() as connection:
                private = vapid.load_private_key(connection, self.wrap, kid)
                public = next(k.public_key for k in vapid.list_keys(connection) if k.kid == kid)
            self._keys[kid] = (private, public)
        private, public = self._keys[kid]
        return Signing(kid, private, public, subject)

    def _current_subject(self) -> str | None:
        # Re-read every few seconds: the admin may change it in the console.
        if self._subject is None or self.timer() - self._subject[0] > 5:
            with self.store.read() as connection:
                subject = push_config.current(connection, self.options).subject
            self._subject = (self.timer(), subject)
        return self._subject[1]

    def _content(self, notification_id: str):
        if notification_id not in self._contents:
            if len(self._contents) > 1000:
                self._contents.clear()
            with self.store.read() as connection:
                found = get_notification(connection, notification_id)
            self._contents[notification_id] = (found.content, found.urgency)
        return self._contents[notification_id]

    @property
    def _claim_at(self) -> int:
        """Free slots worth a claim: batches, not one slot at a time (each claim is a
        transaction)."""
        return max(min(self.batch, self.options.concurrency) // 4, 1)

    def claim(self) -> list[Message]:
        """Claim as many due deliveries as there are free sending slots."""
        free = self.options.concurrency - self._pending
        if free <= 0 or (self._pending and free < self._claim_at):
            return []
        slots = {origin: self.options.origin_concurrency - n
                 for origin, n in self._per_origin.items()}
        limit = min(free, self.batch)
        jobs = outbox.claim(self.store, self.clock, limit=limit,
                            lease=self.lease, free_slots=slots,
                            default_slots=self.options.origin_concurrency,
                            memo=self.consent)
        self._dry = len(jobs) < limit  # the queue ran dry: expand more at once
        messages = []
        for job in jobs:
            content, urgency = self._content(job.notification_id)
            try:
                signing = self._signing(job.vapid_kid)
            except Exception:  # e.g. the keys folder changed and the key cannot be unwrapped
                log.exception("VAPID key %s cannot be loaded", job.vapid_kid)
                self._results.append(Result(job, Outcome(
                    OutcomeKind.FAILED, None,
                    reason=f"the VAPID key {job.vapid_kid} cannot be loaded",
                    alert="our-fault")))
                continue
            if signing is None:
                self._results.append(Result(job, Outcome(
                    OutcomeKind.FAILED, None,
                    reason="no VAPID subject: set one in the push settings",
                    alert="no-subject")))
                continue
            messages.append(Message(job, content, urgency, signing))
        return messages

    async def encrypt(self, messages: list[Message]) -> list[bytes]:
        """The encrypted bodies of *messages* (in helper processes when configured)."""
        return await self.encryptor.encrypt(
            [(self.sender.plaintext(m), m.job.p256dh, m.job.auth) for m in messages])

    async def send(self, message: Message, body: bytes) -> None:
        """Send one message and keep its result for the next batch (its slot was taken
        when it was claimed, see ``_launch``)."""
        try:
            outcome, latency = await self.sender.send(message, body)
        except Exception:  # a bug must not lose the delivery: it is retried
            log.exception("sending delivery %s failed", message.job.delivery_id)
            outcome, latency = Outcome(OutcomeKind.RETRY, None, retry_at=self.clock.now()
                                       + timedelta(minutes=1),
                                       reason="internal error while sending"), None
        self.stats.sent += 1
        self._results.append(Result(message.job, outcome, latency))
        self._release(message)

    def _release(self, message: Message) -> None:
        self._per_origin[message.job.origin] -= 1
        self._pending -= 1
        # Wake the loop only when a claim is worth it or the last answer is in.
        if not self._pending or self.options.concurrency - self._pending >= self._claim_at:
            self._answered.set()

    def flush(self) -> None:
        """Record the results gathered so far in one transaction."""
        results, self._results = self._results, []
        self._last_flush = self.timer()
        if results:
            self.stats.recorded += recorder.record(self.store, self.clock, results,
                                                   prune_guard=self.guard, rng=self.rng,
                                                   in_flight=self._per_origin)

    # -- the loop ------------------------------------------------------------------

    def _take(self, messages: list[Message]) -> None:
        for message in messages:
            self._per_origin[message.job.origin] += 1
        self._pending += len(messages)

    def _launch(self, messages: list[Message]) -> None:
        """Encrypt and send *messages* in the background; their slots are taken now."""
        if not messages:
            return
        self._take(messages)
        task = asyncio.get_running_loop().create_task(self._send_all(messages))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def deliver(self, messages: list[Message]) -> None:
        """Encrypt and send claimed *messages*, waiting for every answer (a plain call
        for tests; the loop does the same in the background)."""
        self._take(messages)
        await self._send_all(messages)

    async def _send_all(self, messages: list[Message]) -> None:
        try:
            bodies = await self.encrypt(messages)  # one hand-over per claim, not per message
            # Encrypting (in a helper process) may take a while, and a withdrawal answered
            # meanwhile must stop these messages too: consent is read again from the store
            # now, with no await between this read and the requests going out.
            allowed = self.still_consented(messages)
        except Exception:  # a helper process died, the store was away: retried after the
            # lease (when consent is checked again), never sent unchecked and never lost
            log.exception("encrypting or checking consent for %d messages failed", len(messages))
            for message in messages:
                self._release(message)
            return
        await asyncio.gather(*(self.send(m, b) for m, b in zip(messages, bodies, strict=True)
                               if m.job.delivery_id in allowed))

    def still_consented(self, messages: list[Message]) -> set[int]:
        """The delivery ids among *messages* whose device has push consent now; the others
        are settled as ``suppressed`` (with the next batch of results) and their slots
        freed. One read of the shared store, nearly free while the ledger stands still
        (``ConsentMemo``). Raises what the store raises."""
        with self.store.read() as connection:
            granted = self.consent.granted(connection, self.clock,
                                           [(m.job.user_id, m.job.device_id) for m in messages])
        allowed = set()
        for message in messages:
            if (message.job.user_id, message.job.device_id) in granted:
                allowed.add(message.job.delivery_id)
                continue
            self._results.append(Result(message.job, Outcome(
                OutcomeKind.SUPPRESSED, None,
                reason="push consent withdrawn before sending")))
            self._release(message)
        return allowed

    async def _step(self) -> bool:
        """One round: expand, claim, wait a little for answers, flush. Whether any work
        is (still) going on."""
        busy = bool(self._pending or self._results)
        # Looking for due notifications costs a query: while a fan-out is in flight, do
        # it every EXPAND_EVERY seconds, not after every answer.
        made = 0
        if not self._pending or self._dry or self.timer() - self._last_expand >= EXPAND_EVERY:
            self._last_expand = self.timer()
            made = self.expand_due()
        messages = self.claim()
        self._launch(messages)
        if self._pending:
            # Sleep until enough slots are free for a claim, or results are due a flush.
            due = FLUSH_EVERY - (self.timer() - self._last_flush) if self._results else FLUSH_EVERY
            self._answered.clear()
            try:
                await asyncio.wait_for(self._answered.wait(), timeout=max(due, 0.001))
            except TimeoutError:
                pass
        if len(self._results) >= FLUSH_SIZE or self.timer() - self._last_flush >= FLUSH_EVERY \
                or not self._pending:
            self.flush()
        return bool(busy or made or messages or self._pending or self._results)

    async def drain(self) -> None:
        """Work until nothing is due now and nothing is in flight."""
        async with self.session():
            while await self._step():
                pass

    def seconds_to_next(self) -> float | None:
        """Seconds until the next delivery or notification falls due (None: nothing)."""
        with self.store.read() as connection:
            moments = [m for m in (outbox.next_due(connection),
                                   expansion.next_send_at(connection)) if m is not None]
        if not moments:
            return None
        return max((min(moments) - self.clock.now()).total_seconds(), 0.0)

    async def settle(self, rounds: int = 1000) -> None:
        """Work, sleeping (with the injected sleeper) until each next due moment, until
        nothing is pending at all."""
        async with self.session():
            for _ in range(rounds):
                while await self._step():
                    pass
                wait = self.seconds_to_next()
                if wait is None:
                    return
                await self.sleeper(wait)
        raise RuntimeError("the outbox did not settle")

    async def run(self, stop: asyncio.Event) -> None:
        """The long-running loop, until *stop* is set; finishes what is in flight."""
        log.info("push delivery worker started")
        async with self.session():
            while not stop.is_set():
                try:
                    if await self._step():
                        continue
                    wait = self.seconds_to_next()
                    await self.sleeper(POLL if wait is None else min(wait, POLL))
                except Exception:  # the database may be away for a moment; keep going
                    log.exception("push worker round failed")
                    await asyncio.sleep(POLL)
            if self._in_flight:
                await asyncio.wait(set(self._in_flight))
            self.flush()
        self.close()
        log.info("push delivery worker stopped")

    def close(self) -> None:
        """Stop the encryption helpers (a later call starts them again)."""
        self.encryptor.close()

    async def _wait_for_wake(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.wake.wait(), timeout=seconds)
        except TimeoutError:
            pass
        self.wake.clear()

    @asynccontextmanager
    async def session(self):
        """The shared HTTP session for the duration of a drain, settle or run."""
        if self.sender is not None:
            yield
            return
        # Events belong to the loop they are first used on: a session gets its own.
        self._answered, self.wake = asyncio.Event(), asyncio.Event()
        options = self.options
        async with Sender(self.clock, self.receipts, self.headers,
                          concurrency=options.concurrency,
                          origin_concurrency=options.origin_concurrency,
                          connect_timeout=options.connect_timeout,
                          send_timeout=options.send_timeout,
                          allow_local=options.allow_insecure_local, rng=self.rng,
                          timer=self.timer) as sender:
            self.sender = sender
            try:
                yield
            finally:
                self.sender = None
