"""The push benchmark's baseline peer: the Node ``web-push`` library, installed by the
benchmark itself (``npm install web-push`` into a temporary folder) and driven by
``webpush_peer.js`` beside this file: a given number of requests in flight (256 is the
baseline the targets name) over an http keep-alive agent, each message encrypted and signed
by ``generateRequestDetails``."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.bench.push_setup import SUBJECT, Instance

SCRIPT = Path(__file__).with_name("webpush_peer.js")
CONCURRENCY = 256  # the baseline's pool, as the targets name it


class NodePeer:
    """``web-push`` in *folder*; ``send()`` runs one fan-out and returns its figures."""

    def __init__(self, folder: Path) -> None:
        if shutil.which("node") is None or shutil.which("npm") is None:
            raise RuntimeError("the baseline needs node and npm on the PATH")
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund",
                        "--prefix", str(folder), "web-push"], check=True, timeout=300,
                       capture_output=True)
        shutil.copy(SCRIPT, folder / SCRIPT.name)
        self.version = json.loads((folder / "node_modules/web-push/package.json")
                                  .read_text())["version"]
        self.config: Path | None = None

    def prepare(self, instance: Instance, subs: list, payload: dict) -> None:
        """Write what the next fan-outs send: to every subscription of *subs*, signed with
        the gateway instance's own VAPID key, a payload shaped like the gateway's."""
        self.config = self.folder / "config.json"
        self.config.write_text(json.dumps({
            "subject": SUBJECT, "publicKey": instance.vapid_public,
            "privateKey": instance.vapid_private, "payload": payload,
            "subscriptions": [s.as_json() for s in subs]}))

    def send(self, concurrency: int = CONCURRENCY) -> dict:
        """One fan-out to every subscription with *concurrency* requests in flight:
        ``elapsed`` seconds (first request to last answer), ``statuses`` and ``cpu`` seconds
        of the Node process."""
        done = subprocess.run(["node", str(self.folder / SCRIPT.name), str(self.config),
                               str(concurrency)],
                              cwd=self.folder, check=True, capture_output=True, text=True,
                              timeout=900)
        return json.loads(done.stdout.strip().splitlines()[-1])
