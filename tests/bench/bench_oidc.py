"""Benchmark: OpenID Connect sign-in, from the phone's confirm to the relying party's
callback.

The gateway runs exactly as the run command starts it (``flask init``, then gunicorn with
``gateway/gunicorn_conf.py``), rate limits off for this one address. A relying party built
on Authlib's Flask client (``tests/oidc_rp.py``, configured with ``server_metadata_url``
as Superset is) sends a real desktop browser (headless Chromium) to the gateway's login
page; a phone (HTTP calls with its device key) types the code the page shows, reads the
number the page shows and confirms. Measured: from the confirm being sent to the relying
party's callback being entered (the browser noticed the confirmation, redeemed the login,
continued the authorization request and followed the redirect), p50 and p95 over 30
sign-ins, each in a fresh browser session. Target: p95 <= 1,000 ms.

Run as ``python -m tests.bench bench_oidc`` from the project root. Uses only 127.0.0.1.
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from playwright.sync_api import expect

from tests.bench.common import free_port, percentile, prepare_instance, serve_run_command

MEASURED = 30
TARGET_P95_MS = 1000.0
QR = "/api/v1/qr-logins"
CODE = re.compile(r"^[B-Z]{4}-[B-Z]{4}$")


def sign_in_phone(base: str) -> tuple[dict, ec.EllipticCurvePrivateKey]:
    from gateway.core.keys import public_jwk

    key = ec.generate_private_key(ec.SECP256R1())
    jwk = public_jwk(key.public_key())
    answer = requests.post(f"{base}/api/v1/auth/sign-in", timeout=10, json={
        "username": "alice", "password": "correct horse battery",
        "device": {"device_id": "bench-phone-oidc", "model": "Pixel 9", "os": "Android",
                   "os_version": "16", "app_version": "3.2.0",
                   "public_key": {n: jwk[n] for n in ("kty", "crv", "x", "y")}}})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}, key


def one_sign_in(context, rp, base, phone, key) -> float:
    """One whole sign-in; the milliseconds from confirm sent to the callback entered."""
    page = context.new_page()
    rp.called_back.clear()
    page.goto(f"{rp.base_url}/login")
    page.wait_for_url(f"{base}/login?oidc=*")
    expect(page.locator("#code")).to_have_text(CODE, timeout=10_000)
    scanned = phone.post(f"{base}{QR}/code", json={"code": page.text_content("#code")},
                         timeout=10).json()
    page.locator("#number").wait_for(state="visible")
    number = int(page.text_content("#number"))
    proof = jwt.encode({"aud": "qr-login", "rid": scanned["id"], "num": number, "act": "confirm",
                        "iat": int(time.time()), "jti": uuid.uuid4().hex}, key, algorithm="ES256")
    sent = time.perf_counter()
    answer = phone.post(f"{base}{QR}/{scanned['id']}/confirm", timeout=10,
                        json={"number": number, "proof": proof})
    assert answer.status_code == 200, answer.text
    assert rp.called_back.wait(15), "the relying party was never called back"
    arrived = rp.signed_in[-1][0]
    page.locator("#welcome").wait_for()
    page.close()
    context.clear_cookies()
    assert not rp.errors, rp.errors
    return (arrived - sent) * 1000


def main() -> int:
    from gateway.build import build_gateway
    from gateway.core.settings import Settings
    from tests.live_server import chromium
    from tests.oidc_rp import relying_party

    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        prepare_instance(instance)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {"GATEWAY_INSTANCE_PATH": str(instance), "GATEWAY_PASSWORD_HASH": "scrypt:1024:8:1",
               "GATEWAY_LOG_LEVEL": "WARNING", "GATEWAY_RATE_LIMITS_ENABLED": "false",
               "GATEWAY_PUBLIC_URL": base}
        registrar = build_gateway(Settings(instance_path=str(instance), public_url=base))
        process, base = serve_run_command(env, port=port)
        try:
            phone = requests.Session()
            headers, key = sign_in_phone(base)
            phone.headers.update(headers)
            with relying_party(registrar.oidc.clients, base) as rp, chromium() as browser:
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                one_sign_in(context, rp, base, phone, key)  # warm up: every path loaded
                times = [one_sign_in(context, rp, base, phone, key) for _ in range(MEASURED)]
        finally:
            process.terminate()
            process.wait(timeout=30)
            registrar.store.dispose()
    p50, p95 = statistics.median(times), percentile(times, 95)
    print(f"phone confirm -> relying party callback over {MEASURED} sign-ins: "
          f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {max(times):.0f} ms "
          f"(target p95 <= {TARGET_P95_MS:.0f} ms)")
    print("each, sorted (ms):", " ".join(f"{t:.0f}" for t in sorted(times)))
    return 0 if p95 <= TARGET_P95_MS else 1


if __name__ == "__main__":
    sys.exit(main())
