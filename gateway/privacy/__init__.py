"""The user's rights and the data's lifetime: the personal-data map of every domain but
push (``datamap``), export and erasure driven by it (``rights``, with the shaped sections in
``exports``), retention and the purge (``retention``, ``stale``, ``housekeeping``), device
reports kept only with consent (``device_reports``), partner disclosures and the terms a
partner consent covers (``partners``, ``partner_terms``) and the access log."""
