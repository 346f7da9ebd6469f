"""The run command's gunicorn worker: gthread, except that no thread waits on a client.

No thread waits on a request's head: the worker's poller gathers it, within a header
timeout and a bound on the connections held (``gateway/serving_heads.py``). Nor does one
wait on a browser watching a flow: an answer that is a flow's event stream
(``waiting.sse_response`` leaves it in the WSGI environ) gets its headers and first frames
written by the request's thread as usual; then the connection goes to the process's
``StreamHub`` (``gateway/web/parking.py``) and the thread is free for the next request.
Everything else is served as by gunicorn's ``gthread`` worker: ``handle_request`` below is
its own, with that branch added and an answer that leaves too much of a body unread saying
``Connection: close``.
"""

from __future__ import annotations

import sys
from datetime import datetime

from gunicorn import util
from gunicorn.http import wsgi
from gunicorn.http.body import ChunkedReader, LengthReader
from gunicorn.http.parser import _DRAIN_MAX_BYTES

from gateway.serving_heads import HeadGatheringWorker

PARKED, ANSWERED = "parked", "answered"


class Worker(HeadGatheringWorker):
    """``gunicorn -k gateway.serving.Worker``: gthread with heads gathered in the poller
    and parked event streams."""

    hub = None
    stream_key = None

    def init_process(self) -> None:
        # Imported in the worker, not at module level: gunicorn's master imports this
        # module too, and must stay small (it never serves a request).
        from gateway.web.parking import StreamHub
        from gateway.web.waiting import STREAM_KEY

        self.hub, self.stream_key = StreamHub(), STREAM_KEY
        super().init_process()

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
        super().finish_request(conn, fs)  # a head read ahead is gathered there

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
