"""``flask gateway`` commands of Web Push (VAPID keys, the delivery worker) and the
embedded worker that runs beside the web server (started from gunicorn's hooks)."""

from __future__ import annotations

import asyncio
import gc
import signal

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from gateway.core.errors import GatewayError
from gateway.push import vapid
from gateway.push.runtime import EmbeddedWorker, PushRuntime
from gateway.push.worker import Worker


def _runtime(app: Flask | None = None) -> PushRuntime:
    return (app or current_app).extensions["push"]


def make_worker(app: Flask, **overrides) -> Worker:
    """A delivery worker for *app* (tests override the sleeper, the random source...)."""
    svc, push = app.extensions["gateway"], _runtime(app)
    overrides.setdefault("options", push.options)
    return Worker(store=svc.store, clock=svc.clock, wrap=push.wrap, receipts=push.receipts,
                  **overrides)


def ensure_vapid_key(app: Flask) -> str:
    """Make the first VAPID key if there is none; a line saying which key is in use."""
    svc = app.extensions["gateway"]
    key, created = vapid.ensure_key(svc.store, svc.clock, _runtime(app).wrap)
    return f"VAPID key {key.kid} {'created' if created else 'ready'}: {key.public_key}"


def start_embedded(app: Flask) -> EmbeddedWorker | None:
    """Start the delivery worker in a thread of this process, unless the operator runs it
    separately (GATEWAY_PUSH_WORKER=external)."""
    push = _runtime(app)
    if app.extensions["gateway"].settings.push_worker != "embedded":
        return None
    if push.embedded is None:
        push.embedded = EmbeddedWorker(lambda: make_worker(app))
    push.embedded.start()
    return push.embedded


def stop_embedded(app: Flask) -> None:
    push = _runtime(app)
    if push.embedded is not None:
        push.embedded.stop()


@click.command("vapid")
@with_appcontext
def vapid_show() -> None:
    """Make the VAPID key if missing, and list the keys (the current one subscribes)."""
    click.echo(ensure_vapid_key(current_app))
    with current_app.extensions["gateway"].store.read() as connection:
        for key in vapid.list_keys(connection):
            click.echo(f"  {key.state:8} {key.kid} created {key.created_at:%Y-%m-%d %H:%M}")


@click.command("vapid-rotate")
@with_appcontext
def vapid_rotate() -> None:
    """Make a new current VAPID key; older ones keep signing for their subscriptions."""
    svc = current_app.extensions["gateway"]
    key = vapid.rotate(svc.store, svc.clock, _runtime().wrap, actor=None)
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
    app = current_app._get_current_object()
    click.echo(ensure_vapid_key(app))

    async def main() -> None:
        stop = asyncio.Event()
        worker = make_worker(app)
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
