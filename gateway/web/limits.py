"""Rate limits (flask-limiter): in memory by default, in Redis when one is configured (so a
limit reached on one instance holds on all of them).

Limits are keyed by the client address (after the trusted proxies) or by the account a
request names, so guessing one password from many addresses is limited as well. Failed
authentication is limited per address on every endpoint that takes credentials, checked
before the credentials are.
"""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_qualified_name

from gateway.web.bodies import peek_json
from gateway.web.context import client_ip, services

limiter = Limiter(key_func=lambda: f"ip:{client_ip()}", headers_enabled=True)


def by_address() -> str:
    return f"ip:{client_ip()}"


def by_account() -> str:
    """The username a sign-in names (read before validation; junk shares one bucket)."""
    body = peek_json()
    username = body.get("username") if isinstance(body, dict) else None
    return f"account:{str(username).strip().lower()[:64]}" if username else "account:?"


def sign_in_limit() -> str:
    return services().settings.sign_in_limit


def failed_authentication_limit() -> str:
    return services().settings.auth_failure_limit


def _refused_credentials(response) -> bool:
    return response.status_code == 401


# ``operation`` puts this on every view that declares credentials. The limit is tested
# before the credentials are, so a caller who keeps failing gets 429, not 401, whatever it
# sends next (the right credentials too, until the window passes); only a 401 counts. One
# bucket per address across all those views: guessing on many endpoints is guessing too.
before_authentication = limiter.shared_limit(
    failed_authentication_limit, scope="failed-authentication", key_func=by_address,
    deduct_when=_refused_credentials)


def init_app(app: Flask) -> None:
    settings = app.extensions["gateway"].settings
    app.config["RATELIMIT_ENABLED"] = settings.rate_limits_enabled
    app.config["RATELIMIT_STORAGE_URI"] = settings.redis_url or "memory://"
    # Redis unreachable: each instance limits in its own memory until Redis is back, rather
    # than failing every limited request.
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = bool(settings.redis_url)
    app.config["RATELIMIT_KEY_PREFIX"] = "gateway-limits"
    limiter.init_app(app)
    if limiter._check_request_limit in app.before_request_funcs[None]:  # limits are on
        _only_where_limited(app)


def _only_where_limited(app: Flask) -> None:
    # flask-limiter hooks into every request: a pass before it for application, default
    # and blueprint limits, and the rate-limit headers and request state after it. The
    # gateway declares no limits of those kinds: each sits on its view, whose decorator
    # does the checking. So the pass before goes, and the hooks after run only for views
    # that carry a limit, told the way flask-limiter tells them (by qualified name). On
    # the status read a waiting browser polls, the hooks cost a fifth of the time
    # (tests/bench/bench_qrlogin.py).
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    limited_endpoints: dict[str | None, bool] = {}

    def limited() -> bool:
        endpoint = request.endpoint
        if endpoint not in limited_endpoints:
            view = app.view_functions.get(endpoint)
            limited_endpoints[endpoint] = view is not None and (
                get_qualified_name(view) in limiter._marked_for_limiting)
        return limited_endpoints[endpoint]

    def ours(hook) -> bool:
        return getattr(hook, "__self__", None) is limiter or limiter in getattr(hook, "args", ())

    def after(hook):
        return lambda response: hook(response) if limited() else response

    def teardown(hook):
        return lambda error: hook(error) if limited() else None

    for hooks, guard in ((app.after_request_funcs[None], after),
                         (app.teardown_request_funcs[None], teardown)):
        hooks[:] = [guard(hook) if ours(hook) else hook for hook in hooks]
