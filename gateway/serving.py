"""The run command's gunicorn worker: gthread, except that no thread waits on a client.

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

An answer that is a flow's event stream (``waiting.sse_response`` leaves it in the WSGI
environ) gets its headers and first frames written by the request's thread as usual; then
the connection goes to the process's ``StreamHub`` (``gateway/web/parking.py``) and the
thread is free for the next request. Everything else is served as by gunicorn's
``gthread`` worker: ``handle_request`` below is its own, with that branch added and an
answer that leaves too much of a body unread saying ``Connection: close``.
"""

from __future__ import annotations

import errno
import json
import selectors
import socket
import sys
import time
from collections import OrderedDict
from datetime import datetime
from functools import partial

from gunicorn import util
from gunicorn.http import wsgi
from gunicorn.http.body import ChunkedReader, LengthReader
from gunicorn.http.parser import _DRAIN_MAX_BYTES
from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import TConn, ThreadWorker

PARKED, ANSWERED = "parked", "answered"
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


class Worker(ThreadWorker):
    """``gunicorn -k gateway.serving.Worker``: gthread with parked event streams."""

    hub = None
    stream_key = None

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
        from gateway.web.parking import StreamHub
        from gateway.web.waiting import STREAM_KEY

        self.hub, self.stream_key = StreamHub(), STREAM_KEY
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

    # -- gathering heads in the poller -------------------------------------------------

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

    # -- parked event streams ----------------------------------------------------------

    def run(self) -> None:
        try:
            super().run()
        finally:
            self.hub.close()  # the browsers reconnect to the next worker

    def _park(self, req, resp, conn, environ, respiter) -> str | None:
        """Write the stream's first frames and hand its connection to the hub (PARKED),
        or answer a stream already final whole (ANSWERED); None if this answer is not a
        stream that can be parked (it is served as usual: over TLS terminated by gunicorn
        itself, for one, each waiting browser holds a thread)."""
        stream = environ.get(self.stream_key) if self.stream_key else None
        if (stream is None or req.method != "GET" or resp.status_code != 200
                or self.cfg.is_ssl or self.hub is None
                # Parked connections leave gunicorn's count, so they have a bound of their
                # own (the open-file limit is raised for both, see gunicorn_conf.py).
                or len(self.hub) >= self.cfg.worker_connections):
            return None
        if hasattr(respiter, "close"):
            respiter.close()  # before the stream starts: closing it then would unsubscribe
        # The hub closes the connection after the stream's last chunk: the answer says so,
        # or a client reusing the connection would send its next request into a reset.
        resp.force_close()
        try:
            resp.write(stream.start().encode("utf-8"))
        except BaseException:
            stream.close()
            raise
        if stream.done:  # the flow was already final: nothing to wait for
            return ANSWERED
        conn.parked = True  # before anything else can fail: the socket is the hub's now
        self.hub.park(resp.sock.dup(), stream, resp.chunked)
        return PARKED

    def finish_request(self, conn, fs):
        if getattr(conn, "parked", False):
            # Not gunicorn's graceful close: its half-close would end the stream the hub
            # now writes on a duplicate of this socket. Only this descriptor goes.
            self.nr_conns -= 1
            util.close(conn.sock)
            return
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

    @staticmethod
    def _undrainable(req) -> bool:
        """Whether more of *req*'s body is left unread than gunicorn drains before reusing
        the connection (it closes it then, whatever the answer said)."""
        body = getattr(req, "body", None)
        reader = getattr(body, "reader", None)
        if reader is None:
            return False
        if isinstance(reader, LengthReader):
            return reader.length > _DRAIN_MAX_BYTES
        if isinstance(reader, ChunkedReader):
            return reader.parser is not None  # not read to its end: its length is unknown
        return False

    def handle_request(self, req, conn):  # gunicorn 27's, with the _park branch
        environ = {}
        resp = None
        try:
            self.cfg.pre_request(self, req)
            request_start = datetime.now()
            resp, environ = wsgi.create(req, conn.sock, conn.client,
                                        conn.server, self.cfg)
            environ["wsgi.multithread"] = True
            self.nr += 1
            if self.nr >= self.max_requests:
                if self.alive:
                    self.log.info("Autorestarting worker after current request.")
                    self.alive = False
                resp.force_close()

            if not self.alive or not self.cfg.keepalive:
                resp.force_close()
            elif len(self.keepalived_conns) >= self.max_keepalived:
                resp.force_close()

            respiter = self.wsgi(environ, resp.start_response)
            # A refused body (413) or one otherwise left unread beyond what can be
            # drained: the answer says the connection closes, as it will.
            if resp.status_code == 413 or (resp.status_code and self._undrainable(req)):
                resp.force_close()
            handled = None
            try:
                handled = self._park(req, resp, conn, environ, respiter)
                if handled is None:
                    if isinstance(respiter, environ['wsgi.file_wrapper']):
                        resp.write_file(respiter)
                    else:
                        for item in respiter:
                            resp.write(item)
                if handled is not PARKED:
                    resp.close()
            finally:
                request_time = datetime.now() - request_start
                self.log.access(resp, req, environ, request_time)
                if handled is None and hasattr(respiter, "close"):
                    respiter.close()

            if handled is PARKED:
                return False  # the hub has the connection now (see finish_request)
            if resp.should_close():
                self.log.debug("Closing connection.")
                return False
        except OSError:
            # pass to next try-except level
            util.reraise(*sys.exc_info())
        except (Exception, SystemExit):
            if resp and resp.headers_sent:
                # Timeout abort is SystemExit. If we already started the
                # response, writing a 500 on the same socket corrupts it.
                self.log.exception("Error handling request")
                util.close_graceful(conn.sock)
                raise StopIteration()
            raise
        finally:
            try:
                self.cfg.post_request(self, req, environ, resp)
            except Exception:
                self.log.exception("Exception in post_request hook")

        return True
