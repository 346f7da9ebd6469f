"""Device proofs: short ES256 JWTs a phone signs with the key it registered at sign-in, so
an approval provably comes from that phone and not only from someone holding its token.

A proof names what it approves (e.g. a login request id and the number tapped), when it
was made (``iat``, checked against the injected clock, not the system time) and a unique
``jti``. Each ``jti`` is accepted once per device: the used ones are kept for a while.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import jwt
from jwt.algorithms import ECAlgorithm
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from gateway.core.clock import Clock, epoch
from gateway.core.errors import Forbidden
from gateway.identity.tables import used_device_proofs

ALGORITHMS = ["ES256"]
MAX_AGE = timedelta(seconds=60)
# Used proofs are kept GATEWAY_RETAIN_ENDED_FLOW_HOURS (at least an hour: well past MAX_AGE,
# after which a proof is refused as stale anyway) and swept by the housekeeper
# (gateway.privacy.sweep).


class ProofInvalid(Forbidden):
    slug = "device-proof-invalid"
    title = "Device proof not valid"


class ProofRequired(ProofInvalid):
    slug = "device-proof-required"
    title = "Device proof required"


class ProofReplayed(ProofInvalid):
    slug = "device-proof-replayed"
    title = "Device proof used already"


def check(connection: Connection, clock: Clock, *, device_id: str, public_jwk: dict,
          proof: str, audience: str, expect: dict[str, Any]) -> dict[str, Any]:
    """Verify *proof* against the device's *public_jwk* and record its ``jti`` as used,
    inside an open write transaction; return its claims.

    Raises ``ProofInvalid`` (not ES256, bad signature, wrong audience, a claim differing
    from *expect*, ``iat`` more than a minute away from now, no ``jti``) and
    ``ProofReplayed`` when the device used this ``jti`` before.
    """
    try:
        key = ECAlgorithm.from_jwk(json.dumps(public_jwk))
        claims = jwt.decode(
            proof, key, algorithms=ALGORITHMS, audience=audience,
            # Time is checked below against the injected clock.
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False,
                     "require": ["aud", "iat", "jti"]},
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        raise ProofInvalid("The device's proof does not check out. Try again from the "
                           "phone.") from None
    for name, value in expect.items():
        if claims.get(name) != value:
            raise ProofInvalid("The device's proof is about something else (its {claim} differs). "
                               "Try again from the phone.", params={"claim": name})
    iat, jti = claims["iat"], claims["jti"]
    if not isinstance(iat, int) or isinstance(iat, bool) or abs(
            epoch(clock.now()) - iat) > MAX_AGE.total_seconds():
        raise ProofInvalid("The device's proof is too old, or dated in the future. Check the "
                           "phone's clock and try again.")
    if not isinstance(jti, str) or not 8 <= len(jti) <= 128:
        raise ProofInvalid("The device's proof needs a unique jti of 8 to 128 characters.")
    now = clock.now()
    seen = connection.execute(select(used_device_proofs.c.jti).where(
        used_device_proofs.c.device_id == device_id, used_device_proofs.c.jti == jti)).first()
    if seen:
        raise ProofReplayed("This proof was used already. Try again from the phone.")
    try:
        connection.execute(insert(used_device_proofs).values(device_id=device_id, jti=jti,
                                                             used_at=now))
    except IntegrityError:  # a concurrent call with the same proof committed first
        raise ProofReplayed("This proof was used already. Try again from the phone.") from None
    return claims
