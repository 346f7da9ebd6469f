"""The transport that carries push requests (libcurl through pycurl), against a real
local server that counts its connections: the SSRF rule holds before any connection,
nothing is followed or read beyond what a push answer needs, and the environment's proxy
settings are never used."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager

import pytest

from gateway.push.sender import address_allowed
from gateway.push.transport import Answer, Failed, Transport

ANSWERS = {
    "/created": b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
    "/busy": b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 120\r\nContent-Length: 0\r\n\r\n",
    "/moved": (b"HTTP/1.1 301 Moved Permanently\r\nLocation: /created\r\n"
               b"Content-Length: 0\r\n\r\n"),
    "/huge": (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 10000000\r\n\r\n"
              + b"x" * 65536),  # and then nothing: the rest never comes
}


class Server:
    """An HTTP/1.1 server on 127.0.0.1 answering by path; it keeps what it was sent."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[tuple[str, dict, bytes]] = []  # path, headers, body

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.connections += 1
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                line, *fields = head.decode("latin-1").split("\r\n")[:-2]
                headers = {k.lower(): v.strip() for k, v in (f.split(":", 1) for f in fields)}
                body = await reader.readexactly(int(headers.get("content-length", 0)))
                path = line.split()[1]
                self.requests.append((path, headers, body))
                if path == "/hang":
                    await asyncio.sleep(30)
                if path == "/slow":
                    await asyncio.sleep(0.2)
                writer.write(ANSWERS.get(path, ANSWERS["/created"]))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @asynccontextmanager
    async def running(self):
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        try:
            yield self
        finally:
            server.close()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def transport(allow_local: bool = True, total_timeout: float = 5.0,
              connect_timeout: float = 2.0) -> Transport:
    return Transport(connect_timeout=connect_timeout, total_timeout=total_timeout, connections=16,
                     per_host=16, allow_address=lambda a: address_allowed(a, allow_local))


def run(scenario):
    async def main():
        async with Server().running() as server:
            return await scenario(server)
    return asyncio.run(main())


def test_a_post_arrives_whole_and_its_answer_is_read():
    body = bytes(range(256)) * 3  # every byte value, NUL included

    async def scenario(server):
        sending = transport()
        try:
            answer = await sending.post(server.url("/created"), body,
                                        ["TTL: 60", "Content-Type: application/octet-stream"])
            again = await sending.post(server.url("/created"), b"second", ["TTL: 60"])
        finally:
            sending.close()
        return server, answer, again

    server, answer, again = run(scenario)
    assert answer == again == Answer(201, None)
    [(_, headers, received), (_, _, second)] = server.requests
    assert received == body and second == b"second" and headers["ttl"] == "60"
    assert "expect" not in headers  # no 100 Continue round trip before the body
    assert server.connections == 1  # kept alive between requests


def test_retry_after_is_read_from_the_answer():
    async def scenario(server):
        sending = transport()
        try:
            return await sending.post(server.url("/busy"), b"x", [])
        finally:
            sending.close()

    assert run(scenario) == Answer(429, "120")


def test_a_redirect_is_answered_not_followed():
    async def scenario(server):
        sending = transport()
        try:
            return server, await sending.post(server.url("/moved"), b"x", [])
        finally:
            sending.close()

    server, answer = run(scenario)
    assert answer.status == 301 and [path for path, _, _ in server.requests] == ["/moved"]


def test_a_long_answer_body_is_cut_short_and_its_status_kept():
    async def scenario(server):
        sending = transport(total_timeout=5.0)
        try:
            return await asyncio.wait_for(sending.post(server.url("/huge"), b"x", []), 4)
        finally:
            sending.close()

    assert run(scenario).status == 400


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_refused_address_is_never_connected_to(host):
    async def scenario(server):
        sending = transport(allow_local=False)
        try:
            with pytest.raises(Failed) as failed:
                await sending.post(server.url("/created", host), b"x", [])
        finally:
            sending.close()
        return server, failed.value

    server, failed = run(scenario)
    assert failed.kind == "unsafe" and server.connections == 0


def test_a_hanging_push_service_times_out():
    async def scenario(server):
        sending = transport(total_timeout=0.3)
        try:
            with pytest.raises(Failed) as failed:
                await sending.post(server.url("/hang"), b"x", [])
        finally:
            sending.close()
        return failed.value

    assert run(scenario).kind == "timeout"


def test_a_timeout_libcurl_moves_later_still_comes():
    # The first request's deadline is the soonest, so the loop's timer is armed for it;
    # when it is answered, libcurl's next deadline is the later one of the hanging
    # request. The timer, firing early, must be armed again for that deadline (libcurl
    # names each deadline once) or the hanging request would wait for ever.
    async def scenario(server):
        sending = transport(connect_timeout=0.5, total_timeout=0.5)
        try:
            answered = sending.post(server.url("/slow"), b"x", [])
            await asyncio.sleep(0.1)
            started = time.perf_counter()
            with pytest.raises(Failed) as failed:
                await asyncio.wait_for(sending.post(server.url("/hang"), b"x", []), 5)
            waited = time.perf_counter() - started
            assert (await answered).status == 201
        finally:
            sending.close()
        return failed.value, waited

    failed, waited = run(scenario)
    assert failed.kind == "timeout" and 0.5 <= waited < 2


def test_proxy_settings_in_the_environment_are_not_used(monkeypatch):
    # A proxy would see (and could redirect) every push; it would also bypass the SSRF
    # rule, which checks the address actually connected to.
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")

    async def scenario(server):
        sending = transport()
        try:
            return await sending.post(server.url("/created"), b"x", [])
        finally:
            sending.close()

    assert run(scenario) == Answer(201, None)


def test_closing_fails_what_is_still_out():
    async def scenario(server):
        sending = transport()
        pending = sending.post(server.url("/hang"), b"x", [])
        while not server.requests:
            await asyncio.sleep(0.01)
        sending.close()
        with pytest.raises(Failed):
            await pending

    run(scenario)
