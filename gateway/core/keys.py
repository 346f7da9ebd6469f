"""The gateway's own keys: ES256 signing keys (served as a JWKS) and secrets.

Keys live as 0600 files in a 0700 folder, made on first start and never committed. Every
signing key in the folder verifies; the newest one signs. A key's ``kid`` is its RFC 7638
thumbprint, so it names the key itself rather than a file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JOSE and Web Push write binary values."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """The bytes of (unpadded) base64url *text*. Raises ``binascii.Error`` when it is not."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwk_thumbprint(jwk: dict) -> str:
    """The RFC 7638 SHA-256 thumbprint of an EC public JWK."""
    canonical = json.dumps(
        {name: jwk[name] for name in ("crv", "kty", "x", "y")}, separators=(",", ":")
    )
    return b64url(hashlib.sha256(canonical.encode()).digest())


def public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict:
    """The public JWK of a P-256 key, with its thumbprint as ``kid``."""
    jwk = ECAlgorithm.to_jwk(public_key, as_dict=True)
    jwk = {name: jwk[name] for name in ("kty", "crv", "x", "y")}
    return {**jwk, "kid": jwk_thumbprint(jwk), "use": "sig", "alg": "ES256"}


def write_private(path: Path, data: bytes) -> None:
    """Write *data* as a new 0600 file *path*; raises ``FileExistsError`` if it exists.

    The file is written whole under a temporary name and then linked into place, so
    another process (an instance sharing the keys folder) sees all of it or nothing, and
    a key another process made a moment ago is never overwritten."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.link(temporary, path)
    finally:
        temporary.unlink()


def ensure_folder(folder: Path) -> Path:
    """Create the keys folder (0700) if it is missing."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def load_secret(folder: Path, name: str, size: int = 32) -> bytes:
    """The secret stored as *name* in *folder*, made on first use."""
    path = ensure_folder(folder) / f"{name}.key"
    if not path.exists():
        try:
            write_private(path, secrets.token_bytes(size))
        except FileExistsError:
            pass
    return path.read_bytes()


FIRST_KEY = f"signing-{0:020d}.pem"  # sorts before every later key


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey
    jwk: dict


class Keyring:
    """The signing keys of one gateway: the newest signs, all of them verify."""

    def __init__(self, keys: list[SigningKey]) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        self._keys = keys
        self._by_kid = {key.kid: key for key in keys}

    @classmethod
    def load(cls, folder: Path) -> Keyring:
        """Load every ``signing-*.pem`` of *folder*, making the first one if there is none."""
        ensure_folder(folder)
        if not any(folder.glob("signing-*.pem")):
            try:
                # One fixed name for the first key: of instances starting at once on an
                # empty shared folder, one makes it and the others use that one.
                cls.add_key(folder, name=FIRST_KEY)
            except FileExistsError:
                pass
        keys = []
        for path in sorted(folder.glob("signing-*.pem")):
            private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            jwk = public_jwk(private_key.public_key())
            keys.append(SigningKey(jwk["kid"], private_key, jwk))
        return cls(keys)

    @staticmethod
    def add_key(folder: Path, name: str | None = None) -> Path:
        """Make a new signing key in *folder*; it signs from the next load on. Raises
        ``FileExistsError`` when *name* is given and taken."""
        private_key = ec.generate_private_key(ec.SECP256R1())
        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Names sort by creation so the newest key is last.
        path = folder / (name or f"signing-{time.time_ns():020d}.pem")
        write_private(path, pem)
        return path

    @property
    def active(self) -> SigningKey:
        return self._keys[-1]

    def get(self, kid: str) -> SigningKey | None:
        return self._by_kid.get(kid)

    def jwks(self) -> dict:
        """The public keys as a JSON Web Key Set."""
        return {"keys": [key.jwk for key in self._keys]}
