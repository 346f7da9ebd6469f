"""What every scan-to-something flow shares: rotating QR tokens, typed codes that lock after
a few wrong tries, and number matching. Scan to log in (``qrlogin``) and scan to connect a
phone (``enrollment``) both build on these.

QR tokens carry 144 bits and are derived, not stored: token *n* of a flow is an HMAC of
the flow's id and *n* under the gateway's secret, so the gateway can draw the current
code again for the browser holding the flow (its cookie proves that) while the store only
keeps SHA-256 hashes of the tokens, which are useless to anyone reading the database.
Typed codes follow RFC 8628 section 6.1: eight characters from twenty consonants, case
and dashes ignored. Their first half finds the flow and their second half is checked
against a hash, so a wrong second half counts against that flow's code, which locks after
``MAX_CODE_FAILURES`` tries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, Table, insert, select, update

from gateway.core.errors import Forbidden, Gone, NotFound
from gateway.core.store import Store
from gateway.core.tokens import digest

CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"  # RFC 8628: no vowels (no words), no look-alikes
CODE_LENGTH = 8
LOOKUP_LENGTH = 4
MAX_CODE_FAILURES = 5
ROTATION = timedelta(seconds=30)
GRACE = timedelta(seconds=5)  # a scan begun just before a rotation still counts
TOKEN_BYTES = 18  # 144 bits, 24 characters: the link stays short and the QR version <= 4


class CodeNotFound(NotFound):
    slug = "code-not-found"
    title = "Code not found"


class CodeLocked(Forbidden):
    slug = "code-locked"
    title = "Code locked"


class TokenUnknown(NotFound):
    slug = "qr-token-unknown"
    title = "Unknown QR code"


class TokenReplaced(Gone):
    slug = "qr-token-replaced"
    title = "QR code replaced"


# -- rotating tokens -------------------------------------------------------------------------

def token_for(secret: bytes, flow_id: str, rotation: int) -> str:
    """Token number *rotation* of flow *flow_id* (URL-safe, 24 characters)."""
    mac = hmac.new(secret, f"qr-token:{flow_id}:{rotation}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:TOKEN_BYTES]).decode("ascii")


def rotations(lifetime: timedelta, period: timedelta | None = ROTATION) -> int:
    """How many tokens a flow of *lifetime* uses (one when it does not rotate)."""
    if period is None:
        return 1
    return max(1, -(-int(lifetime.total_seconds()) // int(period.total_seconds())))


def current_rotation(created_at: datetime, now: datetime,
                     period: timedelta | None = ROTATION) -> int:
    """The number of the token in force at *now*."""
    if period is None or now <= created_at:
        return 0
    return int((now - created_at) / period)


def next_rotation_at(created_at: datetime, now: datetime,
                     period: timedelta | None = ROTATION) -> datetime | None:
    """When the token in force at *now* is replaced (None when it never is)."""
    if period is None:
        return None
    return created_at + period * (current_rotation(created_at, now, period) + 1)


def store_tokens(connection: Connection, table: Table, secret: bytes, flow_id: str,
                 count: int) -> None:
    """Record the hashes of all *count* tokens of a flow in *table*
    (columns ``token_hash``, ``flow_id``, ``rotation``)."""
    connection.execute(insert(table), [
        {"token_hash": digest(token_for(secret, flow_id, n)), "flow_id": flow_id, "rotation": n}
        for n in range(count)
    ])


def find_token(connection: Connection, table: Table, token: str, times_of,
               now: datetime, period: timedelta | None = ROTATION) -> str:
    """The id of the flow *token* belongs to, if the token is in force.

    *times_of(flow_id)* gives the flow's start and end. A token of a flow that has ended
    still names it (the flow then says it expired). Raises ``TokenUnknown`` or, for a
    token already replaced (beyond a few seconds' grace), ``TokenReplaced``.
    """
    row = connection.execute(
        select(table.c.flow_id, table.c.rotation).where(table.c.token_hash == digest(token))
    ).first()
    if row is None:
        raise TokenUnknown("This QR code is not known here. Scan the code on the screen.")
    created_at, expires_at = times_of(row.flow_id)
    in_force = current_rotation(created_at, min(now, expires_at - timedelta(microseconds=1)),
                                period)
    if row.rotation == in_force or now >= expires_at:
        return row.flow_id
    if row.rotation == in_force - 1 and now < created_at + period * in_force + GRACE:
        return row.flow_id
    if row.rotation > in_force:  # cannot happen with an honest clock; refuse rather than guess
        raise TokenUnknown("This QR code is not known here. Scan the code on the screen.")
    raise TokenReplaced("This QR code was replaced by a newer one. Scan the code on the screen "
                        "now.")


# -- holding a scanned link across a sign-in --------------------------------------------------

def hold_for(secret: bytes, flow_id: str) -> str:
    """A hold on flow *flow_id*: what a phone that opened the flow's link while signed out
    keeps while it signs in, so the code rotating meanwhile does not lose the flow. It is
    handed out only for a token in force (``find_token``), so it gives no one more than the
    token did; it is good for the flow's lifetime and still needs the number on the screen."""
    mac = hmac.new(secret, f"qr-hold:{flow_id}".encode(), hashlib.sha256).digest()
    return f"{flow_id}.{base64.urlsafe_b64encode(mac[:TOKEN_BYTES]).decode('ascii')}"


def held_flow(secret: bytes, hold: str) -> str:
    """The flow a hold (``hold_for``) names. Raises ``TokenUnknown`` for anything else."""
    flow_id, _, _ = hold.partition(".")
    if not flow_id or not hmac.compare_digest(hold_for(secret, flow_id), hold):
        raise TokenUnknown("This QR code is not known here. Scan the code on the screen.")
    return flow_id


# -- typed codes ----------------------------------------------------------------------------

def new_code() -> tuple[str, dict]:
    """A fresh code for display (``BCDF-GHJK``) and the column values that find it."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    display = f"{code[:LOOKUP_LENGTH]}-{code[LOOKUP_LENGTH:]}"
    return display, {"code_lookup": code[:LOOKUP_LENGTH], "code_hash": digest(code)}


def normalize_code(text: str) -> str | None:
    """The code as stored (upper case, no dashes or spaces), or None if it cannot be one."""
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def match_code(store: Store, table: Table, text: str, now: datetime,
               live_states: tuple[str, ...]) -> str:
    """The id of the live flow in *table* whose code is *text*.

    A code whose first half names a live flow but whose second half is wrong counts one
    failure against that flow's code (committed although the call fails). Raises
    ``CodeNotFound`` for any wrong code and ``CodeLocked`` once a flow's code has failed
    ``MAX_CODE_FAILURES`` times.
    """
    code = normalize_code(text)
    if code is None:
        raise CodeNotFound("A code has {length} characters from {letters}. Check it and try again.",
                           params={"length": CODE_LENGTH, "letters": CODE_ALPHABET})
    live = (table.c.code_lookup == code[:LOOKUP_LENGTH], table.c.state.in_(live_states),
            table.c.expires_at > now)
    locked = False
    with store.write() as connection:
        rows = connection.execute(
            select(table.c.id, table.c.code_hash, table.c.code_failures).where(*live)
        ).all()
        for row in rows:
            if hmac.compare_digest(row.code_hash, digest(code)):
                if row.code_failures < MAX_CODE_FAILURES:
                    return row.id
                locked = True
        if rows and not locked:
            connection.execute(update(table).where(*live)
                               .values(code_failures=table.c.code_failures + 1))
    if locked:
        raise CodeLocked("This code is locked after too many wrong tries. "
                         "Scan the QR code, or start again on the computer.")
    raise CodeNotFound("No request has this code. Check it and try again.")


def code_lookup_taken(connection: Connection, table: Table, lookup: str, now: datetime,
                      live_states: tuple[str, ...]) -> bool:
    """Whether a live flow already uses this first half (new flows pick another)."""
    return connection.execute(
        select(table.c.id).where(table.c.code_lookup == lookup, table.c.state.in_(live_states),
                                 table.c.expires_at > now).limit(1)
    ).first() is not None


# -- number matching ------------------------------------------------------------------------

def number_choices() -> tuple[int, list[int]]:
    """A two-digit number and three distinct choices (in random order) that contain it."""
    picked: list[int] = []
    while len(picked) < 3:
        candidate = 10 + secrets.randbelow(90)
        if candidate not in picked:
            picked.append(candidate)
    number = picked[0]
    secrets.SystemRandom().shuffle(picked)
    return number, picked
