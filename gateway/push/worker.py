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
import sys
from collections import Counter
from contextlib import asynccontextmanager

from gateway.push import expansion, outbox
from gateway.push.delivery import Deliveries
from gateway.push.sender import Sender
from gateway.push.store_thread import StoreThread, Turn

log = logging.getLogger("gateway.push")
POLL = 1.0  # longest idle wait, in case another process queued work
FLUSH_EVERY = 0.2  # seconds between result batches while sending (a transaction each)
FLUSH_SIZE = 500
SWITCH_INTERVAL = 0.0005  # seconds a thread may keep the GIL when another wants it
EXPAND_EVERY = 0.5  # seconds between looks for due notifications while sending


class Worker(Deliveries):
    """One delivery worker: ``drain()`` or ``settle()`` it (tests, ``--until-idle``), or
    ``run(stop)`` it. Several may work on one store at once."""

    _store_thread: StoreThread | None = None  # expansion, claims and records
    _expanding: asyncio.Future | None = None  # an expansion under way
    _recording: asyncio.Future | None = None  # a record of answers under way
    _more_to_expand = False  # the last expansion stopped at expand_enough, not at the end
    _backlog = 0  # deliveries this worker expanded and has not claimed yet

    async def _step(self) -> bool:
        """One round: expand, claim, wait a little for answers, flush. Whether any work
        is (still) going on."""
        busy = bool(self._pending or self._results)
        # Looking for due notifications costs a query: while a fan-out is in flight, do
        # it every EXPAND_EVERY seconds, not after every answer; but while a notification
        # is only part expanded, expand its next part as soon as fewer than expand_enough
        # of its deliveries wait to be claimed, so that claims never wait for expansion
        # (at one look per EXPAND_EVERY, expansion capped a fan-out at 4,000 a second).
        made, messages = 0, []
        ahead = self._more_to_expand and self._backlog < self.expand_enough + self._claim_size
        if self._expanding is None and (not self._pending or self._dry or ahead
                                        or self.timer() - self._last_expand >= EXPAND_EVERY):
            self._last_expand = self.timer()
            self._expanding = self._in_store_thread(Turn.EXPAND, self.expand_due)
        # Expansion takes its turns in the store thread with claims and records (each is a
        # write transaction: they run one at a time anyway). In a thread of its own, the
        # expansion took the store's lock again and again before a waiting claim could.
        # It is waited for only when nothing else is in flight.
        if self._expanding is not None and (self._expanding.done() or not self._pending):
            expanding, self._expanding = self._expanding, None
            made = await expanding
            self._more_to_expand = made >= self.expand_enough
            self._backlog += made
        wanted = self._wanted()
        if wanted:
            # A claim goes before an expansion asked for earlier if enough expanded
            # deliveries wait for it; if fewer do, it would come back short (as if the
            # queue were dry), so it waits for the expansion that makes them.
            turn = Turn.CLAIM if self._backlog >= wanted[0] else Turn.EXPAND
            messages = self._claimed(*await self._in_store_thread(
                turn, self._claim_jobs, *wanted))
            self._backlog -= len(messages)
            if self._expanding is None:
                # Every expansion this worker asked for is counted now: less than none
                # waiting means claims took retries or other workers' deliveries, and a
                # queue that ran dry holds none.
                self._backlog = 0 if self._dry else max(self._backlog, 0)
        self._launch(messages)
        if self._pending:
            # Sleep until enough slots are free for a claim, or results are due a flush.
            due = FLUSH_EVERY - (self.timer() - self._last_flush) if self._results else FLUSH_EVERY
            self._answered.clear()
            try:
                await asyncio.wait_for(self._answered.wait(), timeout=max(due, 0.001))
            except TimeoutError:
                pass
        await self._recorded(wait=not self._pending)
        if len(self._results) >= FLUSH_SIZE or self.timer() - self._last_flush >= FLUSH_EVERY \
                or not self._pending:
            await self._recorded(wait=True)  # one record at a time: it has had 0.2 s
            results = self._gathered()
            if results:
                # Not waited for: the loop goes on claiming (a claim runs before it if
                # it has not started yet) and sending while the answers are recorded.
                self._recording = self._in_store_thread(
                    Turn.RECORD, self._record, results, Counter(self._per_origin))
        return bool(busy or made or messages or self._pending or self._results
                    or self._expanding is not None or self._recording is not None)

    async def _recorded(self, wait: bool) -> None:
        """Count the answers of a record that has committed; wait for the one under way
        when *wait*. Raises what the record raised."""
        if self._recording is None or not (wait or self._recording.done()):
            return
        recording, self._recording = self._recording, None
        self.stats.recorded += await recording

    def _in_store_thread(self, turn: Turn, work, *args) -> asyncio.Future:
        """Run a transaction's worth of *work* in the worker's store thread in its *turn*
        (a future of its result): while SQLite or PostgreSQL answers (and commits), the
        event loop goes on sending and reading answers. One thread, so they run one at
        a time."""
        if self._store_thread is None:
            self._store_thread = StoreThread()
        return self._store_thread.submit(turn, work, *args)

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
        # The event loop gives up the GIL at every wait for the network; with the store
        # threads running Python meanwhile, the default 5 ms before they must hand it back
        # is paid again and again on every answer (the "convoy"), capping a fan-out at a
        # few hundred messages per second whatever the cores. 0.5 ms keeps it flowing.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
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
            try:
                await self._recorded(wait=True)
            except Exception:  # its deliveries go again after their lease; record the rest
                log.exception("recording push answers failed")
            self.flush()
        self.close()
        log.info("push delivery worker stopped")

    def close(self) -> None:
        """Stop the encryption helpers and the store thread (a later call starts them
        again)."""
        self.encryptor.close()
        if self._store_thread is not None:
            self._store_thread.shutdown()
            self._store_thread = None
        self._expanding = self._recording = None

    @asynccontextmanager
    async def session(self):
        """The shared HTTP session for the duration of a drain, settle or run."""
        if self.sender is not None:
            yield
            return
        # Events belong to the loop they are first used on: a session gets its own.
        self._answered, self.wake = asyncio.Event(), asyncio.Event()
        self.slots.renew()
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
                self.encryptor.close()  # its helpers' streams belong to this event loop
