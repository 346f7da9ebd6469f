"""``flask gateway`` commands of the consent ledger: verify its chain, publish a policy."""

from __future__ import annotations

from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from gateway import consent
from gateway.consent.policy_texts import PolicyText
from gateway.core.errors import GatewayError


def _services():
    return current_app.extensions["gateway"]


@click.command("verify-consent")
@with_appcontext
def verify_consent() -> None:
    """Check the consent ledger's hash chain and the policy texts; name the first break."""
    with _services().store.read() as connection:
        report = consent.verify_chain(connection)
        altered = consent.verify_texts(connection)
    for version in altered:
        click.echo(f"policy version {version!r}: its text no longer matches its hash")
    if not report.intact:
        where = f"event #{report.broken_seq}" if report.broken_seq is not None else "the ledger"
        if report.broken_id:
            where += f" (id {report.broken_id})"
        raise click.ClickException(f"consent ledger broken at {where}: {report.reason}")
    if altered:
        raise click.ClickException("policy texts were altered")
    click.echo(f"consent ledger intact: {report.events} events, head {report.head_hash}")


@click.command("publish-policy")
@with_appcontext
@click.option("--version", "version", required=True, help="The version label, e.g. 2.0.")
@click.option("--text-zh", "text_zh", required=True, type=click.File(encoding="utf-8"),
              help="File holding the agreement's full text in Chinese.")
@click.option("--text-en", "text_en", required=True, type=click.File(encoding="utf-8"),
              help="File holding the agreement's full text in English.")
@click.option("--summary-zh", required=True, help="What changed, in Chinese.")
@click.option("--summary-en", required=True, help="What changed, in English.")
@click.option("--changes", default="", help="Comma-separated purposes this version changes.")
@click.option("--effective-at", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z"]), default=None,
              help="When it takes effect (ISO 8601 with offset); default now.")
def publish_policy(version: str, text_zh, text_en, summary_zh: str, summary_en: str,
                   changes: str, effective_at: datetime | None) -> None:
    """Publish a policy version in Chinese and English (immutable afterwards), as the admin
    API does."""
    svc = _services()
    try:
        policy = consent.publish_policy(
            svc.store, svc.clock, svc.catalogue, version=version,
            texts={"zh": PolicyText(summary_zh, text_zh.read()),
                   "en": PolicyText(summary_en, text_en.read())},
            changes=[c.strip() for c in changes.split(",") if c.strip()],
            effective_at=effective_at)
    except GatewayError as error:
        raise click.ClickException(error.detail) from None
    click.echo(f"published policy version {policy.version}, in effect from "
               f"{policy.effective_at.isoformat()}")


COMMANDS = (verify_consent, publish_policy)
