"""The delivery worker's store thread: one transaction at a time, a claim before an
expansion or a record asked for earlier that has not started, alike turns in the order
asked, and what a piece of work raises reaches its waiter."""

from __future__ import annotations

import asyncio
import threading

import pytest

from gateway.push.store_thread import StoreThread, Turn


def _run(steps):
    return asyncio.run(steps())


def _soon(future):
    """*future*, failing rather than hanging if the thread is gone."""
    return asyncio.wait_for(future, 5)


def test_a_claim_goes_before_the_expansion_and_the_record_that_wait():
    async def steps():
        thread, done, gate = StoreThread(), [], threading.Event()
        try:
            running = thread.submit(Turn.EXPAND, gate.wait)  # holds the thread
            waiting = [thread.submit(Turn.RECORD, done.append, "record 1"),
                       thread.submit(Turn.EXPAND, done.append, "expansion"),
                       thread.submit(Turn.RECORD, done.append, "record 2"),
                       thread.submit(Turn.CLAIM, done.append, "claim 1"),
                       thread.submit(Turn.CLAIM, done.append, "claim 2")]
            gate.set()
            await _soon(asyncio.gather(running, *waiting))
        finally:
            thread.shutdown()
        return done

    assert _run(steps) == ["claim 1", "claim 2", "expansion", "record 1", "record 2"]


def test_what_the_work_raises_reaches_its_waiter_and_the_thread_goes_on():
    def failing():
        raise RuntimeError("the database is away")

    async def steps():
        thread = StoreThread()
        try:
            with pytest.raises(RuntimeError, match="away"):
                await _soon(thread.submit(Turn.CLAIM, failing))
            return await _soon(thread.submit(Turn.RECORD, sum, [1, 2, 3]))
        finally:
            thread.shutdown()

    assert _run(steps) == 6


def test_shutdown_finishes_the_work_asked_for_first():
    async def steps():
        thread, done, gate = StoreThread(), [], threading.Event()
        thread.submit(Turn.CLAIM, gate.wait)
        thread.submit(Turn.RECORD, done.append, "record")
        stopping = threading.Thread(target=thread.shutdown)
        stopping.start()
        gate.set()
        stopping.join(5)
        return done, stopping.is_alive()

    assert _run(steps) == (["record"], False)


def test_work_whose_waiter_was_cancelled_before_it_started_is_not_run():
    async def steps():
        thread, done, gate = StoreThread(), [], threading.Event()
        try:
            running = thread.submit(Turn.CLAIM, gate.wait)
            dropped = thread.submit(Turn.RECORD, done.append, "dropped")
            dropped.cancel()
            await asyncio.sleep(0)  # the cancellation reaches the thread's future
            gate.set()
            await _soon(running)
            await _soon(thread.submit(Turn.RECORD, done.append, "kept"))
        finally:
            thread.shutdown()
        return done

    assert _run(steps) == ["kept"]
