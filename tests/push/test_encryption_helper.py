"""The encryption helper process: what it encrypts the device reads, a message whose keys
cannot be used fails alone, a helper that dies fails only the batches it held and the
next batch starts another, and closing stops it."""

from __future__ import annotations

import asyncio
import base64
import os
import signal

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.push.encryption import EncryptionFailed, Encryptor

DEVICE_KEY, SECRET = ec.generate_private_key(ec.SECP256R1()), os.urandom(16)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


P256DH = _b64(DEVICE_KEY.public_key().public_bytes(
    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
AUTH = _b64(SECRET)


def item(text: str) -> tuple[bytes, str, str]:
    return text.encode(), P256DH, AUTH


def read(body: bytes) -> str:
    return http_ece.decrypt(body, private_key=DEVICE_KEY, auth_secret=SECRET,
                            version="aes128gcm").decode()


def run(scenario):
    """Run *scenario(encryptor)* with a one-helper encryptor on a fresh event loop."""
    encryptor = Encryptor(processes=1)

    async def main():
        try:
            return await scenario(encryptor)
        finally:
            encryptor.close()

    return asyncio.run(main())


def test_batches_come_back_in_order_and_the_device_reads_them():
    async def scenario(encryptor):
        parts = await asyncio.gather(*(encryptor.encrypt([item(f"{n}-{i}") for i in range(5)])
                                       for n in range(4)))
        return [[read(body) for body in part] for part in parts], encryptor.cpu_seconds

    parts, cpu = run(scenario)
    assert parts == [[f"{n}-{i}" for i in range(5)] for n in range(4)]
    assert cpu > 0  # the helper's own CPU, reported back with each batch


def test_an_item_whose_keys_cannot_be_used_fails_alone():
    async def scenario(encryptor):
        bodies = await encryptor.encrypt([item("before"), (b"x", _b64(b"not a point"), AUTH),
                                          (b"x", "not base64url!", AUTH), item("after")])
        return [None if body is None else read(body) for body in bodies]

    assert run(scenario) == ["before", None, None, "after"]


def test_a_helper_that_dies_fails_what_it_held_and_the_next_batch_starts_another():
    async def scenario(encryptor):
        await encryptor.encrypt([item("first")])
        dead = encryptor._helpers[0]
        os.kill(dead.process.pid, signal.SIGKILL)
        with pytest.raises(EncryptionFailed, match="stopped"):  # not left waiting
            await asyncio.wait_for(encryptor.encrypt([item("lost with the helper")]), 10)
        again = await encryptor.encrypt([item("again")])
        return read(again[0]), dead, encryptor._helpers[0]

    text, dead, now = run(scenario)
    assert text == "again"
    assert now is not dead and now.process.pid != dead.process.pid


def test_closing_stops_the_helper():
    async def scenario(encryptor):
        await encryptor.encrypt([item("one")])
        helper = encryptor._helpers[0]
        encryptor.close()
        return helper

    helper = run(scenario)
    assert not helper.process.is_alive() and helper.process.exitcode is not None


def test_ctrl_c_in_the_terminal_leaves_the_helper_to_the_worker():
    """SIGINT reaches the whole process group of ``make run``; the worker stops its
    helper itself once the batches in flight are answered."""
    async def scenario(encryptor):
        await encryptor.encrypt([item("before")])
        helper = encryptor._helpers[0]
        os.kill(helper.process.pid, signal.SIGINT)
        after = await asyncio.wait_for(encryptor.encrypt([item("after")]), 10)
        return read(after[0]), helper is encryptor._helpers[0] and helper.process.is_alive()

    assert run(scenario) == ("after", True)
