"""Scan to connect a phone: which device an offer becomes, and what its approval writes.

A claim never picks its device. A phone whose installation id is not yet one of the
user's devices becomes a new device, with an id minted at approval. One whose id is
already taken is that device only with a proof signed by the key that device registered
(audience ``enrollment``, ``act: "enroll"``, ``sub`` the installation id), and it keeps that
key. The phone's consent decisions are checked at the claim but kept with the offer; the
approval records them for the device in its own transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, select

from gateway import consent
from gateway.consent.purposes import Catalogue
from gateway.core.clock import Clock
from gateway.core.errors import Conflict, InvalidRequest
from gateway.identity import device_proofs, devices
from gateway.identity.devices import DeviceDescription
from gateway.identity.tables import devices as devices_table

PROOF_AUDIENCE = "enrollment"


class DeviceKnown(Conflict):
    slug = "enrollment-device-known"
    title = "Phone already connected"


@dataclass(frozen=True)
class Decision:
    """One consent decision the user made on the phone before it was signed in."""

    purpose: str
    decision: str
    policy_version: str
    notice_hash: str
    language: str = "en"
    os_permission: str | None = None
    client_time: datetime | None = None


def pending(connection: Connection, clock: Clock, catalogue: Catalogue,
            decided: Decision) -> dict:
    """*decided* checked as the ledger will check it, in the form the offer keeps (JSON).
    Raises what ``consent.check_decision`` raises."""
    language, client_time = consent.check_decision(
        connection, clock, catalogue, purpose=decided.purpose, decision=decided.decision,
        policy_version=decided.policy_version, notice_hash=decided.notice_hash,
        language=decided.language, method="enrollment", os_permission=decided.os_permission,
        client_time=decided.client_time)
    return {"purpose": decided.purpose, "decision": decided.decision,
            "policy_version": decided.policy_version, "notice_hash": decided.notice_hash,
            "language": language, "os_permission": decided.os_permission,
            "client_time": client_time.isoformat() if client_time else None}


def named(connection: Connection, user_id: str, app_device_id: str) -> str | None:
    """The id of *user_id*'s device with this installation id, if there is one."""
    return connection.execute(select(devices_table.c.id).where(
        devices_table.c.user_id == user_id,
        devices_table.c.app_device_id == app_device_id)).scalar()


def proven(connection: Connection, clock: Clock, user_id: str, device: DeviceDescription,
           key: dict, proof: str | None) -> str | None:
    """The id of the user's device the claiming phone proved to be, None for a new one;
    records the proof as used. Raises ``DeviceKnown`` (a known device without a proof, or
    one that registered no key), ``ProofInvalid``, ``ProofReplayed``, and
    ``InvalidRequest`` when *key* is not the key the device registered."""
    row = connection.execute(select(devices_table.c.id, devices_table.c.public_key).where(
        devices_table.c.user_id == user_id,
        devices_table.c.app_device_id == device.app_device_id)).first()
    if row is None:
        return None
    if not proof or not row.public_key:
        raise DeviceKnown("This phone is one of your devices already. Reconnect it from the phone "
                          "itself, or sign in on it with your password.")
    registered = json.loads(row.public_key)
    device_proofs.check(connection, clock, device_id=row.id, public_jwk=registered,
                        proof=proof, audience=PROOF_AUDIENCE,
                        expect={"act": "enroll", "sub": device.app_device_id})
    if (key["x"], key["y"]) != (registered["x"], registered["y"]):
        raise InvalidRequest("A connected phone keeps the key it registered.",
                             field="device.public_key")
    return row.id


def register(connection: Connection, clock: Clock, user_id: str, described: dict,
             device_id: str) -> None:
    """Register the approved phone (*described* as the offer keeps it) as *device_id*."""
    devices.register(connection, clock, user_id, DeviceDescription(
        app_device_id=described["app_device_id"], model=described["model"],
        os=described["os"], os_version=described["os_version"],
        app_version=described["app_version"], public_key=described["public_key"],
    ), None, device_id=device_id)


def record_decisions(connection: Connection, clock: Clock, catalogue: Catalogue, *,
                     user_id: str, device_id: str, app_version: str,
                     decisions: tuple[dict, ...]) -> None:
    """Record the phone's pending *decisions* for *device_id* (method ``enrollment``).
    Raises what ``consent.record`` raises."""
    for decided in decisions:
        client_time = decided.get("client_time")
        consent.record(
            connection, clock, catalogue, user_id=user_id, device_id=device_id,
            purpose=decided["purpose"], decision=decided["decision"],
            policy_version=decided["policy_version"], notice_hash=decided["notice_hash"],
            language=decided["language"], method="enrollment",
            os_permission=decided.get("os_permission"), app_version=app_version,
            client_time=(datetime.fromisoformat(client_time).astimezone(UTC)
                         if client_time else None))
