"""The push domain's errors: what a caller did wrong, with the problem type it answers."""

from __future__ import annotations

from gateway.core.errors import Conflict, GatewayError, InvalidRequest


class EndpointRefused(InvalidRequest):
    """The subscription's endpoint is not a push service the gateway may call."""

    slug = "push-endpoint-refused"
    title = "Push address not allowed"


class SubscriptionKeysInvalid(InvalidRequest):
    slug = "push-keys-invalid"
    title = "Subscription keys not valid"


class PayloadTooLarge(GatewayError):
    """The notification would not fit in one encrypted push message."""

    status = 422
    slug = "push-payload-too-large"
    title = "Notification too long"


class AudienceInvalid(InvalidRequest):
    slug = "push-audience-invalid"
    title = "Unknown recipients"


class IdempotencyConflict(Conflict):
    """The idempotency key was used before for a different request."""

    slug = "idempotency-key-reused"
    title = "Idempotency key used already"


class NoVapidKey(GatewayError):
    status = 503
    slug = "push-not-set-up"
    title = "Push notifications are not set up yet"
