"""A local push service for the tests, behaving like a real one (RFC 8030/8291/8292).

Each request is checked the way FCM, Mozilla and Apple check it: an ``Authorization:
vapid t=<JWT>, k=<key>`` header whose ES256 JWT verifies with ``k``, whose ``aud`` is this
service's origin, whose ``exp`` lies in the future and at most 24 hours ahead, whose ``sub``
is an https URL or mailto: address, and whose ``k`` is the applicationServerKey the
subscription was made with; a ``TTL`` header; an ``aes128gcm`` body that decrypts with the
subscription's private key and auth secret (http_ece). Then it answers as the
subscription's script says: 201, 404, 410, 413, 429 with Retry-After, 500, or a hang.

Run it in a thread (``with PushService(clock) as service``) for tests, or as a process for
the benchmark (``python -m tests.pushservice --subscriptions FILE --delay 0.05 --verify-every
20`` prints its port, serves ``GET /stats``, runs on uvloop).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import http_ece
import jwt
import uvloop
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Reply:
    status: int = 201
    retry_after: str | None = None
    hang: bool = False


HANG = Reply(hang=True)


@dataclass
class Subscription:
    """One browser's subscription: its keys, its script of answers, what it received."""

    id: str
    application_server_key: str
    script: list[Reply]
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth_secret: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    endpoint: str = ""
    messages: list[dict] = field(default_factory=list)  # decrypted payloads, in order
    headers: list[dict] = field(default_factory=list)  # the headers of each accepted request
    requests: int = 0  # every request, refused ones included

    @property
    def p256dh(self) -> str:
        return b64(self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    @property
    def auth(self) -> str:
        return b64(self.auth_secret)

    def as_json(self) -> dict:
        """What ``subscription.toJSON()`` gives in a browser."""
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": self.p256dh, "auth": self.auth}}

    def next_reply(self) -> Reply:
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class PushService:
    """The service; ``clock`` (anything with ``now()``) judges the JWT's ``exp``."""

    def __init__(self, clock=None, *, delay: float = 0.0, verify_every: int = 1) -> None:
        self.clock = clock
        self.delay = delay
        self.verify_every = verify_every
        self.subscriptions: dict[str, Subscription] = {}
        self.refusals: list[tuple[str, int, str]] = []  # (subscription id, status, reason)
        self.counts: Counter = Counter()
        self.deliveries_seen: Counter = Counter()  # payload "delivery" id -> times received
        self.origin = ""
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._release = None
        self._loop = None
        self._runner = None
        self._thread = None

    # -- subscriptions --------------------------------------------------------------

    def subscribe(self, application_server_key: str, *script: Reply) -> Subscription:
        sub_id = secrets.token_urlsafe(12)
        sub = Subscription(sub_id, application_server_key, list(script) or [Reply(201)])
        sub.endpoint = f"{self.origin}/push/{sub_id}"
        with self._lock:
            self.subscriptions[sub_id] = sub
        return sub

    @property
    def total_requests(self) -> int:
        return sum(s.requests for s in self.subscriptions.values())

    def wait_for_requests(self, count: int, timeout: float = 30) -> bool:
        """Block until *count* requests arrived in all (False if *timeout* passes first)."""
        with self._arrived:
            return self._arrived.wait_for(lambda: self.counts["requests"] >= count, timeout)

    def wait_for_messages(self, sub: Subscription, count: int, timeout: float = 30) -> bool:
        """Block until *sub* holds *count* checked messages (False if *timeout* passes first)."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(sub.messages) >= count, timeout)

    def duplicates(self) -> int:
        """Deliveries received more than once (how many extra copies in all)."""
        return sum(n - 1 for n in self.deliveries_seen.values() if n > 1)

    # -- checking a request ------------------------------------------------------------

    def _now(self) -> datetime:
        return self.clock.now() if self.clock is not None else datetime.now(UTC)

    def _check_vapid(self, sub: Subscription, header: str) -> None:
        scheme, _, params = header.partition(" ")
        if scheme.lower() != "vapid":
            raise Refused(401, "Authorization is not vapid")
        parts = dict(p.strip().split("=", 1) for p in params.split(",") if "=" in p)
        token, key = parts.get("t", ""), parts.get("k", "")
        if key != sub.application_server_key:
            raise Refused(403, "k is not the key the subscription was made with")
        try:
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(key))
            if jwt.get_unverified_header(token).get("alg") != "ES256":
                raise Refused(401, "the JWT is not ES256")
            claims = jwt.decode(token, public, algorithms=["ES256"], audience=self.origin,
                                options={"verify_exp": False, "require": ["aud", "exp", "sub"]})
        except (jwt.PyJWTError, ValueError) as error:
            raise Refused(401, f"bad VAPID JWT: {error}") from None
        now = self._now().timestamp()
        if not isinstance(claims["exp"], int) or not now < claims["exp"] <= now + 24 * 3600:
            raise Refused(401, "exp must lie within the next 24 hours")
        subject = claims["sub"]
        if not (subject.startswith("mailto:") or subject.startswith("https://")) \
                or " " in subject or "<" in subject or "localhost" in subject:
            raise Refused(403, "bad sub")

    def _decrypt(self, sub: Subscription, request_headers, body: bytes) -> dict:
        if request_headers.get("Content-Encoding") != "aes128gcm":
            raise Refused(400, "Content-Encoding must be aes128gcm")
        try:
            plaintext = http_ece.decrypt(body, private_key=sub.private_key,
                                         auth_secret=sub.auth_secret, version="aes128gcm")
            return json.loads(plaintext)
        except Exception as error:  # any decryption failure is the sender's
            raise Refused(400, f"cannot decrypt: {type(error).__name__}") from None

    def check(self, sub: Subscription, request_headers, body: bytes, verify: bool) -> dict | None:
        """The decrypted payload (None when not verified); raises ``Refused``."""
        ttl = request_headers.get("TTL", "")
        if not ttl.isdigit():
            raise Refused(400, "TTL header missing")
        topic = request_headers.get("Topic")
        if topic is not None and (len(topic) > 32 or not all(
                c.isalnum() or c in "-_" for c in topic)):
            raise Refused(400, "bad Topic header")
        if request_headers.get("Urgency", "normal") not in ("very-low", "low", "normal", "high"):
            raise Refused(400, "bad Urgency header")
        if len(body) > 4096:
            raise Refused(413, "too large")
        if not verify:
            return None
        self._check_vapid(sub, request_headers.get("Authorization", ""))
        return self._decrypt(sub, request_headers, body)

    # -- serving --------------------------------------------------------------------------

    async def _push(self, request: web.Request) -> web.Response:
        body = await request.read()
        with self._lock:
            sub = self.subscriptions.get(request.match_info["sub_id"])
            if sub is None:
                return web.Response(status=404)
            sub.requests += 1
            self.counts["requests"] += 1
            self._arrived.notify_all()
            verify = self.counts["requests"] % self.verify_every == 0
        try:
            message = self.check(sub, request.headers, body, verify)
        except Refused as refused:
            with self._lock:
                self.refusals.append((sub.id, refused.status, refused.reason))
            return web.Response(status=refused.status, text=refused.reason)
        with self._lock:
            self.counts["verified" if verify else "unverified"] += 1
            reply = sub.next_reply()
            if message is not None:
                sub.messages.append(message)
                sub.headers.append(dict(request.headers))
                self.deliveries_seen[message.get("delivery")] += 1
                self._arrived.notify_all()
        if self.delay:
            await asyncio.sleep(self.delay)
        if reply.hang:
            await self._release.wait()
        headers = {"Retry-After": reply.retry_after} if reply.retry_after else {}
        return web.Response(status=reply.status, headers=headers)

    async def _stats(self, request: web.Request) -> web.Response:
        with self._lock:
            return web.json_response({**self.counts, "duplicates": self.duplicates(),
                                      "distinct": len(self.deliveries_seen)})

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024)
        app.router.add_post("/push/{sub_id}", self._push)
        app.router.add_get("/stats", self._stats)
        return app

    async def start_async(self, port: int = 0) -> None:
        self._release = asyncio.Event()
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.origin = f"http://127.0.0.1:{port}"
        for sub in self.subscriptions.values():
            sub.endpoint = f"{self.origin}/push/{sub.id}"

    def __enter__(self) -> PushService:
        started = threading.Event()

        def main() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self.start_async())
            started.set()
            self._loop.run_forever()
            self._loop.close()

        self._thread = threading.Thread(target=main, name="push-service", daemon=True)
        self._thread.start()
        started.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        async def shutdown() -> None:
            self._release.set()
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def main() -> None:
    """Serve as a process: subscriptions from a JSON file, stats at GET /stats."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscriptions", required=True)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--verify-every", type=int, default=1)
    args = parser.parse_args()
    service = PushService(delay=args.delay, verify_every=args.verify_every)
    with open(args.subscriptions) as handle:
        for item in json.load(handle):
            key = serialization.load_pem_private_key(item["private_key"].encode(), None)
            service.subscriptions[item["id"]] = Subscription(
                item["id"], item["application_server_key"], [Reply(201)], key, unb64(item["auth"]))

    async def serve() -> None:
        await service.start_async()
        print(service.origin, flush=True)
        await asyncio.Event().wait()

    uvloop.run(serve())  # a stand-in for a remote service: the least CPU of this machine


if __name__ == "__main__":
    main()
