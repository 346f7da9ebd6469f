"""The running gateway's services and the caller's address, as the web layer sees them."""

from __future__ import annotations

from flask import current_app, request

from gateway.build import Gateway


def services() -> Gateway:
    """The gateway this app serves (built by ``gateway.build.build_gateway``)."""
    return current_app.extensions["gateway"]


def client_ip() -> str | None:
    """The caller's address; ProxyFix has already applied the trusted proxy count."""
    return request.remote_addr
