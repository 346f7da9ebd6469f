"""Push settings: what the operator set in ``GATEWAY_PUSH_*`` and what the admin console
changed since (the VAPID subject, extra push service hosts), merged in one place."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select, update

from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.errors import InvalidRequest
from gateway.core.settings import Settings
from gateway.core.store import Store
from gateway.push.allowlist import DEFAULT_HOSTS, check_host_pattern
from gateway.push.subject import check_subject
from gateway.push.tables import config

MAX_EXTRA_HOSTS = 50


@dataclass(frozen=True)
class PushOptions:
    """The operator's push settings, as the domain needs them."""

    subject: str  # GATEWAY_PUSH_SUBJECT, or "" to fall back on the public URL
    public_url: str
    hosts: tuple[str, ...]  # GATEWAY_PUSH_HOSTS
    allow_insecure_local: bool
    concurrency: int = 512
    origin_concurrency: int = 512
    connect_timeout: float = 5.0
    send_timeout: float = 15.0
    encrypt_processes: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> PushOptions:
        return cls(
            subject=settings.push_subject, public_url=settings.public_url,
            hosts=settings.push_hosts,
            allow_insecure_local=settings.push_allow_insecure_local_endpoints,
            concurrency=settings.push_concurrency,
            origin_concurrency=settings.push_origin_concurrency,
            connect_timeout=settings.push_connect_timeout_seconds,
            send_timeout=settings.push_send_timeout_seconds,
            encrypt_processes=settings.push_encrypt_processes,
        )


@dataclass(frozen=True)
class PushConfig:
    """The settings in force now."""

    subject: str | None  # None: push cannot sign until one is set
    subject_source: str  # console, setting, public-url, none
    builtin_hosts: tuple[str, ...]
    operator_hosts: tuple[str, ...]
    console_hosts: tuple[str, ...]
    allow_insecure_local: bool

    @property
    def hosts(self) -> tuple[str, ...]:
        return self.builtin_hosts + self.operator_hosts + self.console_hosts


def _stored(connection: Connection, name: str):
    return connection.execute(select(config.c.value).where(config.c.name == name)).scalar()


def current(connection: Connection, options: PushOptions) -> PushConfig:
    """The merged push settings."""
    subject, source = _stored(connection, "subject"), "console"
    if not subject:
        subject, source = options.subject, "setting"
    if not subject:
        try:
            subject, source = check_subject(options.public_url), "public-url"
        except ValueError:
            subject, source = None, "none"
    return PushConfig(subject, source, DEFAULT_HOSTS, tuple(options.hosts),
                      tuple(_stored(connection, "hosts") or ()), options.allow_insecure_local)


def _put(connection: Connection, clock: Clock, name: str, value, actor: str | None) -> None:
    if value in (None, "", []):
        connection.execute(delete(config).where(config.c.name == name))
        return
    values = dict(value=value, updated_at=clock.now(), updated_by=actor)
    if connection.execute(update(config).where(config.c.name == name).values(**values)).rowcount:
        return
    connection.execute(insert(config).values(name=name, **values))


def change(store: Store, clock: Clock, options: PushOptions, *, subject: str | None = None,
           hosts: list[str] | None = None, actor: str | None) -> PushConfig:
    """Set the console's subject (``""`` clears it) and extra hosts (a full list).

    Raises ``InvalidRequest`` naming the field for a subject that is not an https URL or
    a real mailto: address, or a host that is not a host name pattern.
    """
    if subject:
        try:
            subject = check_subject(subject)
        except ValueError as error:
            raise InvalidRequest("The contact for push services is not usable: {reason}",
                                 params={"reason": error.args[0]}, field="subject") from None
    if hosts is not None:
        try:
            hosts = sorted({check_host_pattern(host) for host in hosts})
        except ValueError as error:
            raise InvalidRequest("A push service host is not usable: {reason}",
                                 params={"reason": error.args[0]}, field="hosts") from None
        if len(hosts) > MAX_EXTRA_HOSTS:
            raise InvalidRequest("Name at most {most} extra "
                                 "hosts.", params={"most": MAX_EXTRA_HOSTS},
                                 field="hosts")
    with store.write() as connection:
        if subject is not None:
            _put(connection, clock, "subject", subject, actor)
        if hosts is not None:
            _put(connection, clock, "hosts", hosts, actor)
        audit.record(connection, clock, "push.settings-changed", actor=actor,
                     details={"subject": subject, "hosts": hosts})
        return current(connection, options)
