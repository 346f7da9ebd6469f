"""``/metrics`` in the Prometheus text format (prometheus-client).

Each domain adds a collector to the app's registry (``registry(app).register(...)``);
collectors read the store when scraped, so the numbers are the same whichever process
(web server, separate worker, another instance) did the work.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from gateway.web.api import operation

bp = Blueprint("metrics", __name__)


def registry(app: Flask) -> CollectorRegistry:
    """The app's metrics registry, made on first use."""
    return app.extensions.setdefault("metrics", CollectorRegistry(auto_describe=True))


@bp.get("/metrics")
@operation(summary="Metrics in the Prometheus text format", tag="meta",
           produces="text/plain")
def metrics():
    return Response(generate_latest(registry(current_app)), mimetype=CONTENT_TYPE_LATEST)
