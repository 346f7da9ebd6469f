"""The set-up checklist: the deployment check (``gateway.core.doctor``) and what only the
store knows (is a user agreement published, has push a contact), each item with where it
is fixed. The admin home shows it; ``flask gateway doctor`` prints it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gateway import consent
from gateway.build import Gateway
from gateway.core import doctor
from gateway.core.languages import N_
from gateway.push import config as push_config


@dataclass(frozen=True)
class Item:
    level: str  # ok, warn, fail
    check: str  # fixed English, translated where shown
    advice: str  # empty when ok; fixed English with "{name}" for each of params
    fix_url: str | None = None  # the page where it is fixed, when a page can
    params: dict[str, str] = field(default_factory=dict)

    def english(self, text: str) -> str:
        """*text* (the check or the advice) in English, its params filled in (for the
        command line)."""
        return text.format(**self.params) if self.params else text


def _item(ok: bool, check: str, advice: str, level: str = "fail",
          fix_url: str | None = None) -> Item:
    return Item("ok" if ok else level, check, "" if ok else advice, fix_url)


def checklist(gateway: Gateway) -> list[Item]:
    """Every item of the checklist with its verdict, in a stable order."""
    settings = gateway.settings
    with gateway.store.read() as connection:
        policy = consent.current_policy(connection, gateway.clock)
        subject = push_config.current(connection, gateway.push.options).subject
    items = [
        _item(policy is not None, N_("A user agreement is in effect"),
              N_("Nothing that needs a notice is collected until one is: publish a version "
                 "in Chinese and English on the user agreement page."),
              fix_url="/admin/policies"),
        _item(bool(subject), N_("Push services can reach the operator (VAPID contact)"),
              N_("Set a contact address for push services, or they may refuse notifications."),
              level="warn", fix_url="/admin/push"),
        _item(settings.rate_limits_enabled, N_("Rate limits are on"),
              N_("Set GATEWAY_RATE_LIMITS_ENABLED=true: without limits, passwords and sign-in "
                 "codes can be guessed.")),
        _item(not settings.push_allow_insecure_local_endpoints,
              N_("The push test switch is off"),
              N_("GATEWAY_PUSH_ALLOW_INSECURE_LOCAL_ENDPOINTS is for tests only: turn it off, "
                 "it lets anyone make the gateway call addresses inside your network.")),
        _item(bool(settings.geoip_database) and Path(settings.geoip_database).is_file(),
              N_("Places of sign-ins are known (GeoIP database)"),
              N_("Set GATEWAY_GEOIP_DATABASE to a MaxMind GeoLite2 City file, so that phones "
                 "are told where a sign-in comes from."), level="warn"),
    ]
    found = doctor.inspect(settings, database_url=str(gateway.store.engine.url),
                           keys_dir=gateway.keys_dir, now=gateway.clock.now())
    return items + [Item(f.level, f.check, f.advice, params=f.params) for f in found]
