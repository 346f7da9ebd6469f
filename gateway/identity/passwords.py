"""Password hashes: scrypt (memory-hard, from the standard library's ``hashlib``) with one
cost for the whole gateway.

A hash is stored as ``scrypt:N:r:p$salt$hex``, the format the gateway has always written
(Werkzeug's), so hashes stored before keep working and a change of cost applies to new
hashes only: each check reads the cost from the hash itself.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

SALT_ALPHABET = string.ascii_letters + string.digits
SALT_LENGTH = 16


def _scrypt(password: str, salt: str, n: int, r: int, p: int) -> str:
    # hashlib refuses scrypt above 32 MiB unless told more may be used: 128·N·r·p bytes,
    # with a little room for its own bookkeeping.
    return hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p,
                          maxmem=132 * n * r * p).hex()


def _cost(method: str) -> tuple[int, int, int]:
    """``scrypt:N:r:p`` as its three numbers. Raises ``ValueError`` for anything else."""
    name, *numbers = method.split(":")
    if name != "scrypt" or len(numbers) != 3:
        raise ValueError(f"not a scrypt cost: {method!r}")
    n, r, p = map(int, numbers)
    return n, r, p


class Passwords:
    """Hashes and checks passwords with one scrypt cost (``scrypt:N:r:p``) for the whole
    gateway. Raises ``ValueError`` when *method* is not such a cost."""

    def __init__(self, method: str = "scrypt:32768:8:1") -> None:
        self.method = method
        self._cost = _cost(method)
        # A real hash to check against when the user is unknown (equal work either way).
        self._decoy = self.hash(secrets.token_hex(8))

    def hash(self, password: str) -> str:
        """A new hash of *password* with a fresh random salt."""
        salt = "".join(secrets.choice(SALT_ALPHABET) for _ in range(SALT_LENGTH))
        n, r, p = self._cost
        return f"scrypt:{n}:{r}:{p}${salt}${_scrypt(password, salt, n, r, p)}"

    def check(self, stored_hash: str | None, password: str) -> bool:
        """Whether *password* matches *stored_hash*; always False without a hash, after
        the same work as a real check. A malformed hash never matches."""
        method, _, rest = (stored_hash or self._decoy).partition("$")
        salt, _, expected = rest.partition("$")
        try:
            actual = _scrypt(password, salt, *_cost(method))
        except ValueError:
            return False
        return hmac.compare_digest(actual, expected) and bool(stored_hash)
