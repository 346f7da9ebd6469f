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
    while not data.endswith(b"\r\n\r\n"):
        # Peeked first, so that no byte of the answer after this one is taken.
        seen = sock.recv(65536, socket.MSG_PEEK)
        if not seen:
            raise ConnectionError(f"connection closed after {data!r}")
        end = (data[-3:] + seen).find(b"\r\n\r\n")
        data += sock.recv(len(seen) if end == -1 else end + 4 - len(data[-3:]))
    head, body = data[:-4], b""
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(length - len(body))
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


def hold(address: Address, idle_count: int, slow_count: int, seconds: float, ready, report
         ) -> None:
    """Keep *idle_count* silent and *slow_count* slowloris connections open for *seconds*,
    as an attacker would: a slowloris one sends another header line every second, and
    one the server closes (or refuses) is opened again at once. Sets *ready* once all are
    open; puts (reopened, fewest held, most held) on *report* at the end. Meant to run in
    a process of its own, so that it does not slow the measuring client down."""
    import selectors

    selector = selectors.DefaultSelector()
    kinds: dict[socket.socket, str] = {}

    def open_one(kind: str) -> None:
        try:
            sock = (idle if kind == "idle" else slowloris)(address, 1)[0]
        except OSError:
            return  # tried again on the next turn
        sock.setblocking(False)
        kinds[sock] = kind
        selector.register(sock, selectors.EVENT_READ)

    def drop(sock: socket.socket) -> None:
        selector.unregister(sock)
        del kinds[sock]
        sock.close()

    wanted = {"idle": idle_count, "slow": slow_count}
    for kind, count in wanted.items():
        for _ in range(count):
            open_one(kind)
    ready.set()
    reopened, fewest, most = 0, len(kinds), len(kinds)
    deadline = time.monotonic() + seconds
    next_drip = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        for key, _ in selector.select(0.1):
            sock = key.fileobj
            try:
                sock.recv(65536)  # an answer (503) or the end: either way, it is closed
            except BlockingIOError:
                continue
            except OSError:
                pass
            drop(sock)
        if time.monotonic() >= next_drip:
            next_drip += 1.0
            for sock in [s for s, kind in kinds.items() if kind == "slow"]:
                try:
                    sock.send(b"X-Slow: 1\r\n")
                except OSError:
                    drop(sock)
        fewest = min(fewest, len(kinds))
        for kind, count in wanted.items():
            missing = count - sum(1 for k in kinds.values() if k == kind)
            for _ in range(missing):
                open_one(kind)
                reopened += 1
        most = max(most, len(kinds))
    for sock in list(kinds):
        drop(sock)
    report.put((reopened, fewest, most))
