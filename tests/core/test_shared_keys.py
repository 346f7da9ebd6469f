"""Several gateway instances starting at once on one empty keys folder (shared by all
instances of a cluster) end up with the same keys: one first signing key and one copy of
each secret, never a half-written file."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from gateway.core.keys import Keyring, load_secret

INSTANCES = 8


def _start(folder: str, barrier) -> tuple[str, bytes]:
    barrier.wait(timeout=30)
    return Keyring.load(Path(folder)).active.kid, load_secret(Path(folder), "flask")


def test_instances_starting_at_once_share_one_signing_key_and_one_secret(tmp_path):
    context = multiprocessing.get_context("fork")
    barrier = context.Manager().Barrier(INSTANCES)
    with context.Pool(INSTANCES) as pool:
        started = pool.starmap(_start, [(str(tmp_path), barrier)] * INSTANCES, chunksize=1)
    assert len(set(started)) == 1
    assert len(list(tmp_path.glob("signing-*.pem"))) == 1
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind
