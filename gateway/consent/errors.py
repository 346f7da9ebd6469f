"""The consent domain's errors; each becomes a problem+json answer with its own type."""

from __future__ import annotations

from gateway.consent.purposes import UnknownPurpose
from gateway.core.errors import Conflict, Forbidden, NotFound

__all__ = ["ConsentRequired", "NoPolicyInEffect", "NoSuchDevice", "NothingToWithdraw",
           "PolicyNotCurrent", "UnknownPolicyVersion", "UnknownPurpose"]


class ConsentRequired(Forbidden):
    slug = "consent-required"
    title = "This needs a permission you have not given"


class UnknownPolicyVersion(NotFound):
    slug = "unknown-policy-version"
    title = "No such version of the agreement was published"


class PolicyNotCurrent(Conflict):
    """A decision names a policy version that a newer one in effect replaced for its
    purpose, or one that is not in effect yet: the user saw an outdated notice."""

    slug = "policy-not-current"
    title = "The notice shown belongs to a version of the agreement that no longer applies"


class NothingToWithdraw(Conflict):
    slug = "nothing-to-withdraw"
    title = "There is no permission to withdraw"


class NoSuchDevice(NotFound):
    slug = "no-such-device"
    title = "This device is not one of yours"


class NoPolicyInEffect(Conflict):
    """No version of the agreement is in effect yet, so nothing that needs a notice (a
    device's id, model, system, address) may be collected (agreement 1.6)."""

    slug = "no-policy-in-effect"
    title = "No version of the user agreement is in effect yet"
