"""``/metrics`` in the Prometheus text format (prometheus-client).

The composition root registers each domain's collector (``Gateway.metrics``); collectors
read the store when scraped, so the numbers are the same whichever process
(web server, separate worker, another instance) did the work.

The numbers tell how the gateway is used, so ``/metrics`` is off by default: a scrape sends
the ``GATEWAY_METRICS_TOKEN`` as a bearer token, or ``GATEWAY_METRICS_OPEN`` serves it to
anyone (the doctor warns then).
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.core.errors import NotFound, Unauthenticated
from gateway.web.api import operation
from gateway.web.context import services
from gateway.web.limits import before_authentication

bp = Blueprint("metrics", __name__)


def _check_scraper() -> None:
    """Raises ``NotFound`` while /metrics is off, ``Unauthenticated`` without the token."""
    settings = services().settings
    if settings.metrics_token:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
                token.strip().encode("utf-8"), settings.metrics_token.encode("utf-8")):
            raise Unauthenticated("Send the scrape token as 'Authorization: Bearer ...'.")
    elif not settings.metrics_open:
        raise NotFound("/metrics is off. Set GATEWAY_METRICS_TOKEN to scrape it.")


@bp.get("/metrics")
@before_authentication  # a wrong token counts as failed authentication, like any other
@operation(summary="Metrics in the Prometheus text format (with the scrape token)",
           tag="meta", produces="text/plain", errors=(401, 404, 429))
def metrics():
    _check_scraper()
    return Response(generate_latest(services().metrics), mimetype=CONTENT_TYPE_LATEST)
