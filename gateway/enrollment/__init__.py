"""Scan to connect a phone: the offers a signed-in desktop makes (``offers``), the moves
of the phone that claims one (``phone``), and which device an approved offer becomes
(``devices``); ``service.Enrollment`` binds the first two once to the store, clock, event
bus and keys (``gateway.build`` makes it)."""
