"""Who is asking, as far as a phone should be told: browser and OS from the User-Agent,
a coarse place from the address, and whether two addresses sit on markedly different
networks.

Only coarse facts are kept: the address is cut to its /24 (IPv4) or /48 (IPv6) network at
once, and a place is a city and country from the operator's GeoIP database when one is
configured (``GATEWAY_GEOIP_DATABASE``). With the city comes the database's centre of it
and how sure it is (its accuracy radius), not where the address is: enough to tell a phone
that a computer is in another city, never where in it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import lru_cache

import ua_parser

from gateway.core.geo import Area, Point
from gateway.core.languages import N_
from gateway.core.netaddr import truncate_ip

UNKNOWN = "unknown"
# The browser families of ua-parser's rules written as people read them.
_READABLE = {"HeadlessChrome": "Headless Chrome", "Mac OS X": "macOS"}


def _parsed(user_agent: str | None):
    # ua-parser (its maintained rules, uap-core) caches what it has parsed.
    return ua_parser.parse(user_agent) if user_agent else None


def _named(family: str | None, version: str | None) -> str:
    if not family or family == "Other":
        return UNKNOWN
    family = _READABLE.get(family, family)
    return f"{family} {version}" if version else family


def browser_of(user_agent: str | None) -> str:
    """The browser family and major version, e.g. ``Firefox 133``; ``unknown`` if unsure."""
    found = _parsed(user_agent)
    agent = found.user_agent if found else None
    return _named(agent.family, agent.major) if agent else UNKNOWN


def os_of(user_agent: str | None) -> str:
    """The operating system, e.g. ``Windows``, ``macOS``, ``Android 15``."""
    found = _parsed(user_agent)
    system = found.os if found else None
    if system is None:
        return UNKNOWN
    # Windows NT 10.0 covers both 10 and 11, so a version would mislead; a desktop's
    # version says little to the person asked.
    plain = system.family in ("Windows", "Mac OS X", "Linux", "Ubuntu", "Chrome OS")
    return _named(system.family, None if plain else system.major)


def device_of(user_agent: str | None) -> str | None:
    """The phone or tablet as people know it (``Pixel 9``, ``iPhone``), or None when the
    User-Agent does not name one (desktops, and phones whose browser hides the model)."""
    found = _parsed(user_agent)
    device = found.device if found else None
    if device is None or device.brand in (None, "Generic", "Generic_Android") \
            or device.family in ("Other", "K"):
        return None
    return device.family


@dataclass(frozen=True)
class Place:
    """A city and country as people read them, and the country code for comparing."""

    text: str  # in English, as the operation log and notifications keep it
    country: str | None
    area: Area | None = None  # the city's centre and accuracy radius; None without a city
    names: dict[str, str] = field(default_factory=dict)  # {"zh": "中国长春"}: other languages

# The GeoIP database's name of each language of the gateway beside English, and how that
# language writes a city and its country.
_GEOIP_NAMES = {"zh": ("zh-CN", lambda city, country: f"{country}{city}")}


def _names_of(record: dict, country: dict, city: str | None) -> dict[str, str]:
    names = {}
    for language, (key, written) in _GEOIP_NAMES.items():
        theirs = (record.get("city") or {}).get("names", {}).get(key)
        country_name = country.get("names", {}).get(key)
        # A city the database cannot name in the language is named in English, whole,
        # rather than half in each.
        if country_name and (theirs or not city):
            names[language] = written(theirs or "", country_name)[:128]
    return names


def _city_area(city: str | None, location: dict) -> Area | None:
    # A centre without a city is a country's or a continent's: no distance from it means
    # anything, so none is kept.
    latitude, longitude = location.get("latitude"), location.get("longitude")
    if not city or latitude is None or longitude is None:
        return None
    return Area(Point(float(latitude), float(longitude)),
                float(location.get("accuracy_radius") or 0))


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
    area = _city_area(city, record.get("location") or {})
    names = _names_of(record, country, city)
    return Place(text, country.get("iso_code"), area, names) if text else None


@dataclass(frozen=True)
class Requester:
    """What a phone is told about the browser asking to be signed in."""

    browser: str
    os: str
    network: str | None  # the address cut to /24 or /48
    place: str | None
    country: str | None
    area: Area | None = None  # where the place is (a city's centre and radius), if known
    place_names: dict[str, str] = field(default_factory=dict)  # the place in other languages

    def place_in(self, language: str) -> str | None:
        """The place as readers of *language* write it; in English when the GeoIP database
        has no name in that language."""
        return self.place_names.get(language) or self.place


def describe(user_agent: str | None, ip: str | None, geoip_database: str = "") -> Requester:
    """The requester behind *user_agent* and *ip*; the full address is not kept."""
    place = place_of(ip, geoip_database)
    return Requester(
        browser=browser_of(user_agent)[:64],
        os=os_of(user_agent)[:64],
        network=truncate_ip(ip),
        place=place.text[:128] if place else None,
        country=place.country if place else None,
        area=place.area if place else None,
        place_names=dict(place.names) if place else {},
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


@dataclass(frozen=True)
class NetworkWarning:
    """What the phone is warned of: a fixed English *text* with "{name}" for each of
    *params*, put in the reader's language by the web layer."""

    text: str
    params: dict[str, str]


def networks_differ(requester: Requester, phone: Requester) -> NetworkWarning | None:
    """Why the phone should be warned that the requester is far from it, or None.

    Markedly different means another country (where the GeoIP database knows both), or
    else a different public /16 (/32 for IPv6), or one side on a private network and the
    other on the internet. Unknown addresses give no warning rather than a false one.
    """
    if requester.country and phone.country:
        if requester.country != phone.country:
            return NetworkWarning(N_("The computer appears to be in {place}, not where your "
                                     "phone is. Approve only if you started this sign-in."),
                                  {"place": requester.place or requester.country})
        return None
    ours, theirs = _wide_network(requester.network), _wide_network(phone.network)
    if ours is None or theirs is None:
        return None
    if ours.is_private != theirs.is_private:
        return NetworkWarning(N_("The computer is on another kind of network than your phone. "
                                 "Approve only if you started this sign-in."), {})
    if not ours.is_private and ours != theirs:
        return NetworkWarning(N_("The computer is on a different network than your phone. "
                                 "Approve only if you started this sign-in."), {})
    return None
