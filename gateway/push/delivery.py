"""The parts of a delivery worker: expand due notifications, claim due deliveries as
sending slots free up (and a few more, made ready ahead), encrypt them, check push
consent once more as each gets its slot, send them concurrently over one session, and
record the answers in batches. Each is a plain call; ``gateway.push.worker`` runs them in
a loop.
"""


from __future__ import annotations

import asyncio
import functools
import logging
import random
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from gateway.core.clock import Clock
from gateway.core.store import Store
from gateway.push import expansion, outbox, recorder, vapid
from gateway.push.config import PushOptions
from gateway.push.consent_check import ConsentMemo
from gateway.push.encryption import Encryptor
from gateway.push.guard import PruneGuard
from gateway.push.materials import Materials
from gateway.push.outcomes import Outcome, OutcomeKind
from gateway.push.receipts import ReceiptKey
from gateway.push.recorder import Result
from gateway.push.sender import Message, Sender
from gateway.push.slots import SendingSlots

log = logging.getLogger("gateway.push")
EXPAND_ENOUGH = 1000  # deliveries made per look: sending starts early, claims wait little
ENCRYPTION_PART = 32  # messages per hand-over to the encryption helper (see _send_all)
LEASE_MARGIN = timedelta(seconds=5)
# Deliveries claimed beyond the sending slots, per slot: they are encrypted while the
# slots' requests are out, so a slot that frees takes a message that is ready at once,
# instead of waiting for a claim and its encryption (a slot's turn was 112 ms for a
# 50 ms push service without them).
AHEAD = 0.5

Sleeper = Callable[[float], Awaitable[None]]


@dataclass
class WorkerStats:
    sent: int = 0
    recorded: Counter = field(default_factory=Counter)


class Deliveries:
    """The parts of a delivery worker, each a plain call that tests make directly:
    expand, claim, encrypt, check consent again, send, record. ``Worker`` runs them."""

    def __init__(self, *, store: Store, clock: Clock, options: PushOptions,
                 wrap: vapid.KeyWrap, receipts: ReceiptKey,
                 sleeper: Sleeper | None = None, rng: random.Random | None = None,
                 guard: PruneGuard | None = None, batch: int = 256,
                 timer: Callable[[], float] = time.perf_counter,
                 on_recipients: expansion.RecipientsHook | None = None,
                 expand_enough: int = EXPAND_ENOUGH, chunk: int = expansion.CHUNK) -> None:
        self.store, self.clock, self.options = store, clock, options
        self.wrap, self.receipts, self.timer = wrap, receipts, timer
        self.rng = rng or secrets.SystemRandom()
        self.guard = guard or PruneGuard()
        self.batch = batch
        self.expand_enough = expand_enough  # deliveries made per look at most
        self.chunk = chunk  # users per expansion transaction
        self.on_recipients = on_recipients  # the in-app inbox keeps its messages
        self.headers = vapid.HeaderCache(clock)
        self.encryptor = Encryptor(options.encrypt_processes)
        self.consent = ConsentMemo()
        # A claimed message may wait for a slot as long as the requests ahead of it take
        # (one send timeout at most, see ``capacity``), then take one itself.
        self.lease = 2 * timedelta(seconds=options.send_timeout) + LEASE_MARGIN
        self.wake = asyncio.Event()
        self.sleeper = sleeper or self._wait_for_wake
        self.stats = WorkerStats()
        self._in_flight: set[asyncio.Task] = set()
        self._pending = 0  # claimed messages not answered yet
        self._per_origin: Counter = Counter()  # ... of them, per push service
        self.slots = SendingSlots(options.concurrency, options.origin_concurrency)
        self._results: list[Result] = []
        self._answered = asyncio.Event()
        self._last_flush = timer()
        self._last_expand = float("-inf")
        self._dry = False
        self.materials = Materials(store, options, wrap, timer)
        self.sender: Sender | None = None

    def expand_due(self) -> int:
        """Expand notifications whose send time came, chunk by chunk, until
        ``expand_enough`` deliveries are made or none is left to expand; how many were
        made."""
        made = 0
        for notification_id in expansion.due(self.store, self.clock):
            while made < self.expand_enough:
                chunk = expansion.expand(self.store, self.clock, notification_id, self.consent,
                                         chunk=self.chunk, on_recipients=self.on_recipients)
                if chunk is None:
                    break
                made += chunk
        self._dry = False
        return made

    @staticmethod
    def capacity(slots: int) -> int:
        """Claimed messages kept at most for *slots* sending slots: the slots' own and
        ``AHEAD`` per slot made ready meanwhile. No more, so that a claimed message waits
        for a slot no longer than the requests already out take."""
        return slots + int(slots * AHEAD)

    @property
    def _claim_at(self) -> int:
        """Free slots worth a claim: batches, not one slot at a time (each claim is a
        transaction), but small enough that freed slots do not sit idle long (32 of 256:
        2.0x web-push against 1.9x with 64, in bench_push)."""
        return max(min(self.batch, self.options.concurrency) // 8, 1)

    def claim(self) -> list[Message]:
        """Claim as many due deliveries as there are free sending slots."""
        wanted = self._wanted()
        return self._claimed(*self._claim_jobs(*wanted)) if wanted else []

    def _wanted(self) -> tuple[int, dict[str, int]] | None:
        """How many deliveries a claim should take now, and the free slots per origin
        (None: too few slots are free for a claim to be worth its transaction)."""
        free = self.capacity(self.options.concurrency) - self._pending
        if free <= 0 or (self._pending and free < self._claim_at):
            return None
        per_origin = self.capacity(self.options.origin_concurrency)
        slots = {origin: per_origin - n for origin, n in self._per_origin.items()}
        return min(free, self.batch), slots

    def _claim_jobs(self, limit: int, slots: dict[str, int]):
        """The store's part of a claim (safe in the worker's store thread): the claimed
        messages, the results of those that cannot be sent, whether the queue ran dry."""
        jobs = outbox.claim(self.store, self.clock, limit=limit,
                            lease=self.lease, free_slots=slots,
                            default_slots=self.capacity(self.options.origin_concurrency),
                            memo=self.consent)
        messages, failed = self.materials.messages(jobs)
        return messages, failed, len(jobs) < limit

    def _claimed(self, messages: list[Message], failed: list[Result], dry: bool):
        self._dry = dry  # the queue ran dry: expand more at once
        self._results.extend(failed)
        return messages

    async def encrypt(self, messages: list[Message]) -> list[bytes | None]:
        """The encrypted bodies of *messages* (in helper processes when configured; None
        for one whose subscription's keys cannot be used)."""
        return await self.encryptor.encrypt(
            [(self.sender.plaintext(m), m.job.p256dh, m.job.auth) for m in messages])

    def send(self, message: Message, body: bytes) -> asyncio.Future | None:
        """Start sending one message (its sending slot was taken from ``slots``); its
        result is kept for the next batch when the answer comes (``answered``). The
        transport's future of the answer, or None when the message was settled at once.

        A callback, not a task per message: a task's creation and its two turns of the
        event loop were about 10 us of the worker's CPU a message."""
        started = self.timer()
        try:
            answer = self.sender.post(message, body)
        except Exception:  # a bug must not lose the delivery: it is retried
            log.exception("sending delivery %s failed", message.job.delivery_id)
            answer = _internal_error(self.clock)
        if isinstance(answer, Outcome):
            self._keep(message, answer, None)
            return None
        answer.add_done_callback(functools.partial(self.answered, message, started))
        return answer

    def answered(self, message: Message, started: float, answer: asyncio.Future) -> None:
        """Keep the result of *message*'s request (started at *started*) for the next
        batch, and free its sending slot."""
        try:
            outcome, latency = self.sender.outcome(message, answer, started)
        except Exception:  # a bug must not lose the delivery: it is retried
            log.exception("sending delivery %s failed", message.job.delivery_id)
            outcome, latency = _internal_error(self.clock), None
        self._keep(message, outcome, latency)

    def _keep(self, message: Message, outcome: Outcome, latency: float | None) -> None:
        self.stats.sent += 1
        self._results.append(Result(message.job, outcome, latency))
        self._release(message)

    def _release(self, message: Message, slot: bool = True) -> None:
        """Settle a claimed message in the worker's counts (and free its sending slot,
        when it had one)."""
        origin = message.job.origin
        self._per_origin[origin] -= 1
        self._pending -= 1
        if slot:
            self.slots.free(origin)
        # Wake the loop only when a claim is worth it or the last answer is in.
        if not self._pending or (self.capacity(self.options.concurrency) - self._pending
                                 >= self._claim_at):
            self._answered.set()

    def flush(self) -> None:
        """Record the results gathered so far in one transaction."""
        self.stats.recorded += self._record(self._gathered(), Counter(self._per_origin))

    def _gathered(self) -> list[Result]:
        """The results gathered so far, handed over (in the event loop's thread)."""
        results, self._results = self._results, []
        self._last_flush = self.timer()
        return results

    def _record(self, results: list[Result], in_flight: Counter) -> Counter:
        """The store's part of a flush (safe in the worker's store thread)."""
        if not results:
            return Counter()
        return recorder.record(self.store, self.clock, results, prune_guard=self.guard,
                               rng=self.rng, in_flight=in_flight)

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
        # A claim's messages go to encryption in parts, each sent as it comes back and
        # slots free: waiting for a whole claim's encryption (256 messages: about 40 ms)
        # before the first request would leave freed slots idle that much longer. The
        # parts are still few hand-overs per claim.
        await asyncio.gather(*(self._send_part(messages[start:start + ENCRYPTION_PART])
                               for start in range(0, len(messages), ENCRYPTION_PART)))

    async def _send_part(self, messages: list[Message]) -> None:
        try:
            bodies = await self.encrypt(messages)  # one hand-over per part, not per message
        except Exception:  # a helper died: retried after the lease, never lost
            log.exception("encrypting %d messages failed", len(messages))
            for message in messages:
                self._release(message, slot=False)
            return
        waiting, answers = [], []
        for message, body in zip(messages, bodies, strict=True):
            if body is None:  # its keys are no key: it would never go out, so it fails
                self._results.append(Result(message.job, Outcome(
                    OutcomeKind.FAILED, None,
                    reason="the subscription's keys cannot be used to encrypt")))
                self._release(message, slot=False)
            else:
                waiting.append((message, body))
        while waiting:
            ready, waiting = self.slots.take(waiting)
            if not ready:
                await self.slots.wait()
                continue
            try:
                # Encrypting and waiting for a slot take a while, and a withdrawal answered
                # meanwhile must stop these messages too: consent is read again from the
                # store now, with no await between this read and the requests going out.
                allowed = self.still_consented([message for message, _ in ready])
            except Exception:  # the store was away: retried after the lease (when consent
                # is checked again), never sent unchecked and never lost
                log.exception("checking consent for %d messages failed", len(ready))
                for message, _ in ready:
                    self._release(message)
                for message, _ in waiting:
                    self._release(message, slot=False)
                break
            answers += [self.send(message, body) for message, body in ready
                        if message.job.delivery_id in allowed]
        if answers := [answer for answer in answers if answer is not None]:
            await asyncio.wait(answers)  # every answer kept (``answered``)

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

    async def _wait_for_wake(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.wake.wait(), timeout=seconds)
        except TimeoutError:
            pass
        self.wake.clear()


def _internal_error(clock: Clock) -> Outcome:
    return Outcome(OutcomeKind.RETRY, None, retry_at=clock.now() + timedelta(minutes=1),
                   reason="internal error while sending")
