"""Companion Gateway: QR login, report preview and Web Push for a BI product's mobile app."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from gateway.core.clock import Clock
    from gateway.core.settings import Settings


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Flask:
    """Build the gateway (see ``gateway.web.factory.create_app``).

    Imported lazily so that loading a small module of the package (gunicorn's config,
    say) does not pull Flask, SQLAlchemy and the rest into a process that never serves.
    """
    from gateway.web.factory import create_app as build

    return build(settings, clock=clock)
