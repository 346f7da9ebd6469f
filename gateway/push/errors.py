"""The push domain's errors: what a caller did wrong, with the problem type it answers."""

from __future__ import annotations

from gateway.core.errors import Conflict, GatewayError, InvalidRequest


class EndpointRefused(InvalidRequest):
    """The subscription's endpoint is not a push service the gateway may call."""

    slug = "push-endpoint-refused"
    title = "This push endpoint is not allowed"


class SubscriptionKeysInvalid(InvalidRequest):
    slug = "push-keys-invalid"
    title = "The subscription's keys are not valid"


class PayloadTooLarge(GatewayError):
    """The notification would not fit in one encrypted push message."""

    status = 422
    slug = "push-payload-too-large"
    title = "The notification is too large to push"


class AudienceInvalid(InvalidRequest):
    slug = "push-audience-invalid"
    title = "The audience names users, groups or a topic that do not exist"


class IdempotencyConflict(Conflict):
    """The idempotency key was used before for a different request."""

    slug = "idempotency-key-reused"
    title = "This idempotency key was used for another request"


class NoVapidKey(GatewayError):
    status = 503
    slug = "push-not-set-up"
    title = "Push is not set up yet: no VAPID key (run `flask gateway vapid`)"
