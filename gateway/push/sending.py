"""The sending half of a delivery worker: a claim's messages encrypted in parts, each
message taking a sending slot, push consent read again just before its request, the
request started, and its answer kept for the next batch of results. ``Deliveries`` holds
the state it works on (the sender, the slots, the counts, the results)."""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import timedelta

from gateway.core.clock import Clock
from gateway.push.outcomes import Outcome, OutcomeKind
from gateway.push.recorder import Result
from gateway.push.sender import Message

log = logging.getLogger("gateway.push")
ENCRYPTION_PART = 32  # messages per hand-over to the encryption helper (see _send_all)


class Sending:
    """Encrypt, check consent again, send and keep the answers; mixed into
    ``Deliveries``, which sets up everything these use."""

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


def _internal_error(clock: Clock) -> Outcome:
    return Outcome(OutcomeKind.RETRY, None, retry_at=clock.now() + timedelta(minutes=1),
                   reason="internal error while sending")
