"""Parked event streams: browsers waiting on a QR flow, served by one thread between them.

A browser waiting on its flow's Server-Sent Events mostly waits. Holding a server thread
for each costs a thread's stacks and the request's objects (about 70 KB a browser under
gunicorn's gthread worker); parked here, a stream costs its socket and its state.

The gunicorn worker of the run command (``gateway/serving.py``) writes a stream's headers
and first frames as for any answer, then hands the connection here. One thread watches all
parked sockets and wakes a stream when its bus event arrives or its wait (heartbeat,
expiry) runs out; the stream reads its flow's state again (``EventStream.step``) and the
thread writes the frames, as HTTP/1.1 chunks when the answer is chunked. A stream that
ends gets the closing chunk and its connection closed; a browser that goes away is
noticed as its socket becomes readable with nothing to read.
"""

from __future__ import annotations

import heapq
import logging
import selectors
import socket
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.web.waiting import EventStream

log = logging.getLogger(__name__)

MAX_UNSENT = 256 * 1024  # a browser this far behind is not reading: drop it
LONGEST_TURN = 60.0  # seconds the hub waits at most when no stream is due


class _Parked:
    """One parked stream and its connection."""

    def __init__(self, sock: socket.socket, stream: EventStream, chunked: bool) -> None:
        self.sock = sock
        self.stream = stream
        self.chunked = chunked
        self.unsent = bytearray()
        self.due = 0.0  # time.monotonic() at which the stream's wait runs out
        self.gone = False
        self.watched = selectors.EVENT_READ  # what the selector watches the socket for

    def queue(self, frames: str) -> None:
        data = frames.encode("utf-8")
        if self.chunked:
            data = b"%x\r\n%s\r\n" % (len(data), data)
        self.unsent += data


class StreamHub:
    """Drives parked event streams from one daemon thread, started on first use.

    Recording an expiry is a write that may wait on the store or Redis: it runs on two
    threads of its own, so that no other waiting browser waits for it.
    """

    def __init__(self) -> None:
        self._writes = ThreadPoolExecutor(max_workers=2, thread_name_prefix="event-streams")
        self._selector = selectors.DefaultSelector()
        self._waker, self._woken_by = socket.socketpair()
        for end in (self._waker, self._woken_by):
            end.setblocking(False)
        self._selector.register(self._woken_by, selectors.EVENT_READ, None)
        self._arriving: deque[_Parked] = deque()
        self._woken: deque[_Parked] = deque()
        self._parked: set[_Parked] = set()
        # When each parked stream's wait runs out, soonest first: (due, id, parked). An
        # entry whose stream was rescheduled or dropped since is stale and skipped, so a
        # turn looks at the streams due, never at all of them (10,000 open companions).
        self._dues: list[tuple[float, int, _Parked]] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closing = False
        # A wake-up byte is on its way: a message to 10,000 open companions wakes the hub
        # with one byte, not one per stream.
        self._poked = False

    def park(self, sock: socket.socket, stream: EventStream, chunked: bool) -> None:
        """Serve the rest of *stream* (already started) on *sock*, which the hub now owns."""
        sock.setblocking(False)
        stream.offload = self._writes.submit
        self._arriving.append(_Parked(sock, stream, chunked))
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="event-streams",
                                                daemon=True)
                self._thread.start()
        self._poke()

    def __len__(self) -> int:
        return len(self._parked)

    def close(self) -> None:
        """Drop every parked stream and end the hub's thread (its browsers reconnect)."""
        self._closing = True
        self._poke()
        if self._thread is not None:
            self._thread.join(timeout=10)
        else:
            self._shut()

    def _shut(self) -> None:
        for parked in list(self._parked) + list(self._arriving):
            self._drop(parked)
        self._selector.close()
        self._waker.close()
        self._woken_by.close()
        self._writes.shutdown(wait=False)

    def _poke(self) -> None:
        if self._poked:
            return
        self._poked = True
        try:
            self._waker.send(b"\0")
        except (BlockingIOError, OSError):
            pass  # a wake-up is pending already

    def _run(self) -> None:
        while not self._closing:
            try:
                self._turn()
            except Exception:  # one bad turn must not stop every waiting browser
                log.exception("event stream hub turn failed")
        self._shut()

    def _turn(self) -> None:
        now = time.monotonic()
        while self._dues and self._stale(self._dues[0]):
            heapq.heappop(self._dues)
        due = self._dues[0][0] if self._dues else now + LONGEST_TURN
        for key, mask in self._selector.select(min(max(0.0, due - now), LONGEST_TURN)):
            parked = key.data
            if parked is None:
                try:
                    while self._woken_by.recv(4096):
                        pass
                except (BlockingIOError, OSError):
                    pass
                # After the bytes are read (a poke they swallowed would be lost) and before
                # the queues are: a wake from now on sends a byte again.
                self._poked = False
            elif mask & selectors.EVENT_READ and not self._still_there(parked):
                self._drop(parked)
            elif mask & selectors.EVENT_WRITE:
                self._flush(parked)
        while self._arriving:
            self._admit(self._arriving.popleft())
        ready = set()
        while self._woken:
            ready.add(self._woken.popleft())
        now = time.monotonic()
        while self._dues and self._dues[0][0] <= now:
            entry = heapq.heappop(self._dues)
            if not self._stale(entry):
                ready.add(entry[2])
        for parked in ready:
            if parked.gone or parked.stream.done:  # a finished stream only sends its rest
                continue
            hint = parked.stream.take()
            if hint is not None or parked.due <= now:  # an event, or the wait ran out
                self._step(parked, hint)

    def _admit(self, parked: _Parked) -> None:
        def wake(parked: _Parked = parked) -> None:
            self._woken.append(parked)
            self._poke()

        parked.stream.wake = wake
        self._parked.add(parked)
        self._selector.register(parked.sock, selectors.EVENT_READ, parked)
        try:
            self._schedule(parked)
        except Exception:
            log.exception("event stream failed; the browser will reconnect")
            self._drop(parked)
            return
        self._woken.append(parked)  # an event may have come before the wake-up was set

    def _schedule(self, parked: _Parked) -> None:
        parked.due = time.monotonic() + parked.stream.seconds_to_wait()
        heapq.heappush(self._dues, (parked.due, id(parked), parked))

    @staticmethod
    def _stale(entry: tuple[float, int, _Parked]) -> bool:
        due, _, parked = entry
        return parked.gone or parked.stream.done or due != parked.due

    def _step(self, parked: _Parked, hint: dict | None) -> None:
        try:
            frames = parked.stream.step(hint)
            if not parked.stream.done:
                self._schedule(parked)
        except Exception:  # this stream only: the others go on
            log.exception("event stream failed; the browser will reconnect")
            self._drop(parked)
            return
        if frames:
            parked.queue(frames)
        if parked.stream.done and parked.chunked:
            parked.unsent += b"0\r\n\r\n"
        self._flush(parked)

    def _flush(self, parked: _Parked) -> None:
        try:
            while parked.unsent:
                sent = parked.sock.send(parked.unsent)
                del parked.unsent[:sent]
        except BlockingIOError:
            pass
        except OSError:
            self._drop(parked)
            return
        if len(parked.unsent) > MAX_UNSENT or (parked.stream.done and not parked.unsent):
            self._drop(parked)
            return
        watched = selectors.EVENT_READ | (selectors.EVENT_WRITE if parked.unsent else 0)
        if watched != parked.watched:  # most writes go out whole: nothing to change
            parked.watched = watched
            self._selector.modify(parked.sock, watched, parked)

    @staticmethod
    def _still_there(parked: _Parked) -> bool:
        try:
            return bool(parked.sock.recv(4096))  # a browser sends nothing more; b"" is gone
        except BlockingIOError:
            return True
        except OSError:
            return False

    def _drop(self, parked: _Parked) -> None:
        if parked.gone:
            return
        parked.gone = True
        parked.stream.close()
        self._parked.discard(parked)
        try:
            self._selector.unregister(parked.sock)
        except (KeyError, ValueError, RuntimeError):
            pass  # never registered, or the selector is closed already
        parked.sock.close()
