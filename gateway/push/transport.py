"""HTTP requests to push services through libcurl (pycurl), driven by the worker's asyncio
event loop: one multi handle, its sockets in a selector of their own that the loop
watches, its timer on the loop.

libcurl does the HTTP itself, in C, with the GIL released: about half the CPU of an
aiohttp request per message, which is the worker process's largest cost in a fan-out.
It keeps connections alive (HTTP/2 where the push service offers it over TLS), caches
name lookups for a minute, follows no redirect, never reads a proxy from the
environment, and verifies TLS against the system's certificates. Every connection it
opens passes ``allow_address`` first (the SSRF rule): a refused address is never
connected to.
"""

from __future__ import annotations

import asyncio
import selectors
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass

import pycurl

BODY_READ = 4096  # bytes of an answer's body read at most (a short error text)
AGENT = "companion-gateway"
_EARLY = 0.001  # seconds a timer may fire before libcurl's deadline and still act
_EVENTS = {pycurl.POLL_IN: selectors.EVENT_READ, pycurl.POLL_OUT: selectors.EVENT_WRITE,
           pycurl.POLL_INOUT: selectors.EVENT_READ | selectors.EVENT_WRITE}
_ACTIONS = {selectors.EVENT_READ: pycurl.CSELECT_IN, selectors.EVENT_WRITE: pycurl.CSELECT_OUT,
            selectors.EVENT_READ | selectors.EVENT_WRITE: pycurl.CSELECT_IN | pycurl.CSELECT_OUT}


@dataclass(frozen=True)
class Answer:
    """What a push service answered."""

    status: int
    retry_after: str | None


class Failed(Exception):
    """No answer: *kind* is ``unsafe`` (only refused addresses), ``unresolved``,
    ``timeout`` or ``connection``; *reason* says what happened, for the admin."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind, self.reason = kind, reason


class _Call:
    """One easy handle and the request it carries now (handles are reused)."""

    def __init__(self, transport: Transport) -> None:
        self.curl = pycurl.Curl()
        self.transport = transport
        self.future: asyncio.Future | None = None
        self.retry_after: str | None = None
        self.read = self.refused = self.opened = 0
        self.sockets: list[socket.socket] = []
        transport.configure(self.curl)
        self.curl.setopt(pycurl.HEADERFUNCTION, self._header)
        self.curl.setopt(pycurl.WRITEFUNCTION, self._body)
        self.curl.setopt(pycurl.OPENSOCKETFUNCTION, self._open_socket)

    def start(self, url: str, body: bytes, headers: list[str],
              future: asyncio.Future) -> None:
        self.future, self.retry_after, self.read = future, None, 0
        self.refused = self.opened = 0
        self.curl.setopt(pycurl.URL, url)
        self.curl.setopt(pycurl.POSTFIELDS, body)
        self.curl.setopt(pycurl.HTTPHEADER, headers)

    def _header(self, line: bytes) -> None:
        if line[:12].lower() == b"retry-after:":
            self.retry_after = line[12:].strip().decode("latin-1")

    def _body(self, data: bytes) -> int:
        self.read += len(data)
        # Past BODY_READ the transfer stops (the status is known already): a push
        # service's error text is short, and nothing else in the body matters.
        return len(data) if self.read <= BODY_READ else 0

    def _open_socket(self, _purpose: int, address) -> socket.socket | int:
        if not self.transport.allow_address(address.addr[0]):
            self.refused += 1
            return pycurl.SOCKET_BAD
        self.opened += 1
        # pycurl connects a duplicate of this socket's descriptor: this one is closed
        # when the request is done (``done``).
        opened = socket.socket(address.family, address.socktype, address.protocol)
        self.sockets.append(opened)
        return opened

    def done(self) -> asyncio.Future | None:
        """The request is over: its future (None if none), its own sockets closed."""
        for opened in self.sockets:
            opened.close()
        self.sockets.clear()
        future, self.future = self.future, None
        return future


class Transport:
    """Sends POST requests; use from one event loop, ``close()`` when done."""

    def __init__(self, *, connect_timeout: float, total_timeout: float, connections: int,
                 per_host: int, allow_address: Callable[[str], bool]) -> None:
        self.allow_address = allow_address
        self._timeouts = (int(connect_timeout * 1000), int(total_timeout * 1000))
        self._loop = asyncio.get_running_loop()
        self._multi = pycurl.CurlMulti()
        self._multi.setopt(pycurl.M_SOCKETFUNCTION, self._watch)
        self._multi.setopt(pycurl.M_TIMERFUNCTION, self._schedule)
        self._multi.setopt(pycurl.M_MAX_TOTAL_CONNECTIONS, connections)
        self._multi.setopt(pycurl.M_MAX_HOST_CONNECTIONS, per_host)
        # libcurl's sockets are watched by a selector of their own, which the loop watches
        # as one: asyncio's add_reader and remove_reader for each socket as its transfers
        # come and go were 9 % of the worker's CPU in a fan-out.
        self._sockets = selectors.DefaultSelector()
        self._loop.add_reader(self._sockets.fileno(), self._ready)
        self._timer: asyncio.TimerHandle | None = None
        self._deadline: float | None = None  # the loop's time libcurl last asked to act at
        self._idle: list[_Call] = []
        self._busy: dict[pycurl.Curl, _Call] = {}
        verify = ssl.get_default_verify_paths()
        self._trust = (verify.cafile, verify.capath)

    def configure(self, curl: pycurl.Curl) -> None:
        """The options every request shares (set once per handle)."""
        connect, total = self._timeouts
        curl.setopt(pycurl.NOSIGNAL, 1)
        curl.setopt(pycurl.CONNECTTIMEOUT_MS, connect)
        curl.setopt(pycurl.TIMEOUT_MS, total)
        curl.setopt(pycurl.FOLLOWLOCATION, 0)
        curl.setopt(pycurl.PROTOCOLS, pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS)
        curl.setopt(pycurl.PROXY, "")  # no proxy from the environment: the SSRF rule
        curl.setopt(pycurl.DNS_CACHE_TIMEOUT, 60)
        curl.setopt(pycurl.USERAGENT, AGENT)
        cafile, capath = self._trust
        if cafile:
            curl.setopt(pycurl.CAINFO, cafile)
        if capath:
            curl.setopt(pycurl.CAPATH, capath)

    def post(self, url: str, body: bytes, headers: list[str]) -> asyncio.Future:
        """A future of the ``Answer`` to POSTing *body* to *url*; it raises ``Failed``."""
        call = self._idle.pop() if self._idle else _Call(self)
        future = self._loop.create_future()
        # "Expect:" keeps libcurl from waiting for a 100 Continue before larger bodies.
        call.start(url, body, [*headers, "Expect:"], future)
        self._busy[call.curl] = call
        self._multi.add_handle(call.curl)
        return future

    def close(self) -> None:
        """Fail what is still out and let go of every handle and socket."""
        for call in list(self._busy.values()):
            self._finish(call, Failed("connection", "the worker stopped"))
        self._loop.remove_reader(self._sockets.fileno())
        self._sockets.close()
        if self._timer is not None:
            self._timer.cancel()
        for call in self._idle:
            call.curl.close()
        self._idle = []
        self._multi.close()

    # -- libcurl's callbacks and the loop ---------------------------------------------

    def _watch(self, event: int, fd: int, _multi, _data) -> None:
        """libcurl's socket callback: watch *fd* for what libcurl waits for now."""
        if event == pycurl.POLL_REMOVE:
            try:
                self._sockets.unregister(fd)
            except (KeyError, OSError):  # closed already, or never watched
                pass
            return
        if fd in self._sockets.get_map():
            try:
                self._sockets.modify(fd, _EVENTS[event])
                return
            except OSError:  # its number was closed and reused unseen: watched anew
                pass
        self._sockets.register(fd, _EVENTS[event])

    def _schedule(self, milliseconds: int) -> None:
        """libcurl's timer callback: act on timeouts after *milliseconds* (-1: none)."""
        # A timer due sooner than the new deadline is kept, and when it fires early it is
        # armed again for the deadline: moving the loop's timer each time libcurl asks (as
        # every transfer is added and done) was 5 % of the worker's CPU in a fan-out.
        self._deadline = None if milliseconds < 0 else self._loop.time() + milliseconds / 1000
        if self._deadline is not None and (self._timer is None
                                           or self._timer.when() > self._deadline):
            self._arm(self._deadline)

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_at(when, self._timed_out)

    def _timed_out(self) -> None:
        self._timer = None
        if self._deadline is None:  # libcurl has nothing to time out now
            return
        if self._deadline > self._loop.time() + _EARLY:  # libcurl's deadline moved later
            self._arm(self._deadline)
            return
        self._act([(pycurl.SOCKET_TIMEOUT, 0)])
        if self._timer is None and self._deadline is not None:
            # libcurl names a deadline only when it changes: an unchanged one still holds.
            self._arm(max(self._deadline, self._loop.time() + _EARLY))

    def _ready(self) -> None:
        """Some of libcurl's sockets are ready: tell libcurl about each of them at once."""
        self._act([(key.fd, _ACTIONS[mask]) for key, mask in self._sockets.select(0)])

    def _act(self, events: list[tuple[int, int]]) -> None:
        for fd, action in events:
            while self._multi.socket_action(fd, action)[0] == pycurl.E_CALL_MULTI_PERFORM:
                pass
        while True:
            queued, done, failed = self._multi.info_read()
            for curl in done:
                call = self._busy[curl]
                self._finish(call, Answer(curl.getinfo(pycurl.RESPONSE_CODE), call.retry_after))
            for curl, code, message in failed:
                self._finish(self._busy[curl], self._failure(self._busy[curl], code, message))
            if not queued:
                break

    def _failure(self, call: _Call, code: int, message: str) -> Answer | Failed:
        status = call.curl.getinfo(pycurl.RESPONSE_CODE)
        if code == pycurl.E_WRITE_ERROR and status:  # the body was cut short on purpose
            return Answer(status, call.retry_after)
        if code == pycurl.E_COULDNT_CONNECT and call.refused and not call.opened:
            return Failed("unsafe", message)
        if code == pycurl.E_COULDNT_RESOLVE_HOST:
            return Failed("unresolved", message)
        if code == pycurl.E_OPERATION_TIMEDOUT:
            return Failed("timeout", message)
        return Failed("connection", message)

    def _finish(self, call: _Call, outcome: Answer | Failed) -> None:
        self._multi.remove_handle(call.curl)
        del self._busy[call.curl]
        future = call.done()
        self._idle.append(call)
        if future is None or future.done():  # the sender gave up waiting (cancelled)
            return
        if isinstance(outcome, Failed):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
