"""What a push subscription may point at, and whether its keys are real.

An endpoint must be https, on a host of the allowlist, and resolve only to public
addresses: the gateway is never made to POST to its own network (SSRF). The same address
rule is enforced again on every connection made to send (``transport``), so a host that changes
its DNS answer after subscribing gains nothing. Only the operator's test-only setting
``GATEWAY_PUSH_ALLOW_INSECURE_LOCAL_ENDPOINTS`` lets http:// and loopback/private
endpoints through, and then only those (never an arbitrary public host off the list).
"""

from __future__ import annotations

import binascii
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

from gateway.core.keys import b64url, unb64url
from gateway.push.allowlist import allowed
from gateway.push.errors import EndpointRefused, SubscriptionKeysInvalid

MAX_ENDPOINT = 2048
Resolver = Callable[[str, int], list[str]]  # (host, port) -> the addresses it resolves to


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses *host* resolves to now (raises ``OSError`` when it does not)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback, whatever its spelling
    return ip


def is_public(address: str) -> bool:
    """Whether *address* lies on the public internet (not private, loopback, link-local,
    shared, reserved or multicast)."""
    ip = _ip(address)
    return ip.is_global and not ip.is_multicast


def is_local(address: str) -> bool:
    """Whether *address* is loopback, private or link-local (the test-only exception)."""
    ip = _ip(address)
    return ip.is_loopback or ip.is_private or ip.is_link_local


@dataclass(frozen=True)
class Endpoint:
    url: str
    origin: str  # scheme://host[:port], the VAPID audience and the unit of concurrency
    host: str


def check_endpoint(url: str, hosts: tuple[str, ...], *, allow_insecure_local: bool,
                   resolve: Resolver = system_resolver) -> Endpoint:
    """*url* as an ``Endpoint`` if the gateway may push to it; raises ``EndpointRefused``
    saying why not (scheme, allowlist, an address that is not public, no DNS answer)."""
    if len(url) > MAX_ENDPOINT:
        raise EndpointRefused("The push address is longer than {most} characters.",
                              params={"most": MAX_ENDPOINT})
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise EndpointRefused("The push address is not a URL.") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password \
            or parts.fragment:
        raise EndpointRefused("The push address must be an https:// URL without credentials.")
    if parts.scheme == "http" and not allow_insecure_local:
        raise EndpointRefused("The push address must use https.")
    listed = allowed(host, hosts)
    if not listed and not allow_insecure_local:
        raise EndpointRefused("{host} is not a push service the gateway allows.",
                              params={"host": host}, host=host)
    try:
        addresses = [host] if _is_literal(host) else resolve(host, port)
    except (OSError, UnicodeError):
        raise EndpointRefused("{host} cannot be found in DNS.", params={"host": host},
                              host=host) from None
    if not addresses:
        raise EndpointRefused("{host} cannot be found in DNS.", params={"host": host},
                              host=host)
    public = all(is_public(a) for a in addresses)
    local = all(is_local(a) for a in addresses)
    if parts.scheme == "http" and not local:
        raise EndpointRefused("The push address must use https.")
    if listed and public:
        pass
    elif allow_insecure_local and local:
        pass  # the operator's explicit test-only exception
    elif listed and not public:
        raise EndpointRefused("{host} points to a private, loopback or link-local address.",
                              params={"host": host}, host=host)
    else:
        raise EndpointRefused("{host} is not a push service the gateway allows.",
                              params={"host": host}, host=host)
    default_port = port == {"https": 443, "http": 80}[parts.scheme]
    netloc = f"[{host}]" if ":" in host else host
    origin = f"{parts.scheme}://{netloc}" + ("" if default_port else f":{port}")
    return Endpoint(url=url, origin=origin, host=host)


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _b64(value: str, field: str) -> bytes:
    try:
        return unb64url(value)
    except (binascii.Error, ValueError):
        raise SubscriptionKeysInvalid("{field} is not base64url.", params={"field": field},
                                      field=field) from None


def check_keys(p256dh: str, auth: str) -> tuple[str, str]:
    """The keys, normalised to unpadded base64url, if ``p256dh`` is an uncompressed P-256
    point on the curve (65 bytes) and ``auth`` is 16 bytes; raises
    ``SubscriptionKeysInvalid`` naming the field otherwise."""
    point = _b64(p256dh.strip(), "keys.p256dh")
    if len(point) != 65 or point[0] != 4:
        raise SubscriptionKeysInvalid("The p256dh key must be a 65-byte uncompressed P-256 point.",
                                      field="keys.p256dh")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise SubscriptionKeysInvalid("The p256dh key is not a point on the P-256 curve.",
                                      field="keys.p256dh") from None
    secret = _b64(auth.strip(), "keys.auth")
    if len(secret) != 16:
        raise SubscriptionKeysInvalid("The auth secret must be 16 bytes.", field="keys.auth")
    return b64url(point), b64url(secret)
