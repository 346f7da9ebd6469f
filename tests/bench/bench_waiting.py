"""Benchmark: scan to log in under gunicorn, as the run command serves it.

1. The status read (``GET /api/v1/qr-logins/<id>`` with the browser's cookie) against a
   bare Flask endpoint returning a JSON body of the same size, both served by gunicorn with
   the worker settings of ``gateway/gunicorn_conf.py`` (one process, its worker class), measured
   side by side in interleaved rounds by one asyncio client with keep-alive connections.
   The gateway runs with its defaults (rate limits on). Target: the status read reaches
   >= 70 % of the bare endpoint's req/s.
2. The embedded default exactly as the run command starts it (``flask init``, then
   ``gunicorn --config python:gateway.gunicorn_conf``: push worker and housekeeping in the
   process), rate limits off for this one address:
   - memory: the RSS of its whole process tree idle after start (target < 150 MB), after
     one browser's login (the code paths loaded), and with 1,000 other browsers holding
     event streams open (target: they add < 50 MB);
   - the time from a phone's confirm returning to the waiting desktop receiving the
     ``confirmed`` event (SSE) while those 1,000 wait; p50 and p95 over 60 logins.
     Target: p95 <= 250 ms.

Run as ``python -m tests.bench bench_qrlogin`` from the project root. Uses only
127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from tests.bench.common import (
    next_event,
    percentile,
    prepare_instance,
    raise_fd_limit,
    serve,
    serve_run_command,
    settled_rss_mb,
)

READ_TARGET = 0.70
LATENCY_TARGET_MS = 250.0
IDLE_TARGET_MB = 150.0
WAITING_TARGET_MB = 50.0
ROUNDS = 5
ROUND_SECONDS = 2.0
CONNECTIONS = 8
OTHERS = 1000
MEASURED = 60


def bare_app():
    """A Flask app with one JSON endpoint and nothing else: the yardstick."""
    from flask import Flask

    app = Flask("bare")
    body = ('{"id":"0123456789abcdef0123456789abcdef","state":"pending","number":null,'
            '"expires_at":"2026-11-28T12:02:00Z","expires_in":118,"rotation":0,'
            '"rotates_at":"2026-11-28T12:00:30Z","rotates_in":28.5}')

    @app.get("/bare")
    def bare():
        return app.response_class(body, mimetype="application/json")

    return app


def gateway_env(instance: Path, rate_limits: bool = True) -> dict:
    """The gateway's environment: its defaults, except a cheap password hash and, for the
    latency run (a thousand logins and their streams from one address), rate limits off and
    the streams per address raised to them (the total stays the default)."""
    env = {"GATEWAY_INSTANCE_PATH": str(instance), "GATEWAY_PASSWORD_HASH": "scrypt:1024:8:1",
           "GATEWAY_LOG_LEVEL": "WARNING", "GATEWAY_RATE_LIMITS_ENABLED": str(rate_limits).lower()}
    if not rate_limits:
        env["GATEWAY_STREAMS_PER_ADDRESS"] = str(OTHERS + 10)
    return env


async def hammer(session: aiohttp.ClientSession, url: str, headers: dict, seconds: float) -> float:
    """Requests per second over *seconds* from CONNECTIONS keep-alive connections."""
    count = 0
    deadline = time.perf_counter() + seconds

    async def worker():
        nonlocal count
        while time.perf_counter() < deadline:
            async with session.get(url, headers=headers) as response:
                await response.read()
                assert response.status == 200, response.status
            count += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    return count / (time.perf_counter() - started)


async def start_login(session, base) -> tuple[dict, str]:
    async with session.post(f"{base}/api/v1/qr-logins", json={}) as response:
        body = await response.json()
        assert response.status == 201, body
        return body, response.cookies["gw_qr"].value


async def read_speeds(base: str, bare: str) -> dict[str, list[float]]:
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as session:
        login, secret = await start_login(session, base)
        targets = {
            "bare Flask endpoint": (f"{bare}/bare", {}),
            "status read": (f"{base}/api/v1/qr-logins/{login['id']}", {"Cookie": f"gw_qr={secret}"}),
            # For context: the gateway's own cheapest endpoint, with its access log,
            # security headers and the rest that every answer of the gateway pays for.
            "gateway /healthz": (f"{base}/healthz", {}),
        }
        for url, headers in targets.values():  # warm up both
            await hammer(session, url, headers, 0.5)
        speeds = {name: [] for name in targets}
        names = list(targets)
        for round_no in range(ROUNDS):
            for name in names if round_no % 2 == 0 else reversed(names):
                speeds[name].append(await hammer(session, *targets[name], ROUND_SECONDS))
        return speeds


# -- part 2: confirm -> event latency -----------------------------------------------------------

async def sign_in_phone(session, base) -> tuple[dict, ec.EllipticCurvePrivateKey]:
    from gateway.core.keys import public_jwk

    key = ec.generate_private_key(ec.SECP256R1())
    jwk = public_jwk(key.public_key())
    async with session.post(f"{base}/api/v1/auth/sign-in", json={
        "username": "alice", "password": "correct horse battery",
        "device": {"device_id": "bench-phone-1", "model": "Pixel 9", "os": "Android",
                   "os_version": "16", "app_version": "3.2.0",
                   "public_key": {n: jwk[n] for n in ("kty", "crv", "x", "y")}}}) as response:
        body = await response.json()
        assert response.status == 200, body
    return {"Authorization": f"Bearer {body['access_token']}"}, key


async def hold_stream(session, base, ready: asyncio.Event, stop: asyncio.Event, opened: list):
    """One other browser: a login of its own and its event stream, held open."""
    login, secret = await start_login(session, base)
    async with session.get(f"{base}{login['wait']['events']}",
                           headers={"Cookie": f"gw_qr={secret}"}) as response:
        assert await next_event(response.content) == "pending"
        opened.append(1)
        if len(opened) == OTHERS:
            ready.set()
        await stop.wait()


async def measure_one(session, base, phone_headers, key) -> tuple[float, float]:
    login, secret = await start_login(session, base)
    token = login["qr"].rsplit("/", 1)[1]
    # A stream's connection ends with the stream (the hub closes it), as a browser's
    # EventSource connection does: not put back in the pool for the next request.
    async with session.get(f"{base}{login['wait']['events']}",
                           headers={"Cookie": f"gw_qr={secret}", "Connection": "close"}
                           ) as stream:
        assert await next_event(stream.content) == "pending"
        async with session.post(f"{base}/api/v1/qr-logins/scan", headers=phone_headers,
                                json={"token": token}) as response:
            assert response.status == 200, await response.text()
        assert await next_event(stream.content) == "scanned"
        async with session.get(f"{base}/api/v1/qr-logins/{login['id']}",
                               headers={"Cookie": f"gw_qr={secret}"}) as response:
            number = (await response.json())["number"]
        proof = jwt.encode({"aud": "qr-login", "rid": login["id"], "num": number,
                            "act": "confirm", "iat": int(time.time()), "jti": uuid.uuid4().hex},
                           key, algorithm="ES256")
        event = asyncio.ensure_future(next_event(stream.content))
        sent = time.perf_counter()
        async with session.post(f"{base}/api/v1/qr-logins/{login['id']}/confirm",
                                headers=phone_headers,
                                json={"number": number, "proof": proof}) as response:
            assert response.status == 200, await response.text()
            await response.read()
        returned = time.perf_counter()
        assert await asyncio.wait_for(event, 10) == "confirmed"
        seen = time.perf_counter()
    return max(0.0, seen - returned) * 1000, (seen - sent) * 1000


async def latencies(base: str, pid: int, memory: dict[str, float]
                    ) -> tuple[list[float], list[float]]:
    """Confirm -> event latencies with OTHERS streams open; fills *memory* on the way."""
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        phone_headers, key = await sign_in_phone(session, base)
        await measure_one(session, base, phone_headers, key)  # one whole login first
        memory["after one login"] = await asyncio.to_thread(settled_rss_mb, pid)
        ready, stop, opened = asyncio.Event(), asyncio.Event(), []
        holders = [asyncio.ensure_future(hold_stream(session, base, ready, stop, opened))
                   for _ in range(OTHERS)]
        await asyncio.wait_for(ready.wait(), 120)
        memory[f"{OTHERS} browsers waiting"] = await asyncio.to_thread(settled_rss_mb, pid)
        after_return, after_send = [], []
        for _ in range(MEASURED):
            returned, sent = await measure_one(session, base, phone_headers, key)
            after_return.append(returned)
            after_send.append(sent)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*holders), 60)
    return after_return, after_send


def main() -> int:
    raise_fd_limit()
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        prepare_instance(instance)
        env = gateway_env(instance)
        from gateway import gunicorn_conf

        gateway_proc, base = serve("wsgi:app", env, gunicorn_conf.threads)
        bare_proc, bare = serve("tests.bench.bench_qrlogin:bare_app()", env, gunicorn_conf.threads)
        try:
            speeds = asyncio.run(read_speeds(base, bare))
        finally:
            for process in (gateway_proc, bare_proc):
                process.terminate()
                process.wait(20)
        print(f"status read vs bare Flask: gunicorn {gunicorn_conf.worker_class}, "
              f"{gunicorn_conf.threads} threads, "
              f"{CONNECTIONS} keep-alive connections, {ROUNDS} interleaved rounds of "
              f"{ROUND_SECONDS:g} s")
        for name, values in speeds.items():
            print(f"  {name:<20} median {statistics.median(values):8.0f} req/s  "
                  f"(rounds: {', '.join(f'{v:.0f}' for v in values)})")
        ratio = statistics.median(speeds["status read"]) / statistics.median(
            speeds["bare Flask endpoint"])
        in_app = statistics.median(speeds["status read"]) / statistics.median(
            speeds["gateway /healthz"])
        print(f"status read reaches {ratio:.0%} of the bare endpoint (target >= "
              f"{READ_TARGET:.0%}) and {in_app:.0%} of the gateway's /healthz")
        failed |= ratio < READ_TARGET

        gateway_proc, base = serve_run_command(gateway_env(instance, rate_limits=False))
        try:
            memory = {"idle after start": settled_rss_mb(gateway_proc.pid)}
            after_return, after_send = asyncio.run(latencies(base, gateway_proc.pid, memory))
        finally:
            gateway_proc.terminate()
            gateway_proc.wait(30)
    print(f"memory of the run command's process tree (RSS, {gunicorn_conf.worker_class}, "
          f"{gunicorn_conf.threads} threads, push worker inside):")
    for label, megabytes in memory.items():
        print(f"  {label:<23} {megabytes:6.1f} MB")
    idle = memory["idle after start"]
    added = memory[f"{OTHERS} browsers waiting"] - memory["after one login"]
    print(f"idle {idle:.1f} MB (target < {IDLE_TARGET_MB:g}); {OTHERS} waiting browsers add "
          f"{added:.1f} MB (target < {WAITING_TARGET_MB:g}; "
          f"{memory[f'{OTHERS} browsers waiting'] - idle:.1f} MB over idle)")
    failed |= idle >= IDLE_TARGET_MB or added >= WAITING_TARGET_MB
    print(f"confirm -> desktop event with {OTHERS} other event streams open "
          f"({MEASURED} logins):")
    for label, values in (("after confirm returned", after_return),
                          ("after confirm was sent", after_send)):
        print(f"  {label:<23} p50 {percentile(values, 50):6.1f} ms  "
              f"p95 {percentile(values, 95):6.1f} ms  max {max(values):6.1f} ms")
    p95 = percentile(after_return, 95)
    print(f"p95 {p95:.1f} ms (target <= {LATENCY_TARGET_MS:g} ms)")
    failed |= p95 > LATENCY_TARGET_MS
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
