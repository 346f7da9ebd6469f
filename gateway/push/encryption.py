"""Encrypting push payloads (RFC 8291, aes128gcm) as pywebpush's ``WebPusher.encode`` does,
in the worker itself or in helper processes beside it.

Encryption is most of a push message's CPU cost (a fresh ECDH key pair and an exchange
per message) and holds the GIL, so threads cannot share it out; helper processes can,
while the worker's event loop keeps talking HTTP. Batches go to the helpers whole, so a
fan-out pays the hand-over once per batch rather than per message.

Each helper is a process of its own on one end of a socket pair; the worker's event loop
writes batches to the other end and reads the bodies back itself. A hand-over so wakes
no other thread of the worker: a ``ProcessPoolExecutor`` wakes its manager and its
queue's feeder thread for each batch, and each waits for the GIL behind the worker's
store thread (about 20 us of the worker's CPU a message in ``bench_push``).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import signal
import socket
import struct
import threading
import time
from collections import deque

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.core.keys import unb64url

log = logging.getLogger("gateway.push")
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


def _encrypt_or_none(item: Item) -> bytes | None:
    try:
        return encrypt(*item)
    except ValueError:  # keys that are no point on the curve, or no base64url
        return None


def encrypt_batch(items: list[Item]) -> tuple[list[bytes | None], float]:
    """Every item encrypted (None for one whose keys cannot be used: it fails alone), and
    the CPU seconds it took (where it ran)."""
    started = time.process_time()
    bodies = [_encrypt_or_none(item) for item in items]
    return bodies, time.process_time() - started


def _exit_with_parent(parent: int) -> None:
    """In a helper: leave as soon as the worker that started it is gone (even killed with
    SIGKILL, when no shutdown message can come)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


_FRAME = struct.Struct("!I")  # each batch and each answer: its length, then its pickle


def serve(channel: socket.socket, parent: int) -> None:
    """A helper's life: encrypt each batch read from *channel* and write back its bodies
    and the CPU seconds they took (or why it failed), until the worker closes its end."""
    # Ctrl-C in the terminal of ``make run`` reaches the whole process group: the worker
    # stops its helper itself, after the batches in flight.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent(parent)
    with channel, channel.makefile("rb") as incoming:
        while len(head := incoming.read(_FRAME.size)) == _FRAME.size:
            items = pickle.loads(incoming.read(_FRAME.unpack(head)[0]))
            try:
                answer = encrypt_batch(items)
            except Exception as error:  # a fault of the helper's own, not of one item
                answer = (None, f"{type(error).__name__}: {error}")
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
            channel.sendall(_FRAME.pack(len(data)) + data)


class EncryptionFailed(Exception):
    """A batch could not be encrypted: the helper refused it or is gone."""


class Helper:
    """One helper process and the worker's stream to it; batches are answered in the
    order they were written. Use from the event loop that started it."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        self.process = multiprocessing.get_context("spawn").Process(
            target=serve, args=(theirs, os.getpid()), name="push-encryption", daemon=True)
        self.process.start()  # a clean interpreter: safe beside gunicorn's threads
        theirs.close()
        self._socket = ours
        self._waiting: deque[asyncio.Future] = deque()
        self._writer: asyncio.StreamWriter | None = None
        loop = asyncio.get_running_loop()
        self._connected = loop.create_future()
        self._reading = loop.create_task(self._read())

    @property
    def load(self) -> int:
        """Batches written and not answered yet."""
        return len(self._waiting)

    @property
    def alive(self) -> bool:
        return not self._reading.done()

    async def encrypt(self, items: list[Item]) -> tuple[list[bytes | None], float]:
        """The bodies of *items* (see ``encrypt_batch``) and the helper's CPU seconds for
        them. Raises ``EncryptionFailed``."""
        await asyncio.shield(self._connected)
        if self._reading.done():  # gone while this batch waited for the connection
            raise EncryptionFailed("the encryption helper stopped")
        answer = asyncio.get_running_loop().create_future()
        self._waiting.append(answer)
        data = pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL)
        self._writer.write(_FRAME.pack(len(data)) + data)
        return await answer

    async def _read(self) -> None:
        try:
            reader, self._writer = await asyncio.open_connection(sock=self._socket)
            self._connected.set_result(None)
            while True:
                head = await reader.readexactly(_FRAME.size)
                bodies, spent = pickle.loads(await reader.readexactly(_FRAME.unpack(head)[0]))
                answer = self._waiting.popleft()
                if answer.done():  # its sender was cancelled
                    continue
                if bodies is None:
                    answer.set_exception(EncryptionFailed(spent))
                else:
                    answer.set_result((bodies, spent))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the helper is gone (killed?): the next batch starts another
        except Exception:  # an answer that cannot be read: this helper is done with
            log.exception("reading from the encryption helper failed")
            self.process.kill()
        finally:
            gone = EncryptionFailed("the encryption helper stopped")
            if not self._connected.done():
                self._connected.set_exception(gone)
            while self._waiting:
                answer = self._waiting.popleft()
                if not answer.done():
                    answer.set_exception(gone)

    def close(self) -> None:
        """Stop the helper and close the stream (batches still out fail)."""
        self.process.terminate()
        self.process.join(5)
        self._reading.cancel()
        if self._writer is not None:
            self._writer.close()
        else:
            self._socket.close()


class Encryptor:
    """Encrypts batches inline (``processes=0``) or in helper processes, started on the
    first batch and stopped by ``close()`` (the worker closes it when its sending session
    ends: streams belong to one event loop)."""

    def __init__(self, processes: int = 0) -> None:
        self.processes = processes
        self.cpu_seconds = 0.0  # encryption CPU, wherever it ran (the benchmark reports it)
        self._helpers: list[Helper] = []

    async def encrypt(self, items: list[Item]) -> list[bytes | None]:
        """The encrypted bodies of *items*, in order (None for one whose keys cannot be
        used). Raises ``EncryptionFailed``."""
        if not items:
            return []
        if self.processes:
            bodies, spent = await self._helper().encrypt(items)
        else:
            bodies, spent = encrypt_batch(items)
        self.cpu_seconds += spent
        return bodies

    def _helper(self) -> Helper:
        """The least busy helper, starting those that are missing (or died)."""
        for gone in [h for h in self._helpers if not h.alive]:
            gone.close()
            self._helpers.remove(gone)
        while len(self._helpers) < self.processes:
            self._helpers.append(Helper())
        return min(self._helpers, key=lambda helper: helper.load)

    def close(self) -> None:
        """Stop every helper (the next batch starts them again)."""
        for helper in self._helpers:
            helper.close()
        self._helpers = []
