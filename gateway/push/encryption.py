"""Encrypting push payloads (RFC 8291, aes128gcm) as pywebpush's ``WebPusher.encode`` does,
in the worker itself or in helper processes beside it.

Encryption is most of a push message's CPU cost (a fresh ECDH key pair and an exchange
per message) and holds the GIL, so threads cannot share it out; helper processes can,
while the worker's event loop keeps talking HTTP. Batches go to the helpers whole, so a
fan-out pays the hand-over once per batch rather than per message.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.core.keys import unb64url

Item = tuple[bytes, str, str]  # plaintext, p256dh, auth


def encrypt(plaintext: bytes, p256dh: str, auth: str) -> bytes:
    """The aes128gcm body of *plaintext* for the subscription with these keys: a fresh
    ECDH key pair for this message, and a random salt (http_ece makes it).

    The very call ``WebPusher.encode`` makes (http_ece is pywebpush's encryption), without
    building a ``WebPusher`` per message: its deep copy of the subscription and a public
    key serialised for nothing were 13 % of encryption's cost."""
    return http_ece.encrypt(plaintext, salt=None, private_key=ec.generate_private_key(
        ec.SECP256R1()), dh=unb64url(p256dh), auth_secret=unb64url(auth),
        version="aes128gcm")


def encrypt_batch(items: list[Item]) -> tuple[list[bytes], float]:
    """Every item encrypted, and the CPU seconds it took (where it ran)."""
    started = time.process_time()
    bodies = [encrypt(*item) for item in items]
    return bodies, time.process_time() - started


def _exit_with_parent(parent: int) -> None:
    """In a helper: leave as soon as the worker that started it is gone (even killed with
    SIGKILL, when no shutdown message can come)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class Encryptor:
    """Encrypts batches inline (``processes=0``) or in a pool of helper processes
    (started from a clean interpreter: safe beside gunicorn's threads)."""

    def __init__(self, processes: int = 0) -> None:
        self.processes = processes
        self.cpu_seconds = 0.0  # encryption CPU, wherever it ran (the benchmark reports it)
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        if self.processes and self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.processes, mp_context=multiprocessing.get_context("spawn"),
                initializer=_exit_with_parent, initargs=(os.getpid(),))
            self._pool.submit(encrypt_batch, []).result()  # up and importable

    async def encrypt(self, items: list[Item]) -> list[bytes]:
        if not items:
            return []
        if self.processes:
            self.start()
            try:
                bodies, spent = await asyncio.get_running_loop().run_in_executor(
                    self._pool, encrypt_batch, items)
            except BrokenProcessPool:
                self._pool = None  # a helper died (killed?): the next batch starts anew
                raise
        else:
            bodies, spent = encrypt_batch(items)
        self.cpu_seconds += spent
        return bodies

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
