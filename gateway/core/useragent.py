"""Who is asking, as far as a phone should be told: browser and OS from the User-Agent,
a coarse place from the address, and whether two addresses sit on markedly different
networks.

Only coarse facts are kept: the address is cut to its /24 (IPv4) or /48 (IPv6) network at
once, and a place is a city and country from the operator's GeoIP database when one is
configured (``GATEWAY_GEOIP_DATABASE``), never coordinates.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache

from gateway.core.netaddr import truncate_ip

# Order matters: Edge, Opera and Samsung Internet also say "Chrome", Chrome says "Safari".
_BROWSERS = (
    ("Edge", re.compile(r"\bEdg(?:e|A|iOS)?/(\d+)")),
    ("Opera", re.compile(r"\bOPR/(\d+)")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/(\d+)")),
    ("Firefox", re.compile(r"\b(?:Firefox|FxiOS)/(\d+)")),
    ("Headless Chrome", re.compile(r"\bHeadlessChrome/(\d+)")),
    ("Chrome", re.compile(r"\b(?:Chrome|CriOS)/(\d+)")),
    ("Safari", re.compile(r"\bVersion/(\d+)[.\d]* (?:Mobile/\w+ )?Safari/")),
)
_SYSTEMS = (
    ("Android", re.compile(r"\bAndroid (\d+)")),
    ("iPadOS", re.compile(r"\biPad;.*? OS (\d+)")),
    ("iOS", re.compile(r"\biPhone OS (\d+)")),
    ("ChromeOS", re.compile(r"\bCrOS\b()")),
    ("Windows", re.compile(r"\bWindows NT (\d+)")),
    ("macOS", re.compile(r"\bMac OS X\b()")),
    ("Linux", re.compile(r"\bLinux\b()")),
)
UNKNOWN = "unknown"


def browser_of(user_agent: str | None) -> str:
    """The browser family and major version, e.g. ``Firefox 133``; ``unknown`` if unsure."""
    return _first(_BROWSERS, user_agent or "")


def os_of(user_agent: str | None) -> str:
    """The operating system, e.g. ``Windows``, ``macOS``, ``Android 15``."""
    name = _first(_SYSTEMS, user_agent or "")
    # Windows NT 10.0 covers both 10 and 11, so a version would mislead.
    return "Windows" if name.startswith("Windows") else name


def _first(patterns, text: str) -> str:
    for name, pattern in patterns:
        found = pattern.search(text)
        if found:
            version = found.group(1)
            return f"{name} {version}" if version else name
    return UNKNOWN


@dataclass(frozen=True)
class Place:
    """A city and country as people read them, and the country code for comparing."""

    text: str
    country: str | None


@lru_cache(maxsize=4)
def _reader(path: str):
    import maxminddb  # only needed where an operator configured a database

    return maxminddb.open_database(path)


def place_of(ip: str | None, geoip_database: str = "") -> Place | None:
    """The coarse place of *ip* from the GeoIP database at *geoip_database* (MaxMind
    format), or None without a database, an address, or an entry for it."""
    if not ip or not geoip_database:
        return None
    try:
        record = _reader(geoip_database).get(ip)
    except ValueError:  # not an address
        return None
    if not isinstance(record, dict):
        return None
    city = (record.get("city") or {}).get("names", {}).get("en")
    country = record.get("country") or record.get("registered_country") or {}
    country_name = country.get("names", {}).get("en")
    text = ", ".join(part for part in (city, country_name) if part)
    return Place(text, country.get("iso_code")) if text else None


@dataclass(frozen=True)
class Requester:
    """What a phone is told about the browser asking to be signed in."""

    browser: str
    os: str
    network: str | None  # the address cut to /24 or /48
    place: str | None
    country: str | None


def describe(user_agent: str | None, ip: str | None, geoip_database: str = "") -> Requester:
    """The requester behind *user_agent* and *ip*; the full address is not kept."""
    place = place_of(ip, geoip_database)
    return Requester(
        browser=browser_of(user_agent)[:64],
        os=os_of(user_agent)[:64],
        network=truncate_ip(ip),
        place=place.text[:128] if place else None,
        country=place.country if place else None,
    )


def _wide_network(network: str | None) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The /16 (IPv4) or /32 (IPv6) around a stored network: an operator's or a carrier's
    block rather than one office."""
    if not network:
        return None
    try:
        parsed = ipaddress.ip_network(network, strict=False)
    except ValueError:
        return None
    return parsed.supernet(new_prefix=16 if parsed.version == 4 else 32)


def networks_differ(requester: Requester, phone: Requester) -> str | None:
    """Why the phone should be warned that the requester is far from it, or None.

    Markedly different means another country (where the GeoIP database knows both), or
    else a different public /16 (/32 for IPv6), or one side on a private network and the
    other on the internet. Unknown addresses give no warning rather than a false one.
    """
    if requester.country and phone.country:
        if requester.country != phone.country:
            return f"The computer appears to be in {requester.place}, not where your phone is."
        return None
    ours, theirs = _wide_network(requester.network), _wide_network(phone.network)
    if ours is None or theirs is None:
        return None
    if ours.is_private != theirs.is_private:
        return "The computer is on another kind of network than your phone."
    if not ours.is_private and ours != theirs:
        return "The computer is on a different network than your phone."
    return None
