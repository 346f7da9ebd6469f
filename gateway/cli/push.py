"""``flask gateway`` commands of Web Push: VAPID keys and the delivery worker."""

from __future__ import annotations

import asyncio
import gc
import signal

import click
from flask import current_app
from flask.cli import with_appcontext

from gateway.core.errors import GatewayError
from gateway.push import vapid


@click.command("vapid")
@with_appcontext
def vapid_show() -> None:
    """Make the VAPID key if missing, and list the keys (the current one subscribes)."""
    svc = current_app.extensions["gateway"]
    click.echo(svc.push.ensure_vapid_key())
    with svc.store.read() as connection:
        for key in vapid.list_keys(connection):
            click.echo(f"  {key.state:8} {key.kid} created {key.created_at:%Y-%m-%d %H:%M}")


@click.command("vapid-rotate")
@with_appcontext
def vapid_rotate() -> None:
    """Make a new current VAPID key; older ones keep signing for their subscriptions."""
    svc = current_app.extensions["gateway"]
    key = vapid.rotate(svc.store, svc.clock, svc.push.wrap, actor=None)
    click.echo(f"VAPID key {key.kid} is now current: {key.public_key}")


@click.command("vapid-retire")
@with_appcontext
@click.argument("kid")
def vapid_retire(kid: str) -> None:
    """Retire an older VAPID key: its devices are asked to subscribe again."""
    svc = current_app.extensions["gateway"]
    try:
        key = vapid.retire(svc.store, svc.clock, kid, actor=None)
    except GatewayError as error:
        raise click.ClickException(error.detail) from None
    click.echo(f"VAPID key {key.kid} retired")


@click.command("worker")
@with_appcontext
@click.option("--until-idle", is_flag=True,
              help="Exit once nothing is queued or pending (waiting out retries and leases).")
def worker_command(until_idle: bool) -> None:
    """Run the push delivery worker in this process until SIGTERM or Ctrl-C (use with
    GATEWAY_PUSH_WORKER=external on the web server)."""
    push = current_app.extensions["gateway"].push
    click.echo(push.ensure_vapid_key())

    async def main() -> None:
        stop = asyncio.Event()
        worker = push.make_worker()
        # What start-up allocated lives as long as the process: keep it out of the cyclic
        # collector's full passes, which a fan-out would otherwise trigger again and again.
        gc.freeze()
        if until_idle:
            try:
                await worker.settle()
            finally:
                worker.close()
            return
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(number, lambda: (stop.set(), worker.wake.set()))
        await worker.run(stop)

    asyncio.run(main())


COMMANDS = (vapid_show, vapid_rotate, vapid_retire, worker_command)
