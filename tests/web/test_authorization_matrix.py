"""The authorisation matrix: every endpoint x every kind of caller, with the answer each
must get, checked against a real app (on SQLite and on PostgreSQL).

Requests aim at Alice's things (her device, report, grant, receipt, QR login, offer); the
subjects are described in ``tests/authz_support.py`` and what each endpoint is sent in
``tests/authz_requests.py``. A route the table does not list fails the suite, and so does
a row for a route that is gone.

Reading a row: ``401`` where credentials are missing or of the wrong kind, ``403`` where
they are the right kind but not enough (CSRF, role, scope, consent, another's QR flow),
``404`` where the thing belongs to someone else (as good as missing), ``2xx`` where the
caller may. Public endpoints and pages answer everyone alike. A caller whose account still
has its one-time password (``chpw``) gets ``403 password-change-required`` from every
endpoint that identifies it, but those to change the password, ask who it is and sign out.
"""

from __future__ import annotations

import pytest

from tests.authz_requests import request_for
from tests.authz_support import SUBJECTS, World
from tests.push_support import push_settings

# anonymous  user  other  noconsent (Alice's phone that refused every consent)  admin
# mustchange (Dave's browser and phone, signed in with a one-time password not yet replaced)
# integration (key with the endpoint's scope)  wrong_scope (key with every other scope)
MATRIX = """
                                                            anon  user other nocon admin  chpw integ wrong
GET    /                                                     200   200   200   200   200   200   200   200
GET    /.well-known/jwks.json                                200   200   200   200   200   200   200   200
GET    /.well-known/openid-configuration                     200   200   200   200   200   200   200   200
GET    /oidc/authorize                                       400   400   400   400   400   400   400   400
POST   /oidc/authorize                                       400   400   400   400   400   400   400   400
GET    /oidc/continue/<request_id>                           410   410   410   410   410   410   410   410
POST   /oidc/continue/<request_id>                           410   410   410   410   410   410   410   410
POST   /oidc/token                                           400   400   400   400   400   400   400   400
GET    /oidc/logout                                          200   200   200   200   200   200   200   200
POST   /oidc/logout                                          200   200   200   200   200   200   200   200
GET    /oidc/userinfo                                        401   401   401   401   401   401   401   401
POST   /oidc/userinfo                                        401   401   401   401   401   401   401   401
GET    /admin                                                302   403   403   302   200   302   302   302
GET    /admin/integrations                                   302   403   403   302   200   302   302   302
GET    /admin/applications                                   302   403   403   302   200   302   302   302
GET    /admin/partners                                       302   403   403   302   200   302   302   302
GET    /admin/policies                                       302   403   403   302   200   302   302   302
GET    /admin/push                                           302   403   403   302   200   302   302   302
GET    /admin/users                                          302   403   403   302   200   302   302   302
GET    /home                                                 302   200   200   302   200   302   302   302
GET    /api/v1/admin/setup                                   401   403   403   401   200   403   401   401
GET    /api/v1/web/devices                                   401   200   200   401   200   403   401   401
DELETE /api/v1/web/devices/<device_id>                       401   200   404   401   404   403   401   401
GET    /api/v1/admin/integrations                            401   403   403   401   200   403   401   401
POST   /api/v1/admin/integrations                            401   403   403   401   201   403   401   401
DELETE /api/v1/admin/integrations/<integration_id>           401   403   403   401   200   403   401   401
GET    /api/v1/admin/oidc-clients                            401   403   403   401   200   403   401   401
POST   /api/v1/admin/oidc-clients                            401   403   403   401   201   403   401   401
DELETE /api/v1/admin/oidc-clients/<client_id>                401   403   403   401   200   403   401   401
GET    /api/v1/admin/partners                                401   403   403   401   200   403   401   401
PUT    /api/v1/admin/partners/<name>                         401   403   403   401   204   403   401   401
GET    /api/v1/admin/policies/changes                        401   403   403   401   200   403   401   401
POST   /api/v1/admin/policies                                401   403   403   401   201   403   401   401
POST   /api/v1/admin/policies/preview                        401   403   403   401   200   403   401   401
GET    /api/v1/admin/push/alerts                             401   403   403   401   200   403   401   401
GET    /api/v1/admin/push/channel-stats                      401   403   403   401   200   403   401   401
GET    /api/v1/admin/push/channels                           401   403   403   401   200   403   401   401
POST   /api/v1/admin/push/alerts/<int:alert_id>/resolve      401   403   403   401   200   403   401   401
POST   /api/v1/admin/push/keys/<kid>/retire                  401   403   403   401   200   403   401   401
POST   /api/v1/admin/push/keys/rotate                        401   403   403   401   201   403   401   401
GET    /api/v1/admin/push/notifications                      401   403   403   401   200   403   401   401
POST   /api/v1/admin/push/notifications                      401   403   403   401   202   403   401   401
GET    /api/v1/admin/push/notifications/<notification_id>    401   403   403   401   200   403   401   401
GET    /api/v1/admin/push/settings                           401   403   403   401   200   403   401   401
PUT    /api/v1/admin/push/settings                           401   403   403   401   200   403   401   401
GET    /api/v1/admin/push/stats                              401   403   403   401   200   403   401   401
POST   /api/v1/admin/push/test                               401   403   403   401   202   403   401   401
GET    /api/v1/admin/push/topics                             401   403   403   401   200   403   401   401
PUT    /api/v1/admin/push/topics/<name>                      401   403   403   401   200   403   401   401
DELETE /api/v1/admin/push/topics/<name>                      401   403   403   401   204   403   401   401
GET    /api/v1/admin/users                                   401   403   403   401   200   403   401   401
POST   /api/v1/admin/users                                   401   403   403   401   201   403   401   401
PUT    /api/v1/admin/users/<user_id>/groups                  401   403   403   401   200   403   401   401
GET    /api/v1/admin/users/<user_id>                         401   403   403   401   200   403   401   401
POST   /api/v1/admin/users/<user_id>/disable                 401   403   403   401   200   403   401   401
POST   /api/v1/admin/users/<user_id>/enable                  401   403   403   401   200   403   401   401
POST   /api/v1/admin/users/<user_id>/password-reset          401   403   403   401   200   403   401   401
PUT    /api/v1/admin/users/<user_id>/role                    401   403   403   401   200   403   401   401
DELETE /api/v1/admin/users/<user_id>/sessions/<handle>       401   403   403   401   204   403   401   401
DELETE /api/v1/admin/users/<user_id>/devices/<device_id>     401   403   403   401   200   403   401   401
POST   /api/v1/auth/refresh                                  401   200   200   200   200   200   401   401
POST   /api/v1/auth/sign-in                                  200   200   200   200   200   200   200   200
POST   /api/v1/auth/sign-out                                 401   204   204   204   204   204   401   401
GET    /api/v1/consents                                      401   200   200   200   200   403   401   401
POST   /api/v1/consents                                      401   201   404   201   404   403   401   401
GET    /api/v1/consents/<event_id>/receipt                   401   200   404   200   404   403   401   401
DELETE /api/v1/consents/<purpose>                            401   200   404   200   404   403   401   401
GET    /api/v1/consents/<purpose>/notice                     401   200   200   200   200   403   401   401
GET    /api/v1/consents/history                              401   200   200   200   200   403   401   401
GET    /api/v1/devices                                       401   200   200   200   200   403   401   401
DELETE /api/v1/devices/<device_id>                           401   200   404   200   404   403   401   401
POST   /api/v1/devices/current/report                        401   200   200   200   200   403   401   401
POST   /api/v1/enrollments                                   401   201   201   401   201   403   401   401
GET    /api/v1/enrollments/<offer_id>                        401   200   403   401   403   403   401   401
POST   /api/v1/enrollments/<offer_id>/approve                401   200   403   401   403   403   401   401
POST   /api/v1/enrollments/<offer_id>/deny                   401   200   403   401   403   403   401   401
GET    /api/v1/enrollments/<offer_id>/events                 401   200   403   401   403   403   401   401
GET    /api/v1/enrollments/<offer_id>/phone                  401   200   401   401   401   401   401   401
GET    /api/v1/enrollments/<offer_id>/phone/events           401   200   401   401   401   401   401   401
GET    /api/v1/enrollments/<offer_id>/phone/wait             401   200   401   401   401   401   401   401
GET    /api/v1/enrollments/<offer_id>/qr.png                 401   200   403   401   403   403   401   401
GET    /api/v1/enrollments/<offer_id>/qr.svg                 401   200   403   401   403   403   401   401
POST   /api/v1/enrollments/<offer_id>/tokens                 401   200   401   401   401   401   401   401
GET    /api/v1/enrollments/<offer_id>/wait                   401   200   403   401   403   403   401   401
POST   /api/v1/enrollments/claim                             201   201   201   201   201   201   201   201
GET    /api/v1/me                                            401   200   200   200   200   200   401   401
PATCH  /api/v1/me                                            401   200   200   200   200   403   401   401
POST   /api/v1/me/delete                                     401   200   200   200   200   403   401   401
GET    /api/v1/me/disclosures                                401   200   200   200   200   403   401   401
GET    /api/v1/me/export                                     401   200   200   200   200   403   401   401
POST   /api/v1/me/password                                   401   204   204   204   204   204   401   401
POST   /api/v1/partners/<name>/disclosures                   401   401   401   401   401   401   201   403
GET    /api/v1/policies                                      200   200   200   200   200   200   200   200
GET    /api/v1/policy                                        200   200   200   200   200   200   200   200
GET    /api/v1/privacy/retention                             200   200   200   200   200   200   200   200
POST   /api/v1/policy/seen                                   401   204   204   204   204   403   401   401
GET    /api/v1/previews/current                              401   200   403   403   403   403   401   401
GET    /api/v1/previews/current/content                      401   200   403   403   403   403   401   401
GET    /api/v1/previews/current/snapshot                     401   200   403   403   403   403   401   401
POST   /api/v1/previews/open                                 401   201   403   403   403   403   401   401
GET    /api/v1/purposes                                      200   200   200   200   200   200   200   200
POST   /api/v1/push/notifications                            401   401   401   401   401   401   202   403
GET    /api/v1/push/notifications/<notification_id>          401   401   401   401   401   401   200   403
GET    /api/v1/push/quiet-hours                              401   200   200   200   200   403   401   401
PUT    /api/v1/push/quiet-hours                              401   200   200   200   200   403   401   401
DELETE /api/v1/push/quiet-hours                              401   204   204   204   204   403   401   401
POST   /api/v1/push/receipts                                 204   204   204   204   204   204   204   204
GET    /api/v1/push/subscription                             401   200   404   404   404   403   401   401
PUT    /api/v1/push/subscription                             401   200   200   403   200   403   401   401
DELETE /api/v1/push/subscription                             401   204   204   204   204   403   401   401
GET    /api/v1/push/topics                                   401   200   200   200   200   403   401   401
PUT    /api/v1/push/topics/<name>/opt-out                    401   204   204   204   204   403   401   401
DELETE /api/v1/push/topics/<name>/opt-out                    401   204   204   204   204   403   401   401
GET    /api/v1/push/vapid-key                                200   200   200   200   200   200   200   200
GET    /api/v1/inbox                                         401   200   200   200   200   403   401   401
GET    /api/v1/inbox/events                                  401   200   200   200   200   403   401   401
POST   /api/v1/inbox/read                                    401   200   200   200   200   403   401   401
POST   /api/v1/inbox/read-all                                401   200   200   200   200   403   401   401
GET    /api/v1/inbox/unread                                  401   200   200   200   200   403   401   401
POST   /api/v1/qr-logins                                     201   201   201   201   201   201   201   201
GET    /api/v1/qr-logins/<login_id>                          401   200   403   401   403   401   401   401
POST   /api/v1/qr-logins/<login_id>/confirm                  401   200   404   404   404   403   401   401
POST   /api/v1/qr-logins/<login_id>/deny                     401   200   404   404   404   403   401   401
GET    /api/v1/qr-logins/<login_id>/events                   401   200   403   401   403   401   401   401
GET    /api/v1/qr-logins/<login_id>/qr.png                   401   200   403   401   403   401   401   401
GET    /api/v1/qr-logins/<login_id>/qr.svg                   401   200   403   401   403   401   401   401
POST   /api/v1/qr-logins/<login_id>/redeem                   401   200   403   401   403   401   401   401
GET    /api/v1/qr-logins/<login_id>/wait                     401   200   403   401   403   401   401   401
POST   /api/v1/qr-logins/code                                401   200   200   200   200   403   401   401
POST   /api/v1/qr-logins/hold                                200   200   200   200   200   200   200   200
POST   /api/v1/qr-logins/scan                                401   200   200   403   200   403   401   401
GET    /api/v1/reports                                       401   200   200   401   200   403   401   401
GET    /api/v1/reports/<report_id>                           401   200   403   401   403   403   401   401
PUT    /api/v1/reports/<report_id>                           401   401   401   401   401   401   200   403
DELETE /api/v1/reports/<report_id>                           401   401   401   401   401   401   204   403
GET    /api/v1/reports/<report_id>/grants                    401   200   403   401   200   403   401   401
DELETE /api/v1/reports/<report_id>/grants                    401   200   403   401   200   403   401   401
DELETE /api/v1/reports/<report_id>/grants/<grant_id>         401   200   403   401   200   403   401   401
POST   /api/v1/reports/<report_id>/preview-links             401   201   403   401   403   403   401   401
GET    /api/v1/reports/<report_id>/snapshot                  401   200   403   401   403   403   401   401
GET    /api/v1/web/session                                   401   200   200   401   200   200   401   401
POST   /api/v1/web/sign-in                                   200   200   200   200   200   200   200   200
POST   /api/v1/web/sign-out                                  401   204   204   401   204   204   401   401
POST   /api/v1/web/password                                  401   200   200   401   200   200   401   401
GET    /app/                                                 200   200   200   200   200   200   200   200
GET    /app/code                                             200   200   200   200   200   200   200   200
GET    /app/connect                                          200   200   200   200   200   200   200   200
GET    /app/consent                                          200   200   200   200   200   200   200   200
GET    /app/consents                                         200   200   200   200   200   200   200   200
GET    /app/inbox                                            200   200   200   200   200   200   200   200
GET    /app/notifications                                    200   200   200   200   200   200   200   200
GET    /app/manifest.webmanifest                             200   200   200   200   200   200   200   200
GET    /app/preview                                          200   200   200   200   200   200   200   200
GET    /app/privacy                                          200   200   200   200   200   200   200   200
GET    /app/push-sw.js                                       200   200   200   200   200   200   200   200
GET    /app/scan                                             200   200   200   200   200   200   200   200
GET    /app/sign-in                                          200   200   200   200   200   200   200   200
GET    /change-password                                      200   200   200   200   200   200   200   200
GET    /c/<token>                                            200   200   200   200   200   200   200   200
GET    /connect                                              302   200   200   302   200   302   302   302
GET    /favicon.ico                                          200   200   200   200   200   200   200   200
GET    /healthz                                              200   200   200   200   200   200   200   200
GET    /login                                                200   200   200   200   200   200   200   200
GET    /metrics                                              404   404   404   404   404   404   404   404
GET    /openapi.json                                         200   200   200   200   200   200   200   200
GET    /i18n/<language>.json                                 200   200   200   200   200   200   200   200
PUT    /api/v1/language                                      204   204   204   204   204   204   401   401
GET    /p/<token>                                            200   200   200   200   200   200   200   200
GET    /policies                                             200   200   200   200   200   200   200   200
GET    /q/<token>                                            200   200   200   200   200   200   200   200
GET    /readyz                                               200   200   200   200   200   200   200   200
GET    /reports                                              302   200   200   302   200   302   302   302
GET    /reports/<report_id>                                  302   200   200   302   200   302   302   302
GET    /sign-in                                              200   200   200   200   200   200   200   200
GET    /static/<path:filename>                               200   200   200   200   200   200   200   200
"""


def _rows(table: str) -> dict[str, tuple[str, ...]]:
    rows = {}
    for line in table.strip().splitlines()[1:]:
        method, rule, *cells = line.split()
        assert len(cells) == len(SUBJECTS), line
        assert f"{method} {rule}" not in rows, f"{method} {rule} is listed twice"
        rows[f"{method} {rule}"] = tuple(cells)
    return rows


ROWS = _rows(MATRIX)
SAFE = ("GET", "HEAD")
# Answers in which the caller legitimately learns who Alice is: it sent her password.
HER_OWN_PASSWORD = {"POST /api/v1/auth/sign-in", "POST /api/v1/web/sign-in"}


@pytest.fixture
def settings(settings):
    # Rate limits off (one address makes hundreds of calls); pushes to 127.0.0.1 allowed; a
    # partner to share with.
    return push_settings(settings, partners=("crm",))


def routes(app) -> set[str]:
    return {f"{method} {rule.rule}" for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def scope_of(app, endpoint: str) -> str | None:
    method, rule = endpoint.split(" ", 1)
    found = next(r for r in app.url_map.iter_rules() if r.rule == rule and method in r.methods)
    operation = getattr(app.view_functions[found.endpoint], "operation", None)
    return operation.scope if operation else None


def answer(app, world: World, endpoint: str, who: str) -> tuple[int, bytes]:
    """Send *endpoint* as *who*; the status and (unless it streams) the body."""
    client, headers = world.caller(who, scope_of(app, endpoint))
    sent = request_for(endpoint, world, who)
    response = client.open(sent.path, method=endpoint.split(" ", 1)[0],
                           headers={**headers, **sent.headers}, json=sent.json, buffered=False)
    try:
        streams = response.mimetype == "text/event-stream"
        return response.status_code, b"" if streams else response.get_data()
    finally:
        response.close()


def matches(status: int, expected: str) -> bool:
    return str(status) == expected or (expected.endswith("xx") and str(status)[0] == expected[0])


def alices_marks(world: World) -> list[bytes]:
    return [mark.encode() for mark in (world.alice.id, world.username("alice"),
                                       world.alice_phone.device_id, world.secret_title)]


def test_the_matrix_lists_every_route_and_only_those(app):
    assert sorted(routes(app) - ROWS.keys()) == [], "routes missing from the matrix"
    assert sorted(ROWS.keys() - routes(app)) == [], "rows for routes that do not exist"


@pytest.mark.parametrize("endpoint", sorted(ROWS))
def test_each_caller_gets_the_declared_answer(app, endpoint):
    shared = World(app)
    wrong = []
    for who, expected in zip(SUBJECTS, ROWS[endpoint], strict=True):
        # A call that may change something gets a world of its own.
        world = shared if endpoint.split(" ", 1)[0] in SAFE else World(app)
        status, body = answer(app, world, endpoint, who)
        if not matches(status, expected):
            wrong.append(f"{who}: expected {expected}, got {status} {body[:160]!r}")
        elif who == "mustchange" and status == 403 and b"password-change-required" not in body:
            wrong.append(f"mustchange: refused, but not for its password: {body[:160]!r}")
        elif who == "other" and status < 300 and endpoint not in HER_OWN_PASSWORD:
            leaked = [m for m in alices_marks(world) if m in body]
            if leaked:
                wrong.append(f"other: the answer shows Alice's {leaked}")
    assert not wrong, "\n".join(wrong)
