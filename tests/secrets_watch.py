"""Agreement 1.2.2: no token, secret, password or full QR link ever appears in a log.

Every test runs under ``watch``: it notes each secret the gateway hands out (in JSON
bodies under secret-looking names, and in cookies), captures every log record the
gateway writes and every access log line, and fails the test if any secret shows up.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from urllib.parse import urlsplit

from flask import request_finished

from gateway.core.logs import JsonFormatter
from gateway.privacy.access_log import flush_all

SECRET_NAMES = re.compile(r"token|secret|key$|password|csrf|link|qr|code|grant|url", re.I)
KNOWN_PASSWORDS = ("correct horse battery",)
MIN_LENGTH = 8


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(JsonFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # noqa: BLE001 - a record that cannot format still must not leak
            self.lines.append(str(record.msg))


def _public_path(value: str) -> bool:
    """A relative address such as "/policies" (a notification's link): no segment long
    enough to be a token (those are 128 bits or more)."""
    return value.startswith("/") and all(len(part) < 16 for part in value.split("/"))


def _secrets_in(value, name: str = "") -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            found |= _secrets_in(item, str(key))
    elif isinstance(value, list):
        for item in value:
            found |= _secrets_in(item, name)
    elif (isinstance(value, str) and SECRET_NAMES.search(name) and len(value) >= MIN_LENGTH
          and not _public_path(value)):
        found.add(value)
        if value.startswith(("http://", "https://")):
            tail = urlsplit(value).path.rstrip("/").rsplit("/", 1)[-1]
            if len(tail) >= MIN_LENGTH:
                found.add(tail)
    return found


class SecretsWatch:
    def __init__(self) -> None:
        self.secrets: set[str] = set(KNOWN_PASSWORDS)
        self.capture = _Capture()

    def on_response(self, sender, response, **extra) -> None:
        for cookie in response.headers.getlist("Set-Cookie"):
            value = cookie.split(";", 1)[0].partition("=")[2]
            if len(value) >= MIN_LENGTH:
                self.secrets.add(value)
        if response.is_streamed or response.mimetype != "application/json":
            return
        try:
            self.secrets |= _secrets_in(json.loads(response.get_data()))
        except ValueError:
            pass

    def leaks(self, folder: Path) -> list[str]:
        flush_all()  # the access logs write in batches: look at every entry made so far
        text = "\n".join(self.capture.lines)
        for path in folder.rglob("access-*.jsonl"):
            text += path.read_text()
        return sorted(secret for secret in self.secrets if secret in text)

    def __enter__(self) -> SecretsWatch:
        request_finished.connect(self.on_response)
        for name in ("", "gateway", "werkzeug", "gunicorn"):
            logging.getLogger(name).addHandler(self.capture)
        return self

    def __exit__(self, *exc) -> None:
        request_finished.disconnect(self.on_response)
        for name in ("", "gateway", "werkzeug", "gunicorn"):
            logging.getLogger(name).removeHandler(self.capture)
