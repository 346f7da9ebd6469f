"""A browser and a phone of QR login over real HTTP, for the tests that start gateway
processes (tests/multinode/, tests/test_serving.py)."""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
import uuid

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.core.keys import public_jwk

PASSWORD = "correct horse battery"
WAIT = 10  # seconds any single step may take at most


class EventStream:
    """A browser's Server-Sent Events connection, read in a thread: each event with the
    moment (perf_counter) it arrived."""

    def __init__(self, session, url: str) -> None:
        self.events: queue.Queue = queue.Queue()
        self._response = session.get(url, stream=True, timeout=(5, 30))
        assert self._response.status_code == 200, self._response.text
        assert self._response.headers["Content-Type"].startswith("text/event-stream")
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        name = None
        try:
            for line in self._response.iter_lines(decode_unicode=True):
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: ") and name:
                    self.events.put((name, json.loads(line[6:]), time.perf_counter()))
                    name = None
        except Exception as error:  # the connection ended: say so to whoever waits
            self.events.put(("closed", {"error": type(error).__name__}, time.perf_counter()))
        else:
            self.events.put(("closed", {}, time.perf_counter()))

    def next(self) -> tuple[str, dict, float]:
        return self.events.get(timeout=WAIT)

    def close(self) -> None:
        # Closing the response alone waits for the server's next frame (the reader thread
        # is inside a read); shutting the socket down ends both at once, as a browser
        # closing its tab does.
        sock = getattr(getattr(self._response.raw, "_connection", None), "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # gone already
        self._response.close()


def publish_first_policy(store, clock) -> None:
    """Publish a first version of the agreement (what ``flask init`` does on a fresh
    install): devices sign in only once a notice exists (agreement 1.6)."""
    from gateway.consent import first_policy
    from gateway.consent.purposes import Catalogue

    first_policy.publish_first(store, clock, Catalogue.for_partners())


def sign_in_phone(session, base: str, username: str):
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = public_jwk(key.public_key())
    response = session.post(f"{base}/api/v1/auth/sign-in", timeout=WAIT, json={
        "username": username, "password": PASSWORD,
        "device": {"device_id": f"phone-{uuid.uuid4().hex[:8]}", "model": "Pixel 9",
                   "os": "Android", "os_version": "16", "app_version": "3.2.0",
                   "public_key": {n: jwk[n] for n in ("kty", "crv", "x", "y")}}})
    assert response.status_code == 200, response.text
    session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return key


def proof(key, login_id: str, number: int) -> str:
    return jwt.encode({"aud": "qr-login", "rid": login_id, "num": number, "act": "confirm",
                       "iat": int(time.time()), "jti": uuid.uuid4().hex}, key, algorithm="ES256")


def start_login(desktop, base: str) -> dict:
    response = desktop.post(f"{base}/api/v1/qr-logins", json={}, timeout=WAIT)
    assert response.status_code == 201, response.text
    return response.json()


def status(desktop, base: str, login_id: str) -> dict:
    response = desktop.get(f"{base}/api/v1/qr-logins/{login_id}", timeout=WAIT)
    assert response.status_code == 200, response.text
    return response.json()


def complete_login(base: str, username: str) -> None:
    """A whole QR login: a desktop starts it and waits on its events, a phone scans and
    confirms, the desktop hears it."""
    phone, desktop = requests.Session(), requests.Session()
    key = sign_in_phone(phone, base, username)
    login = start_login(desktop, base)
    stream = EventStream(desktop, f"{base}{login['wait']['events']}")
    try:
        assert stream.next()[0] == "pending"
        token = login["qr"].rsplit("/", 1)[1]
        scanned = phone.post(f"{base}/api/v1/qr-logins/scan", json={"token": token},
                             timeout=WAIT)
        assert scanned.status_code == 200, scanned.text
        name, data, _ = stream.next()
        assert name == "scanned"
        confirmed = phone.post(f"{base}/api/v1/qr-logins/{login['id']}/confirm", timeout=WAIT,
                               json={"number": data["number"],
                                     "proof": proof(key, login["id"], data["number"])})
        assert confirmed.status_code == 200, confirmed.text
        assert stream.next()[0] == "confirmed"
    finally:
        stream.close()
