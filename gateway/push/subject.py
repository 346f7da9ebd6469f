"""The VAPID ``sub`` claim (RFC 8292 section 2.1): how a push service reaches the operator.

Apple's push service refuses subjects that are not a reachable https URL or a real
``mailto:`` address (``localhost``, spaces or angle brackets get a 403 BadJwtToken), so
they are refused here, before any message is signed with them.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import unquote, urlsplit

from email_validator import EmailNotValidError, validate_email

from gateway.core.languages import N_, Phrase

_FORBIDDEN = set(" \t\r\n<>\"'")


def _real_host(host: str) -> bool:
    host = host.rstrip(".").lower()
    if not host or "." not in host or host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return True
    return False  # an address is not a contact


def _refused(text: str) -> ValueError:
    return ValueError(Phrase(text))


def check_subject(subject: str) -> str:
    """*subject* if it is an https URL on a real host or a ``mailto:`` with one valid
    address; raises ``ValueError`` saying what is wrong otherwise (its argument a
    ``Phrase``, so a person reads it in their language)."""
    if not subject or _FORBIDDEN & set(subject):
        raise _refused(N_("the VAPID subject may not be empty or hold spaces, quotes or <>"))
    if subject.startswith("mailto:"):
        address = unquote(subject[len("mailto:"):])
        if "?" in address or "," in address or _FORBIDDEN & set(address):
            raise _refused(N_("a mailto: subject holds exactly one address, no query"))
        try:
            checked = validate_email(address, check_deliverability=False)
        except EmailNotValidError:
            raise _refused(N_("not a real e-mail address")) from None
        if not _real_host(checked.domain):
            raise _refused(N_("the e-mail address must be on a real domain, not localhost"))
        return subject
    if subject.startswith("https://"):
        parts = urlsplit(subject)
        if parts.username or parts.password or not _real_host(parts.hostname or ""):
            raise _refused(N_("an https subject needs a real host name (no localhost, no "
                              "address)"))
        return subject
    raise _refused(N_("the VAPID subject must be an https:// URL or a mailto: address"))
