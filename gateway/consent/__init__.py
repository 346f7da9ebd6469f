"""Consent: the ledger of every permission decision, the policy versions it is taken
under, and the check every other function makes before it uses a purpose.

How other domains use it, inside their own transaction, where the action happens::

    from gateway import consent

    consent.require(connection, clock, catalogue, user_id=..., device_id=...,
                    purpose="push")        # raises ConsentRequired (403 consent-required)
    if consent.is_granted(connection, clock, user_id=..., device_id=..., purpose="location"):
        ...                                # store the field; otherwise drop it

What withdrawing a purpose undoes in another domain (push consent withdrawn: the device's
subscription goes) is declared by the composition root (``gateway.build.reactions``) and
carried by the catalogue (``Catalogue.withdrawn``).

Endpoints use ``gateway.web.consent.requires_consent("camera")`` instead.

Modules: ``purposes`` (the catalogue, in gateway/consent/purposes.py), ``policies`` (versions and
what they change), ``notices`` (texts per language, what was shown), ``ledger``
(decisions), ``chain`` (the hash chain and its checkpoint), ``state`` (derivation and the
check), ``receipts`` (signed Kantara-style receipts), ``selfservice`` (what a device does).
"""

from gateway.consent.chain import GENESIS, ChainHead, ChainReport, event_hash, subject_digest
from gateway.consent.chain import head as chain_head
from gateway.consent.chain import verify as verify_chain
from gateway.consent.errors import (
    ConsentRequired,
    NoPolicyInEffect,
    NoSuchDevice,
    NothingToWithdraw,
    PolicyNotCurrent,
    UnknownPolicyVersion,
    UnknownPurpose,
)
from gateway.consent.ledger import (
    CLIENT_CLOCK_SKEW,
    DECISIONS,
    METHODS,
    OS_PERMISSIONS,
    ConsentEvent,
    count_events,
    get_event,
    history,
    record,
    redact_user,
    withdraw,
)
from gateway.consent.ledger import (
    check as check_decision,
)
from gateway.consent.notices import (
    Notice,
    acknowledge_policy,
    current_notice,
    notice,
    notice_text,
    pick_language,
    policy_seen,
    require_language,
    serve_notice,
)
from gateway.consent.policies import (
    PolicyVersion,
    computed_changes,
    current_policy,
    get_policy,
    is_first,
    list_policies,
    policy_in_effect,
    publish_policy,
    sha256,
    verify_texts,
)
from gateway.consent.policy_texts import PolicyText
from gateway.consent.state import ConsentStatus, derive, is_granted, require, status, statuses

__all__ = [
    "CLIENT_CLOCK_SKEW",
    "DECISIONS",
    "GENESIS",
    "METHODS",
    "OS_PERMISSIONS",
    "ChainHead",
    "ChainReport",
    "ConsentEvent",
    "ConsentRequired",
    "ConsentStatus",
    "NoPolicyInEffect",
    "NoSuchDevice",
    "NothingToWithdraw",
    "Notice",
    "PolicyNotCurrent",
    "PolicyText",
    "PolicyVersion",
    "UnknownPolicyVersion",
    "UnknownPurpose",
    "acknowledge_policy",
    "chain_head",
    "check_decision",
    "computed_changes",
    "count_events",
    "current_notice",
    "current_policy",
    "derive",
    "event_hash",
    "get_event",
    "get_policy",
    "history",
    "is_granted",
    "is_first",
    "list_policies",
    "notice",
    "notice_text",
    "pick_language",
    "policy_in_effect",
    "policy_seen",
    "publish_policy",
    "record",
    "redact_user",
    "require",
    "require_language",
    "serve_notice",
    "sha256",
    "status",
    "statuses",
    "subject_digest",
    "verify_chain",
    "verify_texts",
    "withdraw",
]
