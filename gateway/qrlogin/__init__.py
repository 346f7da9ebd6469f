"""Scan to log in: the flow a desktop browser starts (``flow``), the moves a signed-in
phone makes on it (``phone``), and the cache of flows' states that waiting browsers
poll (``state_cache``); ``service.QrLogin`` binds the first two once to the store, clock,
event bus and keys (``gateway.build`` makes it)."""
