"""Fuzzing a running gateway with schemathesis, signed in the three ways its API knows.

``run(app, base_url, examples=...)`` loads the gateway's own
``/openapi.json``, signs a user's device, an admin's browser and an integration key in,
and runs schemathesis's engine (examples, coverage, fuzzing and stateful phases: what the
``schemathesis run`` command does) against the server. It answers with the number of
cases sent and every failure found, one line each.

The credentials are handed out again whenever an answer is 401 (schemathesis replays the
request once): the fuzzer signs itself out, revokes its own device or integration key, and
deletes sessions as it goes, and must not spend the rest of the run unauthenticated.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from dataclasses import dataclass, field

import schemathesis
from schemathesis.engine import events, from_schema
from schemathesis.engine.statistic import Statistic

from gateway.identity import integrations
from tests.support import Actions

# What the gateway must never do whatever it is sent: answer 5xx, answer with a status its
# document does not list, a content type it does not declare, a body that breaks the
# declared schema, or headers that break theirs; accept a request that breaks the schema,
# answer an operation that declares credentials without them, or answer a method it does
# not have with anything but 405.
CHECKS = {
    "not_a_server_error": True,
    "status_code_conformance": True,
    "content_type_conformance": True,
    "response_schema_conformance": True,
    "response_headers_conformance": True,
    # A body too large (413) or a QR login already over (410) is as good a refusal as 422.
    "negative_data_rejection": {"expected-statuses": [
        "400", "401", "403", "404", "405", "406", "409", "410", "413", "415", "422", "429"]},
    "ignored_auth": True,
    "unsupported_method": True,
    # A schema-valid body can still be refused by a rule no JSON schema states (a user that
    # does not exist, a return URL not on the allow-list, an image that does not decode).
    "positive_data_acceptance": False,
    # /api/v1/qr-logins/scan also matches GET /api/v1/qr-logins/<login_id> (a login named
    # "scan", which answers 404), so werkzeug's Allow lists GET there: true but not useful.
    "allow_header_conformance": False,
    # Stateful: a deleted resource stays gone, a created one can be read back.
    "use_after_free": True,
    "ensure_resource_availability": True,
}


ONE_PASS_SECONDS = 300  # a single pass takes about a minute; this bounds a slow machine


@dataclass
class Outcome:
    """What one run did: cases sent, answers by status, and the failures (one line each)."""

    cases: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stopped_by_time: bool = False
    seed: int | None = None

    def summary(self) -> str:
        answers = ", ".join(f"{status}: {n}" for status, n in sorted(self.statuses.items()))
        stopped = ", stopped by time" if self.stopped_by_time else ""
        return (f"{self.cases} cases (seed {self.seed}{stopped}); answers {answers}; "
                f"{len(self.failures)} failures, {len(self.errors)} errors")


class Credentials:
    """Fresh credentials of each security scheme the OpenAPI document declares, made on
    demand: a device of an ordinary user with every consent granted, an admin's browser
    session (cookie and CSRF token), and an integration key with every scope."""

    def __init__(self, app) -> None:
        self.app = app
        self.svc = app.extensions["gateway"]
        self.actions = Actions(app, app.test_client())
        self.serial = itertools.count(1)
        self.user, self.admin = self._account("fuzz-user"), self._account("fuzz-admin")
        self.actions.publish_policy()

    def _account(self, kind: str) -> str:
        """A new account of *kind*: the fuzzer, as an administrator, may disable an account
        or reset its password (what the admin API is for), so each kind is made again
        whenever its account can no longer sign in."""
        username = f"{kind}-{next(self.serial)}"
        if kind == "fuzz-admin":
            self.actions.create_user(username, role="admin")
        else:
            self.actions.create_user(username, groups=("sales",))
        return username

    def _signs_in(self, username: str) -> bool:
        from gateway.identity import accounts

        try:
            user = accounts.authenticate(self.svc.store, self.svc.passwords, username,
                                         "correct horse battery")
        except Exception:  # disabled, or its password reset by the fuzzer
            return False
        return not user.must_change_password

    def device_token(self) -> str:
        if not self._signs_in(self.user):
            self.user = self._account("fuzz-user")
        device = self.actions.device_sign_in(self.user,
                                             device_id=f"fuzz-phone-{next(self.serial)}")
        for purpose in ("camera", "push", "location"):
            self.actions.grant(device, purpose)
        return device.access_token

    def web_session(self) -> tuple[str, str, str]:
        """(cookie name, session id, CSRF token) of a new admin browser session."""
        if not self._signs_in(self.admin):
            self.admin = self._account("fuzz-admin")
        client = self.app.test_client()
        csrf = self.actions.web_sign_in(self.admin, client=client)["X-CSRF-Token"]
        cookie = client.get_cookie("gw_session") or client.get_cookie("__Host-gw_session")
        return cookie.key, cookie.value, csrf

    def integration_key(self) -> str:
        _, key = self.svc.identity.integrations.create(
            name=f"fuzz-{next(self.serial)}", scopes=sorted(integrations.SCOPES),
            created_by=None)
        return key


def _scheme(operation) -> str | None:
    """The one security scheme an operation of the gateway's document asks for."""
    for requirement in operation.definition.raw.get("security", ()):
        for name in requirement:
            return name
    return None


def _register_auth(schema, credentials: Credentials) -> None:
    """Make schemathesis ask *credentials* for each scheme, again after any 401."""

    class GatewayAuth:
        def get(self, case, context):
            scheme = _scheme(context.operation)
            if scheme == "deviceToken":
                return ("bearer", credentials.device_token())
            if scheme == "integrationKey":
                return ("bearer", credentials.integration_key())
            if scheme == "webSession":
                return ("session", *credentials.web_session())
            return None

        def set(self, case, data, context):
            case.headers = dict(case.headers or {})
            if data[0] == "bearer":
                case.headers["Authorization"] = f"Bearer {data[1]}"
            else:
                _, name, value, csrf = data
                case.cookies = {**(case.cookies or {}), name: value}
                case.headers["X-CSRF-Token"] = csrf

    schema.auth(cache_by_key=lambda case, context: _scheme(context.operation) or "-",
                retry_on=[401])(GatewayAuth)


def run(app, base_url: str, *, examples: int, seconds: int | None = None,
        seed: int | None = None) -> Outcome:
    """Fuzz the gateway served at *base_url* (whose app is *app*) with *examples* cases per
    operation and phase: every phase once (cut off after ``ONE_PASS_SECONDS``), or, given
    *seconds*, the fuzzing and stateful phases again and again until that time is up."""
    config = schemathesis.Config.from_dict({
        # No example database: nothing is written to the working tree.
        "generation": {"max-examples": examples, "database": "none"},
        "checks": {name: on if isinstance(on, dict) else {"enabled": on}
                   for name, on in CHECKS.items()},
        "request-timeout": 30,
        "cache": {"enabled": False},  # no .schemathesis/ in the working tree either
        **({"seed": seed} if seed is not None else {}),
        **({"max-time": seconds} if seconds else {}),
    })
    deadline = seconds + 60 if seconds else ONE_PASS_SECONDS
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=config)
    _register_auth(schema, Credentials(app))
    outcome, statistic = Outcome(seed=schema.config.seed), Statistic()
    started = time.monotonic()
    stream = from_schema(schema).execute()
    for event in stream:
        if isinstance(event, events.ScenarioFinished) and event.is_test_scenario:
            statistic.on_scenario_finished(event.recorder)
            outcome.statuses.update(i.response.status_code
                                    for i in event.recorder.interactions.values() if i.response)
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            outcome.errors.append(f"{getattr(event, 'label', 'engine')}: "
                                  f"{getattr(event, 'value', None) or event.exception}")
        if time.monotonic() - started > deadline and not outcome.stopped_by_time:
            outcome.stopped_by_time = True
            stream.stop()
    outcome.cases = statistic.total_cases
    for label, grouped in statistic.failures.items():
        for group in grouped.values():
            status = group.response.status_code if group.response else None
            for failure in group.failures:
                first_line = " ".join((failure.message or "").splitlines()[:1])
                outcome.failures.append(f"{label} -> {status}: {failure.title}: "
                                        f"{first_line[:200]}\n    {group.code_sample[:500]}")
    return outcome
