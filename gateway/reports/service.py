"""Scan to preview, bound once to what it runs on: the reports registered, their preview
links and grants, and control over them, as the composition root builds them."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.consent.purposes import Catalogue
from gateway.core.clock import Clock
from gateway.core.store import Store
from gateway.core.tokens import Signer
from gateway.reports.library import Library
from gateway.reports.preview import Previews
from gateway.reports.preview_control import PreviewControl


@dataclass(frozen=True)
class Reports:
    """Scan to preview: ``library`` registers reports and says who may see them,
    ``previews`` makes and opens preview links and checks grants, ``control`` shows and ends
    a report's live previews."""

    library: Library
    previews: Previews
    control: PreviewControl

    @classmethod
    def build(cls, store: Store, clock: Clock, signer: Signer, catalogue: Catalogue,
              public_url: str) -> Reports:
        """Scan to preview on *store* and *clock*; grants are signed by *signer*, links
        start with *public_url*."""
        return cls(Library(store, clock), Previews(store, clock, signer, catalogue, public_url),
                   PreviewControl(store, clock))
