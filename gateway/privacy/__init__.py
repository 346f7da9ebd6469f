"""The user's rights and the data's lifetime: export and erasure (``rights``), retention
and the purge (``retention``, ``housekeeping``), device reports kept only with consent
(``device_reports``), partner disclosures (``partners``) and the access log."""
