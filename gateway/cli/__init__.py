"""``flask`` commands: migrate, make keys and the first admin, and run the embedded default."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from gateway.cli import push as push_commands
from gateway.consent import first_policy
from gateway.core import keys
from gateway.core.errors import Conflict
from gateway.core.settings import describe, markdown_table
from gateway.identity import accounts


def _services():
    return current_app.extensions["gateway"]


gateway_group = AppGroup(
    "gateway", help="Operate the gateway: worker, purge, verify, doctor. Add commands here."
)


@click.group("db", cls=AppGroup)
def db() -> None:
    """The store's schema."""


@db.command("upgrade")
@click.argument("revision", default="heads")
def db_upgrade(revision: str) -> None:
    """Apply the migrations (to REVISION, by default all of them)."""
    _services().store.upgrade(revision)
    click.echo(f"database migrated to {revision}")


PASSWORD_FILE = "one-time-password-{}.txt"  # in the keys folder, 0600


def _interactive() -> bool:
    """Whether a person reads the output (a terminal), rather than a journal or a log."""
    return sys.stdout.isatty()


def _password_file(username: str) -> Path:
    return _services().keys_dir / PASSWORD_FILE.format(username)


def _create_admin(username: str) -> None:
    """Make the admin and hand its one-time password over: on a terminal, printed once;
    otherwise (systemd, a pipe, a log) into a 0600 file in the keys folder whose path is
    printed, so the secret never lands in a journal."""
    password = accounts.one_time_password()
    _services().identity.accounts.create_user(
        username=username, password=password, display_name="Administrator", role="admin",
        must_change_password=True,
    )
    if _interactive():
        click.echo(f"created admin {username!r} with one-time password: {password}")
        click.echo("sign in at /sign-in and change it; it is not shown again.")
        return
    path = _password_file(username)
    path.unlink(missing_ok=True)  # a leftover from an earlier install: this one replaces it
    keys.write_private(keys.ensure_folder(path.parent) / path.name, f"{password}\n".encode())
    click.echo(f"created admin {username!r}; its one-time password is in {path} "
               "(readable by this user only)")
    click.echo("sign in at /sign-in and change it; the file goes at the next init.")


def _remove_spent_password_files() -> None:
    """Delete the one-time password files whose admin has chosen a password since."""
    folder = _services().keys_dir
    for path in sorted(folder.glob(PASSWORD_FILE.format("*"))):
        username = path.name.removeprefix("one-time-password-").removesuffix(".txt")
        user = accounts.find_user(_services().store, username)
        if user is None or not user.must_change_password:
            path.unlink(missing_ok=True)
            click.echo(f"removed {path}: the password in it no longer works")


@click.command("create-admin")
@with_appcontext
@click.option("--username", default="admin", show_default=True)
def create_admin(username: str) -> None:
    """Create an administrator with a one-time password, printed once on a terminal
    (written to a 0600 file in the keys folder otherwise)."""
    try:
        _create_admin(username)
    except Conflict as error:
        raise click.ClickException(error.detail) from None


@click.command("init")
@with_appcontext
def init() -> None:
    """First-start set-up, safe to repeat (systemd runs it at every start): migrate, make
    keys, make an admin if none, publish the first user agreement if none. It never prints
    a secret unless run on a terminal."""
    svc = _services()
    svc.store.upgrade()
    database = svc.store.engine.url.database
    if svc.store.dialect == "sqlite" and database:
        Path(database).chmod(0o600)  # personal data: readable by the gateway's user only
    click.echo(f"signing key {svc.keyring.active.kid} ready")
    click.echo(svc.push.ensure_vapid_key())
    _remove_spent_password_files()
    if not any(user.is_admin for user in svc.identity.accounts.list_users()):
        _create_admin("admin")
    # Nothing that needs a notice is collected before one is in effect (agreement 1.6).
    if first_policy.publish_first(svc.store, svc.clock, svc.catalogue):
        click.echo(f"user agreement version {first_policy.VERSION} published (Chinese and "
                   "English); publish your own from the admin console")


@click.command("settings")
@click.option("--markdown", is_flag=True, help="Print the README's settings table.")
def settings(markdown: bool) -> None:
    """List every GATEWAY_* setting with its default and help."""
    if markdown:
        click.echo(markdown_table())
        return
    for variable, default, help_text in describe():
        click.echo(f"{variable}={default}\n    {help_text}")


def init_app(app: Flask) -> None:
    from gateway.cli import consent as consent_commands
    from gateway.cli.operator import COMMANDS
    from gateway.cli.translations import translations

    for command in (*COMMANDS, *consent_commands.COMMANDS, *push_commands.COMMANDS,
                    translations):
        gateway_group.add_command(command)
    for command in (db, gateway_group, create_admin, init, settings):
        app.cli.add_command(command)
