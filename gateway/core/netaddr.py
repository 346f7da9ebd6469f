"""Client addresses made less precise (agreement 3.2): /24 for IPv4, /48 for IPv6."""

from __future__ import annotations

import ipaddress


def truncate_ip(address: str | None) -> str | None:
    """The network an address belongs to (``203.0.113.0/24``, ``2001:db8:1::/48``); None or
    an unparseable value gives None rather than leaking the raw text."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
