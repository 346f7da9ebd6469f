"""The run command's gunicorn worker, part one: no thread waits on a client's request head.

gunicorn's ``gthread`` worker gives a connection to a thread as soon as it is accepted (or,
kept alive, as soon as a byte arrives), and the thread then reads the request's head. A
client that connects and sends nothing, or sends its headers a byte at a time, holds a
thread meanwhile: 64 of them stop the server. Here the worker's poller gathers each
request's head (line and headers) itself, without a thread, and a thread only gets a
connection whose head is whole (the gathered bytes are handed to gunicorn's own parser).
A head still incomplete after ``GATEWAY_HEADER_TIMEOUT_SECONDS`` is closed. The worker
holds at most ``worker_connections`` connections (gunicorn's setting): past that, a new
one is answered 503 at once and closed, where gunicorn would stop accepting and leave
everyone, the clients being served included, waiting in the listen queue.

``HeadGatheringWorker`` is that worker; ``gateway.serving.Worker`` builds on it.
"""

from __future__ import annotations

import errno
import json
import selectors
import socket
import time
from collections import OrderedDict
from functools import partial

from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import TConn, ThreadWorker

ACCEPTS_PER_TURN = 128  # connections taken from the listen queue per poller wake-up
# The most a head may take while it is gathered: what nginx passes on by default (a line
# of 8 KiB at most, 32 KiB in all), so that thousands of heads cost megabytes, not
# gunicorn's own limit (800 KB each).
HEAD_LIMIT = 32 * 1024
_HEAD_ENDS = (b"\r\n\r\n", b"\n\n")  # gunicorn's parser accepts bare LF line ends too


def _head_complete(data: bytearray, start: int) -> bool:
    """Whether *data* holds a whole request head; only bytes from *start* on are new."""
    since = max(0, start - 3)
    return any(data.find(end, since) != -1 for end in _HEAD_ENDS)


def plain_answer(status: int, reason: str, slug: str, title: str, *extra: str) -> bytes:
    """A whole HTTP/1.1 problem answer (RFC 9457, the gateway's one error shape) that
    closes its connection, for the worker to send where no request reaches the app;
    *extra* are more header lines."""
    from gateway.web.problems import MEDIA_TYPE, problem_type

    body = json.dumps({"type": problem_type(slug), "title": title, "status": status,
                       "detail": title}).encode("utf-8")
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {MEDIA_TYPE}\r\n"
            f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\n"
            + "".join(f"{line}\r\n" for line in extra) + "Connection: close\r\n\r\n")
    return head.encode("ascii") + body


class _Conn(TConn):
    """gunicorn's connection, with the bytes of a head the poller gathered for it."""

    def __init__(self, cfg, sock, client, server) -> None:
        super().__init__(cfg, sock, client, server)
        self.head = bytearray()
        self.head_deadline = 0.0

    def init(self) -> None:
        fresh = self.parser is None
        super().init()
        if fresh and self.head:  # the parser reads the gathered head first
            self.parser.unreader.unread(bytes(self.head))
            self.head = bytearray()


class HeadGatheringWorker(ThreadWorker):
    """gthread whose poller, not a thread, reads each request's head, within a header
    timeout and a bound on the connections held."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # gunicorn stops accepting at worker_connections (its run loop compares it with
        # nr_conns); this worker keeps accepting and refuses past the bound instead.
        self.held_bound = self.cfg.worker_connections
        self.worker_connections = float("inf")
        self.heading: OrderedDict[_Conn, None] = OrderedDict()  # oldest deadline first
        self.header_timeout = 5.0
        self.busy_answer = self.too_large_answer = b""
        # Past this a head is refused without a thread (gunicorn's own limits, as its
        # parser counts them, when they are lower).
        self.head_limit = min(HEAD_LIMIT, self.cfg.limit_request_line
                              + self.cfg.limit_request_fields
                              * (self.cfg.limit_request_field_size + 2) + 4)

    def init_process(self) -> None:
        # Imported in the worker, not at module level: gunicorn's master imports this
        # module too, and must stay small (it never serves a request).
        from gateway.core.settings import Settings

        self.header_timeout = Settings.header_timeout_seconds  # until the app is loaded
        self.busy_answer = plain_answer(503, "Service Unavailable", "server-busy",
                                        "The server holds all the connections it can",
                                        "Retry-After: 1")
        self.too_large_answer = plain_answer(431, "Request Header Fields Too Large",
                                             "headers-too-large",
                                             "The request line and headers are too large")
        super().init_process()

    def load_wsgi(self) -> None:
        super().load_wsgi()
        services = getattr(self.wsgi, "extensions", {}).get("gateway")
        if services is not None:  # the gateway's settings (another app keeps the default)
            self.header_timeout = services.settings.header_timeout_seconds

    def accept(self, listener) -> None:
        for _ in range(ACCEPTS_PER_TURN):
            try:
                client, address = listener.accept()
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                    raise
                return
            if self.nr_conns >= self.held_bound:
                self._refuse(client, self.busy_answer)
                continue
            self.nr_conns += 1
            conn = _Conn(self.cfg, client, address, listener.getsockname())
            # Bytes under TLS are not a head, and HTTP/2 with prior knowledge reads its
            # preface itself: those go gunicorn's own way.
            if self.cfg.is_ssl or negotiation.prior_knowledge_allowed(self.cfg, address):
                client.setblocking(True)
                self.enqueue_req(conn)
            else:
                self._gather(conn)

    def _gather(self, conn: _Conn) -> None:
        """Wait in the poller, without a thread, until *conn* has sent a whole head."""
        conn.sock.setblocking(False)
        conn.head_deadline = time.monotonic() + self.header_timeout
        self.heading[conn] = None
        self.poller.register(conn.sock, selectors.EVENT_READ,
                             partial(self._on_head_bytes, conn))
        if conn.head and _head_complete(conn.head, 0):
            self._on_head_bytes(conn, conn.sock, read=False)

    def _on_head_bytes(self, conn: _Conn, _sock, read: bool = True) -> None:
        start = len(conn.head) if read else 0  # not read: the bytes held are all new
        if read:
            try:
                data = conn.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not data:  # the client went away
                self._forget(conn)
                conn.close()
                return
            conn.head += data
        if _head_complete(conn.head, start):
            self._stop_gathering(conn)
            conn.data_ready = True  # gunicorn's handle() need not wait for bytes
            if conn.parser is not None:  # kept alive: its parser reads this head first
                conn.parser.unreader.unread(bytes(conn.head))
                conn.head = bytearray()
            self.enqueue_req(conn)
        elif len(conn.head) > self.head_limit:
            self._forget(conn)
            self._refuse(conn.sock, self.too_large_answer)

    def _stop_gathering(self, conn: _Conn) -> None:
        self.heading.pop(conn, None)
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass

    def _forget(self, conn: _Conn) -> None:
        self._stop_gathering(conn)
        self.nr_conns -= 1

    @staticmethod
    def _refuse(client: socket.socket, answer: bytes) -> None:
        """Answer *client* at once and close: no thread, no waiting on it."""
        try:
            client.setblocking(False)
            try:  # what it sent already: closing on unread bytes would reset the answer away
                for _ in range(4):
                    if not client.recv(65536):
                        break
            except (BlockingIOError, InterruptedError):
                pass
            client.send(answer)
            client.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            client.close()

    def murder_pending(self) -> None:
        """Close the connections whose head is still incomplete past the header timeout
        (gunicorn's run loop calls this every turn, stopping included)."""
        super().murder_pending()
        now = time.monotonic()
        while self.heading:
            conn = next(iter(self.heading))
            if conn.head_deadline > now:
                break
            self._forget(conn)
            conn.close()

    def on_client_socket_readable(self, conn, client) -> None:
        """A kept-alive connection's next request is starting: gather its head too."""
        if self.cfg.is_ssl:
            super().on_client_socket_readable(conn, client)
            return
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._gather(conn)

    def finish_request(self, conn, fs):
        if (self.alive and isinstance(conn, _Conn) and conn.parser is not None
                and not self.cfg.is_ssl and not fs.cancelled() and fs.exception() is None
                and fs.result() is True):
            # The client sent part of its next request already (read ahead with this
            # one): gunicorn would give it a thread at once; its head is gathered first.
            ahead = conn.parser.unreader.take_buffered()
            if ahead:
                conn.head = bytearray(ahead)
                self._gather(conn)
                return
        super().finish_request(conn, fs)
