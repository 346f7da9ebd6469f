"""The access log of every request, written after the answer is made."""

from __future__ import annotations

import time

from flask import Flask, Response, current_app, g, request

from gateway.web.context import client_ip

NETWORK_TYPE = "X-Network-Type"  # reported by the app: wifi, cellular, ethernet, ...
NETWORK_QUALITY = "X-Network-Quality"  # reported by the app: e.g. good, poor, 4g


def _start() -> None:
    g.started = time.perf_counter()


def _log(response: Response) -> Response:
    started = g.get("started")
    if started is not None:
        current_app.extensions["access_log"].write(
            method=request.method,
            route=request.url_rule.rule if request.url_rule else "(unmatched)",
            status=response.status_code,
            latency_ms=(time.perf_counter() - started) * 1000,
            ip=client_ip(),
            network_type=request.headers.get(NETWORK_TYPE, "")[:32] or None,
            network_quality=request.headers.get(NETWORK_QUALITY, "")[:32] or None,
        )
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_log)
