"""Push subscriptions: one per device, only with push consent (agreement 1.5).

The endpoint is a capability URL (whoever knows it can push to the device), so it is
never logged or put in the operation log; only its push service origin is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from gateway import consent
from gateway.consent.purposes import Catalogue
from gateway.core import audit
from gateway.core.clock import Clock
from gateway.core.errors import Conflict
from gateway.core.store import Store
from gateway.core.tokens import digest, new_id
from gateway.push import config as push_config
from gateway.push import vapid
from gateway.push.config import PushOptions
from gateway.push.endpoints import Resolver, check_endpoint, check_keys, system_resolver
from gateway.push.states import DeliveryState
from gateway.push.tables import subscriptions, vapid_keys


@dataclass(frozen=True)
class Subscription:
    id: str
    user_id: str
    device_id: str
    origin: str
    vapid_kid: str
    key_state: str  # the state of its VAPID key: current, previous or retired
    created_at: datetime
    updated_at: datetime
    last_delivered_at: datetime | None

    @property
    def resubscribe(self) -> bool:
        """Its key was retired: the app must subscribe again with the current key."""
        return self.key_state == "retired"


_COLUMNS = (subscriptions, vapid_keys.c.state.label("key_state"))


def _subscription(row) -> Subscription:
    return Subscription(row.id, row.user_id, row.device_id, row.origin, row.vapid_kid,
                        row.key_state, row.created_at, row.updated_at, row.last_delivered_at)


def _select():
    return select(*_COLUMNS).join(vapid_keys, vapid_keys.c.kid == subscriptions.c.vapid_kid)


def subscribe(store: Store, clock: Clock, catalogue: Catalogue, options: PushOptions, *,
              user_id: str, device_id: str, family_id: str | None, endpoint: str, p256dh: str,
              auth: str, application_server_key: str | None = None,
              resolve: Resolver = system_resolver) -> Subscription:
    """Register (or replace) the device's subscription.

    Raises ``ConsentRequired`` without push consent, ``EndpointRefused`` for an endpoint
    the gateway may not call, ``SubscriptionKeysInvalid`` for bad keys, ``NoVapidKey``
    before push is set up, and ``Conflict`` when the app subscribed with a key that is
    retired or unknown (it must fetch the current key and subscribe again).
    """
    with store.read() as connection:
        consent.require(connection, clock, catalogue, user_id=user_id, device_id=device_id,
                        purpose="push")
        hosts = push_config.current(connection, options).hosts
    # Resolve outside any transaction: DNS may take a while.
    checked = check_endpoint(endpoint, hosts, allow_insecure_local=options.allow_insecure_local,
                             resolve=resolve)
    p256dh, auth = check_keys(p256dh, auth)
    now = clock.now()
    with store.write() as connection:
        consent.require(connection, clock, catalogue, user_id=user_id, device_id=device_id,
                        purpose="push")
        kid = _key_for(connection, application_server_key)
        values = dict(user_id=user_id, family_id=family_id, endpoint=endpoint,
                      endpoint_hash=digest(endpoint), origin=checked.origin, p256dh=p256dh,
                      auth=auth, vapid_kid=kid, updated_at=now)
        # A browser profile has one endpoint: whoever held it before (another account on
        # the same phone) loses it.
        connection.execute(delete(subscriptions).where(
            subscriptions.c.endpoint_hash == digest(endpoint),
            subscriptions.c.device_id != device_id))
        found = connection.execute(update(subscriptions)
                                   .where(subscriptions.c.device_id == device_id)
                                   .values(**values)).rowcount
        if not found:
            connection.execute(insert(subscriptions).values(
                id=new_id(), device_id=device_id, created_at=now, **values))
        audit.record(connection, clock, "push.subscribed", actor=user_id, device_id=device_id,
                     details={"origin": checked.origin, "vapid_kid": kid})
        return _subscription(connection.execute(
            _select().where(subscriptions.c.device_id == device_id)).one())


def _key_for(connection: Connection, application_server_key: str | None) -> str:
    current = vapid.current_key(connection)
    if not application_server_key or application_server_key == current.public_key:
        return current.kid
    row = connection.execute(select(vapid_keys.c.kid, vapid_keys.c.state).where(
        vapid_keys.c.public_key == application_server_key)).first()
    if row is None or row.state == "retired":
        raise Conflict("That applicationServerKey is no longer in use. Subscribe again with the "
                       "current one.", field="application_server_key",
                       current_key=current.public_key)
    return row.kid


def for_device(store: Store, device_id: str) -> Subscription | None:
    """The device's subscription, or None."""
    with store.read() as connection:
        row = connection.execute(_select().where(subscriptions.c.device_id == device_id)).first()
    return _subscription(row) if row else None


def unsubscribe(store: Store, clock: Clock, *, user_id: str, device_id: str) -> bool:
    """Remove the device's subscription (and what is queued for it); whether there was one."""
    from gateway.push import outbox

    with store.write() as connection:
        removed = remove(connection, device_id=device_id)
        outbox.cancel_pending(connection, clock, device_id=device_id,
                              state=DeliveryState.PRUNED, reason="unsubscribed")
        if removed:
            audit.record(connection, clock, "push.unsubscribed", actor=user_id,
                         device_id=device_id)
    return bool(removed)


def remove(connection: Connection, *, device_id: str | None = None,
           family_id: str | None = None, subscription_id: str | None = None) -> int:
    """Delete the subscriptions of a device, a sign-in or one id; how many went."""
    query = delete(subscriptions)
    if device_id is not None:
        query = query.where(subscriptions.c.device_id == device_id)
    if family_id is not None:
        query = query.where(subscriptions.c.family_id == family_id)
    if subscription_id is not None:
        query = query.where(subscriptions.c.id == subscription_id)
    return connection.execute(query).rowcount


def devices_of_family(connection: Connection, family_id: str) -> list[str]:
    """The devices whose subscription was made under the sign-in *family_id*."""
    return list(connection.execute(select(subscriptions.c.device_id)
                                   .where(subscriptions.c.family_id == family_id)).scalars())


def count_by_key(connection: Connection) -> dict[str, int]:
    """How many subscriptions each VAPID key signs for."""
    return dict(connection.execute(select(subscriptions.c.vapid_kid, func.count())
                                   .group_by(subscriptions.c.vapid_kid)).all())
