"""Benchmark: the gateway scaled out on PostgreSQL and Redis.

1. Fan-out with two delivery workers against one: FAN_OUT messages (one notification to
   every device) through ``flask gateway worker`` processes on one PostgreSQL, to the local
   push service (in this process: answers after 50 ms, checks the VAPID JWT of and
   decrypts one request in VERIFY_EVERY). Rounds alternate one worker and two; during a
   one-worker round the second worker is paused (SIGSTOP), so every round runs with warm
   processes. The rate is measured between 10 % and 90 % of the requests (start-up and
   the last stragglers left out); the report gives the ratio two / one.
2. Confirm -> desktop with OTHERS other browsers holding event streams open, half on each
   of two gateway instances (the run command's gunicorn settings): MEASURED logins,
   the desktop waiting on one instance and the phone confirming on the other (alternating),
   events through Redis. Target: p95 <= 250 ms after the confirm returned.

Run: ``GATEWAY_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test
GATEWAY_TEST_REDIS_URL=redis://127.0.0.1:6379/0 python -m tests.bench bench_scaleout``.
Only 127.0.0.1; a schema of its own, dropped at the end; every wait bounded.
"""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select

from gateway import create_app
from gateway.core.keys import public_jwk
from gateway.core.settings import Settings
from gateway.push import notifications
from gateway.push.notifications import Audience, Draft
from gateway.push.tables import deliveries
from tests.bench.common import next_event, percentile
from tests.cluster import Cluster, fresh_schema
from tests.push_population import populate
from tests.pushservice import PushService
from tests.qr_client import publish_first_policy

FAN_OUT = 10_000
ROUNDS = 2  # of each kind, alternating
VERIFY_EVERY = 20
OTHERS = 1000
MEASURED = 60
LATENCY_TARGET_MS = 250.0
PASSWORD = "correct horse battery"


# -- part 1: fan-out, one worker against two ----------------------------------------------------

def fan_out(app, service: PushService, number: int) -> dict:
    """One notification to every device; the request rate between 10 % and 90 % of it, and
    the time from the accepting commit until every delivery is recorded."""
    svc = app.extensions["gateway"]
    before = service.counts["requests"]
    started = time.perf_counter()
    found, _ = notifications.accept(svc.store, svc.clock, Draft(
        audience=Audience("everyone"), title="Quarterly report ready",
        body=f"Revenue is up 4 % ({number})", ttl=3600), sender_kind="admin",
        sender_id="bench")
    marks: dict[float, float] = {}
    deadline = started + 300
    while len(marks) < 2 and time.perf_counter() < deadline:
        seen = service.counts["requests"] - before
        for share in (0.1, 0.9):
            if share not in marks and seen >= share * FAN_OUT:
                marks[share] = time.perf_counter()
        time.sleep(0.005)
    while time.perf_counter() < deadline:
        with svc.store.read() as connection:
            states = dict(connection.execute(
                select(deliveries.c.state, func.count())
                .where(deliveries.c.notification_id == found.id)
                .group_by(deliveries.c.state)).all())
        if states.get("delivered", 0) + states.get("failed", 0) >= FAN_OUT:
            break
        time.sleep(0.05)
    else:
        raise RuntimeError(f"round {number} did not finish: {states}")
    return {"rate": 0.8 * FAN_OUT / (marks[0.9] - marks[0.1]),
            "elapsed": time.perf_counter() - started, "states": states}


def fan_out_rounds(app, service: PushService, second_worker) -> dict[int, list[dict]]:
    results: dict[int, list[dict]] = {1: [], 2: []}
    fan_out(app, service, 0)  # warm-up with both: helpers started, caches filled
    for number in range(1, 2 * ROUNDS + 1):
        workers = 1 if number % 2 else 2
        os.kill(second_worker.popen.pid, signal.SIGSTOP if workers == 1 else signal.SIGCONT)
        result = fan_out(app, service, number)
        results[workers].append(result)
        print(f"  round {number}: {workers} worker(s): {result['rate']:,.0f} msg/s, all "
              f"recorded after {result['elapsed']:.2f} s {result['states']}", flush=True)
    os.kill(second_worker.popen.pid, signal.SIGCONT)
    return results


# -- part 2: confirm -> desktop across two instances ---------------------------------------

async def start_login(session, base: str) -> tuple[dict, dict]:
    async with session.post(f"{base}/api/v1/qr-logins", json={}) as response:
        body = await response.json()
        assert response.status == 201, body
        return body, {"Cookie": f"gw_qr={response.cookies['gw_qr'].value}"}


async def hold_stream(session, base: str, opened: list, stop: asyncio.Event) -> None:
    """One other browser: a login of its own, its event stream held open."""
    login, cookie = await start_login(session, base)
    async with session.get(f"{base}{login['wait']['events']}", headers=cookie) as response:
        assert await next_event(response.content) == "pending"
        opened.append(base)
        await stop.wait()


async def sign_in_phone(session, base: str) -> tuple[dict, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = public_jwk(key.public_key())
    async with session.post(f"{base}/api/v1/auth/sign-in", json={
        "username": "alice", "password": PASSWORD,
        "device": {"device_id": "bench-phone", "model": "Pixel 9", "os": "Android",
                   "os_version": "16", "app_version": "3.2.0",
                   "public_key": {n: jwk[n] for n in ("kty", "crv", "x", "y")}}}) as response:
        body = await response.json()
        assert response.status == 200, body
    return {"Authorization": f"Bearer {body['access_token']}"}, key


async def measure_one(session, waits_on: str, acts_on: str, phone: dict, key) -> tuple:
    """Desktop waiting on *waits_on*, phone on *acts_on*: ms from the confirm's answer (and
    from its sending) to the desktop's ``confirmed`` event."""
    login, cookie = await start_login(session, waits_on)
    # A stream's connection ends with the stream (the hub closes it), as a browser's
    # EventSource connection does: not put back in the pool for the next request.
    async with session.get(f"{waits_on}{login['wait']['events']}",
                           headers={**cookie, "Connection": "close"}) as stream:
        assert await next_event(stream.content) == "pending"
        async with session.post(f"{acts_on}/api/v1/qr-logins/scan", headers=phone,
                                json={"token": login["qr"].rsplit("/", 1)[1]}) as response:
            assert response.status == 200, await response.text()
        assert await next_event(stream.content) == "scanned"
        async with session.get(f"{waits_on}/api/v1/qr-logins/{login['id']}",
                               headers=cookie) as response:
            number = (await response.json())["number"]
        proof = jwt.encode({"aud": "qr-login", "rid": login["id"], "num": number,
                            "act": "confirm", "iat": int(time.time()), "jti": uuid.uuid4().hex},
                           key, algorithm="ES256")
        event = asyncio.ensure_future(next_event(stream.content))
        sent = time.perf_counter()
        async with session.post(f"{acts_on}/api/v1/qr-logins/{login['id']}/confirm",
                                headers=phone, json={"number": number, "proof": proof}) as response:
            assert response.status == 200, await response.text()
            await response.read()
        returned = time.perf_counter()
        assert await asyncio.wait_for(event, 10) == "confirmed"
        seen = time.perf_counter()
    return max(0.0, seen - returned) * 1000, (seen - sent) * 1000


async def latencies(a: str, b: str) -> tuple[list[float], list[float]]:
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        phone, key = await sign_in_phone(session, b)
        opened, stop = [], asyncio.Event()
        holders = [asyncio.ensure_future(hold_stream(session, (a, b)[i % 2], opened, stop))
                   for i in range(OTHERS)]
        for _ in range(2400):  # up to 120 s for every stream to open
            if len(opened) == OTHERS:
                break
            await asyncio.sleep(0.05)
        assert len(opened) == OTHERS, f"only {len(opened)} streams opened"
        after_return, after_send = [], []
        for i in range(MEASURED):
            waits_on, acts_on = (a, b) if i % 2 == 0 else (b, a)
            returned, sent = await measure_one(session, waits_on, acts_on, phone, key)
            after_return.append(returned)
            after_send.append(sent)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*holders), 60)
    return after_return, after_send


# -- the run ------------------------------------------------------------------------------------

def main() -> int:
    database, redis_url = (os.environ.get("GATEWAY_TEST_DATABASE_URL", ""),
                           os.environ.get("GATEWAY_TEST_REDIS_URL", ""))
    if not (database.startswith("postgresql") and redis_url):
        print("skipped: set GATEWAY_TEST_DATABASE_URL (PostgreSQL) and GATEWAY_TEST_REDIS_URL")
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # inherited by the servers
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    with tempfile.TemporaryDirectory(prefix="bench-scaleout-") as folder, \
            fresh_schema(database) as url, \
            PushService(delay=0.05, verify_every=VERIFY_EVERY) as service:
        # Every browser comes from 127.0.0.1: its streams per address raised to them all.
        cluster = Cluster(Path(folder), url, redis_url, GATEWAY_RATE_LIMITS_ENABLED="false",
                          GATEWAY_STREAMS_PER_ADDRESS=str(OTHERS + 10))
        app = None
        try:
            cluster.init()
            a = cluster.gateway("gateway-a", port=cluster.public_port)
            b = cluster.gateway("gateway-b")
            workers = [cluster.worker("worker-1"), cluster.worker("worker-2")]
            cluster.ready(a, b, *workers)
            app = create_app(Settings.from_environ(cluster.env))
            svc = app.extensions["gateway"]
            svc.identity.accounts.create_user(username="alice", password=PASSWORD)
            publish_first_policy(svc.store, svc.clock)
            print(f"setting up {FAN_OUT} users, devices, consents and subscriptions…",
                  flush=True)
            populate(app, service, consented=FAN_OUT)
            print(f"fan-out of {FAN_OUT} on PostgreSQL, push service answering after 50 ms:")
            rounds = fan_out_rounds(app, service, workers[1])
            print(f"confirm -> desktop, {OTHERS} other streams open across two instances…",
                  flush=True)
            after_return, after_send = asyncio.run(latencies(a.url, b.url))
        finally:
            cluster.close()
            if app is not None:
                app.extensions["gateway"].store.dispose()
        refusals = len(service.refusals)
    return report(rounds, after_return, after_send, refusals)


def report(rounds: dict, after_return: list[float], after_send: list[float],
           refusals: int) -> int:
    one = statistics.median(r["rate"] for r in rounds[1])
    two = statistics.median(r["rate"] for r in rounds[2])
    print(f"fan-out, median of {ROUNDS} rounds each: one worker {one:,.0f} msg/s, two workers "
          f"{two:,.0f} msg/s: ratio {two / one:.2f} (on {os.cpu_count()} CPUs); push service "
          f"refused {refusals}")
    print(f"confirm -> desktop event across two instances with {OTHERS} other streams open "
          f"({MEASURED} logins, waiting on one instance, confirming on the other):")
    for label, values in (("after confirm returned", after_return),
                          ("after confirm was sent", after_send)):
        print(f"  {label:<23} p50 {percentile(values, 50):6.1f} ms  "
              f"p95 {percentile(values, 95):6.1f} ms  max {max(values):6.1f} ms")
    p95 = percentile(after_return, 95)
    print(f"p95 {p95:.1f} ms (target <= {LATENCY_TARGET_MS:g} ms)")
    delivered = all(r["states"] == {"delivered": FAN_OUT} for rs in rounds.values() for r in rs)
    ok = p95 <= LATENCY_TARGET_MS and delivered and not refusals
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
