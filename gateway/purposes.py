"""The purpose catalogue: every permission the app may ask for, and why.

A purpose not in the catalogue cannot be consented to or checked. ``partner_sharing``
exists once per partner system the operator configures, as ``partner_sharing:<name>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.errors import NotFound


@dataclass(frozen=True)
class Purpose:
    name: str
    title: str
    why: str
    function: str
    data: tuple[str, ...]
    sensitive: bool = False


BASE_PURPOSES = (
    Purpose(
        "camera", "Camera",
        "Scan QR codes with the app's own scanner.",
        "Scan to log in to the server and scan to preview a report (agreement 1.4)",
        ("camera frames, read on the phone only; never uploaded",),
    ),
    Purpose(
        "push", "Notifications",
        "Receive notifications about sign-ins, reports and announcements.",
        "Push notifications (agreement 1.5)",
        ("push subscription endpoint and keys", "delivery and display receipts"),
    ),
    Purpose(
        "location", "Precise location",
        "Record the phone's GPS position or Wi-Fi access point with device reports.",
        "Device information (agreement 1.2.1)",
        ("GPS position", "Wi-Fi access point"),
        sensitive=True,
    ),
)

PARTNER_PREFIX = "partner_sharing:"


def partner_purpose(partner: str) -> Purpose:
    return Purpose(
        f"{PARTNER_PREFIX}{partner}", f"Sharing with {partner}",
        f"Send the data the operator configured to the partner system {partner!r}.",
        "Information sharing with partner systems (agreement 5)",
        ("the fields the operator configured for this partner",),
    )


class Catalogue:
    """The purposes of one gateway: the base ones plus one per configured partner."""

    def __init__(self, purposes: tuple[Purpose, ...]) -> None:
        self._purposes = {purpose.name: purpose for purpose in purposes}

    @classmethod
    def for_partners(cls, partners: tuple[str, ...] = ()) -> Catalogue:
        return cls(BASE_PURPOSES + tuple(partner_purpose(p) for p in partners))

    def with_purpose(self, purpose: Purpose) -> Catalogue:
        """A catalogue with one more purpose (a new function, agreement 1.6)."""
        return Catalogue(tuple(self._purposes.values()) + (purpose,))

    def get(self, name: str) -> Purpose:
        """The purpose called *name*. Raises ``NotFound`` when the catalogue has none."""
        try:
            return self._purposes[name]
        except KeyError:
            raise NotFound(f"{name!r} is not a purpose of this gateway", purpose=name) from None

    def __iter__(self):
        return iter(self._purposes.values())

    def __contains__(self, name: str) -> bool:
        return name in self._purposes
