"""Clients that hold a server's connections without finishing a request: silent ones,
slowloris ones (a head begun and never ended), and kept-alive ones that begin their second
request and stop. For tests/test_serving.py and tests/bench/bench_connections.py; loopback
only, every socket with a timeout."""

from __future__ import annotations

import socket
import time

Address = tuple[str, int]
PARTIAL_HEAD = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"  # no blank line: never ends
CONNECT_TIMEOUT = 10.0


def _connect(address: Address) -> socket.socket:
    return socket.create_connection(address, timeout=CONNECT_TIMEOUT)


def idle(address: Address, count: int) -> list[socket.socket]:
    """*count* connections that send nothing."""
    return [_connect(address) for _ in range(count)]


def slowloris(address: Address, count: int) -> list[socket.socket]:
    """*count* connections that send the start of a request head and no more."""
    held = []
    for _ in range(count):
        sock = _connect(address)
        sock.sendall(PARTIAL_HEAD)
        held.append(sock)
    return held


def slow_second_request(address: Address, count: int) -> list[socket.socket]:
    """*count* connections that get one whole answer kept alive, then begin another
    request and stop."""
    held = []
    for _ in range(count):
        sock = _connect(address)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, _ = read_answer(sock)
        assert status == 200 and headers.get("connection") != "close", (status, headers)
        sock.sendall(PARTIAL_HEAD)
        held.append(sock)
    return held


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read one HTTP/1.1 answer with a Content-Length: status, headers (lower-case
    names), body. Raises ConnectionError if the connection ends first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed after {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed inside the body")
        body += chunk
    return int(lines[0].split()[1]), headers, body


def timed_get(address: Address, path: str, timeout: float = 10.0) -> tuple[int, float]:
    """GET *path* on a new connection, as a new client would: (status, milliseconds);
    status 0 when no answer came within *timeout*."""
    started = time.perf_counter()
    try:
        with socket.create_connection(address, timeout=timeout) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                         .encode("ascii"))
            status, _, _ = read_answer(sock)
    except OSError:  # a timeout, a refusal or a reset
        status = 0
    return status, (time.perf_counter() - started) * 1000


def close_all(held: list[socket.socket]) -> None:
    for sock in held:
        sock.close()
    held.clear()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]
