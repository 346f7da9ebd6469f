"""Scan to log in: the flow a desktop browser starts (``flow``), the moves a signed-in
phone makes on it (``phone``), and the cache of flows' states that waiting browsers
poll (``state_cache``)."""
