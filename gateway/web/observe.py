"""The access log of every request, written once the answer has started.

It sits around the whole WSGI application rather than in Flask's request hooks: it then
times the hooks too, sees answers a hook never would (an error in another hook), and
costs a waiting browser's status read far less than hooks that reach every value through
Flask's context proxies (tests/bench/bench_qrlogin.py).
"""

from __future__ import annotations

import time

from flask import Flask

from gateway.privacy.access_log import AccessLog

NETWORK_TYPE = "X-Network-Type"  # reported by the app: wifi, cellular, ethernet, ...
NETWORK_QUALITY = "X-Network-Quality"  # reported by the app: e.g. good, poor, 4g
UNMATCHED = "(unmatched)"
ROUTE_KEY = "gateway.route"  # the route of an answer made below Flask (hot_reads.py)


class AccessLogged:
    """WSGI middleware: one access-log entry per request.

    The route is the *template* Flask matched (never the raw path, which may carry a
    token); the address is ``REMOTE_ADDR`` after ProxyFix, which runs inside this
    middleware and rewrites the same environ.
    """

    def __init__(self, app, log: AccessLog) -> None:
        self.app = app
        self.log = log

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        status, route = "500", UNMATCHED

        def start(line, headers, exc_info=None):
            nonlocal status, route
            status = line
            # Flask starts the answer while its request is still current (it drops the
            # request from the environ when it finishes), so the matched rule is read here.
            rule = getattr(environ.get("werkzeug.request"), "url_rule", None)
            if rule is not None:
                route = rule.rule
            elif ROUTE_KEY in environ:
                route = environ[ROUTE_KEY]
            return start_response(line, headers, exc_info)

        try:
            return self.app(environ, start)
        finally:  # an error that got past Flask is logged too (as the 500 the server sends)
            self._write(environ, status, route, started)

    def _write(self, environ, status: str, route: str, started: float) -> None:
        self.log.write(
            method=environ.get("REQUEST_METHOD", ""),
            route=route,
            status=int(status[:3]),
            latency_ms=(time.perf_counter() - started) * 1000,
            ip=environ.get("REMOTE_ADDR"),
            network_type=environ.get("HTTP_X_NETWORK_TYPE", "")[:32] or None,
            network_quality=environ.get("HTTP_X_NETWORK_QUALITY", "")[:32] or None,
        )


def init_app(app: Flask) -> None:
    app.wsgi_app = AccessLogged(app.wsgi_app, app.extensions["gateway"].access_log)
