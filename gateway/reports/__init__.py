"""Scan to preview a report: the reports the BI server registers and who may view them
(``library``), their content (``snapshots``, ``summary``), the preview links and grants
(``preview``) and control over them (``preview_control``); ``service.Reports`` binds
``library``, ``preview`` and ``preview_control`` once to the store, clock and signer
(``gateway.build`` makes it)."""
