"""Event streams and the connection under them, as the run command's worker serves them
(``gateway/serving.py``): a stream either says its connection closes after it, or leaves
the connection usable; a client that reuses its connection after a stream ends is answered,
never reset."""

from __future__ import annotations

import http.client
import socket
import time

import requests

from tests import slow_clients, test_serving
from tests.qr_client import WAIT, sign_in_phone, start_login
from tests.test_serving import _address, _closed_by_server

# The served gateway of tests/test_serving.py (one cluster per module), shared here.
cluster, gateway = test_serving.cluster, test_serving.gateway


def _stream_then_reuse(gateway, end_it) -> tuple[bytes, dict[str, str]]:
    """Open a login's event stream on a kept-alive ``http.client`` connection, let
    *end_it(login)* end the login, read the stream to its end, then send the next request
    on the same connection object, as a client that pools connections does. Returns the
    stream's body and its headers; fails if the next request meets a dead connection."""
    desktop = requests.Session()
    login = start_login(desktop, gateway)
    cookie = "; ".join(f"{name}={value}" for name, value in desktop.cookies.items())
    connection = http.client.HTTPConnection(*_address(gateway), timeout=WAIT)
    try:
        connection.request("GET", login["wait"]["events"], headers={"Cookie": cookie})
        answer = connection.getresponse()
        assert answer.status == 200
        first = answer.read1()
        assert b"event: pending" in first
        end_it(login)
        body = first + answer.read()  # to the closing chunk
        headers = {name.lower(): value for name, value in answer.getheaders()}
        # Either the answer said the connection closes (http.client then opens a new one)
        # or the connection is still good: a reset here is the bug.
        connection.request("GET", "/healthz")
        assert connection.getresponse().status == 200
        return body, headers
    finally:
        connection.close()


def test_a_connection_is_usable_after_its_parked_stream_ends(gateway):
    """The hub closes a parked stream's connection after its last chunk, and the answer
    says so: a client reusing the connection opens a new one instead of meeting a reset."""
    phone = requests.Session()
    sign_in_phone(phone, gateway, "alice")

    def deny(login):
        token = login["qr"].rsplit("/", 1)[1]
        assert phone.post(f"{gateway}/api/v1/qr-logins/scan", json={"token": token},
                          timeout=WAIT).status_code == 200
        assert phone.post(f"{gateway}/api/v1/qr-logins/{login['id']}/deny", json={},
                          timeout=WAIT).status_code == 200

    body, headers = _stream_then_reuse(gateway, deny)
    assert b"event: denied" in body
    assert headers["connection"].lower() == "close"


def test_a_stream_of_an_ended_login_is_answered_whole_and_its_connection_stays_usable(
        gateway):
    """A stream whose login is already final is written whole by the request's thread;
    what its answer says of the connection holds (here: a raw socket, reused)."""
    desktop, phone = requests.Session(), requests.Session()
    sign_in_phone(phone, gateway, "alice")
    login = start_login(desktop, gateway)
    token = login["qr"].rsplit("/", 1)[1]
    assert phone.post(f"{gateway}/api/v1/qr-logins/scan", json={"token": token},
                      timeout=WAIT).status_code == 200
    assert phone.post(f"{gateway}/api/v1/qr-logins/{login['id']}/deny", json={},
                      timeout=WAIT).status_code == 200
    cookie = "; ".join(f"{name}={value}" for name, value in desktop.cookies.items())
    with socket.create_connection(_address(gateway), timeout=WAIT) as sock:
        sock.sendall(f"GET {login['wait']['events']} HTTP/1.1\r\nHost: x\r\n"
                     f"Cookie: {cookie}\r\n\r\n".encode())
        data = b""
        while not data.endswith(b"0\r\n\r\n"):
            chunk = sock.recv(65536)
            assert chunk, f"closed before the closing chunk: {data!r}"
            data += chunk
        assert b"event: denied" in data
        if b"connection: close" in data.lower():
            assert _closed_by_server(sock, time.monotonic() + 3)
        else:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert slow_clients.read_answer(sock)[0] == 200
