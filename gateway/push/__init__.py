"""Web Push (RFC 8030, 8291, 8292): VAPID keys, consent-gated subscriptions, topics and
preferences, notifications with a durable outbox, and the asyncio delivery worker.

One module per idea: ``subject`` and ``endpoints`` validate what comes in, ``vapid`` keeps
the keys, ``subscriptions``/``topics``/``preferences`` hold what users chose,
``notifications`` accepts a send, ``expansion`` turns it into deliveries, ``outbox`` claims
and records them, ``outcomes`` classifies push service answers, ``states`` names where a
delivery stands and where each outcome leaves it, ``sender`` speaks HTTP,
``worker`` runs it all, ``hooks`` undoes a subscription when consent or the device goes.
"""
