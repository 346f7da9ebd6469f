"""Benchmark: gateway.core.qrimage.render_png vs qrcode.make(url) + PNG save.

Run as ``python -m tests.bench.bench_qrimage`` or ``python tests/bench/bench_qrimage.py``
from the project root.  Rounds are interleaved (the order alternates every
round) so drift in machine load hits all variants alike.  "cold" clears the
matrix cache before every call (matrix build + PNG); "warm" reuses it.
Every image kept as a sample is decoded with zxing-cpp and must give back its
URL.  Exits 1 if the cold speedup is under the target.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `gateway` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import qrcode  # noqa: E402
import zxingcpp  # noqa: E402
from PIL import Image  # noqa: E402

from gateway.core import qrimage  # noqa: E402

URL = "https://gateway.example.com/q/" + "Ab3dEf_-9xYz" * 3 + "Qw0_"  # 70 chars
TARGET = 5.0
ROUNDS = 15
CALLS = 40  # calls per variant per round


def baseline(url: str) -> bytes:
    buf = io.BytesIO()
    qrcode.make(url).save(buf, "PNG")
    return buf.getvalue()


def cold(url: str) -> bytes:
    qrimage.clear_cache()
    return qrimage.render_png(url)


def warm(url: str) -> bytes:
    return qrimage.render_png(url)


VARIANTS = {"qrcode.make + save": baseline, "render_png cold": cold, "render_png warm": warm}


def time_round(fn, samples: list[bytes]) -> float:
    """Per-call seconds for CALLS calls; keeps the first and last image."""
    start = time.perf_counter()
    first = fn(URL)
    for _ in range(CALLS - 2):
        fn(URL)
    last = fn(URL)
    elapsed = time.perf_counter() - start
    samples += [first, last]
    return elapsed / CALLS


def main() -> int:
    times = {name: [] for name in VARIANTS}
    samples = {name: [] for name in VARIANTS}
    warm(URL)  # prime the cache and imports for the warm variant
    names = list(VARIANTS)
    for round_no in range(ROUNDS):
        for name in names if round_no % 2 == 0 else reversed(names):
            times[name].append(time_round(VARIANTS[name], samples[name]))

    print(f"URL ({len(URL)} chars): {URL}")
    version = (len(qrimage.matrix(URL)) - 17) // 4  # a version-v code is 4v+17 modules wide
    print(f"qrimage: QR version {version}, mask {qrimage.MASK_PATTERN}; "
          f"{ROUNDS} interleaved rounds x {CALLS} calls per variant")
    base = statistics.median(times[names[0]])
    for name in names:
        med, best = statistics.median(times[name]), min(times[name])
        print(f"  {name:<20} median {med * 1e3:7.3f} ms  best {best * 1e3:7.3f} ms  "
              f"speedup {base / med:6.1f}x")

    failures = 0
    for name, images in samples.items():
        for png in images:
            if [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))] != [URL]:
                failures += 1
        print(f"  decoded {len(images)} {name} samples with zxing-cpp")
    if failures:
        print(f"FAIL: {failures} sampled image(s) did not decode to the URL")
        return 1

    speedup = base / statistics.median(times["render_png cold"])
    warm_speedup = base / statistics.median(times["render_png warm"])
    print(f"warm (cached matrix) speedup: {warm_speedup:.1f}x")
    print(f"qr png speedup: {speedup:.1f}x (target >= {TARGET:g}x)")
    return 0 if speedup >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
