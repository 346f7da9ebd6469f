"""Ending a companion's live inbox stream when its device may no longer read the inbox.

A stream is authenticated once, when it opens, and lives for minutes. Revoking the device,
signing it out (the user, a password change, an administrator) or disabling the account
must stop it at once, not when it next reconnects: each publishes an ``ended`` event on the
device's own channel, which its open streams listen to (``gateway.web.inbox_stream``).

The event is published from inside the transaction that ends the sign-in. Should that
transaction fail, a stream closed too early only reconnects, with a token still valid; the
companion waits a second (the stream's ``retry``) before it does, long after the commit of
a change that succeeds, so it cannot slip back in with the old sign-in.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from gateway.core.clock import Clock
from gateway.core.events import EventBus
from gateway.identity.device_tokens import SignOutHook
from gateway.identity.devices import RevocationHook
from gateway.identity.tables import token_families

ENDED = {"kind": "ended"}


def ended_channel(device_id: str) -> str:
    """The channel a device's open streams listen to for their end."""
    return f"inbox-device:{device_id}"


def enders(bus: EventBus) -> tuple[RevocationHook, SignOutHook]:
    """The reactions that end a device's streams on *bus*: one for a revoked device, one
    for a signed-out sign-in (token family)."""

    def on_device_revoked(connection: Connection, clock: Clock, user_id: str,
                          device_id: str) -> None:
        bus.publish(ended_channel(device_id), ENDED)

    def on_signed_out(connection: Connection, clock: Clock, family_id: str) -> None:
        device_id = connection.execute(select(token_families.c.device_id)
                                       .where(token_families.c.id == family_id)).scalar()
        if device_id is not None:
            bus.publish(ended_channel(device_id), ENDED)

    return on_device_revoked, on_signed_out
