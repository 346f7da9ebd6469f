"""Fast QR code rendering (PNG and SVG) for short gateway URLs.

The module matrix is built once per text with the ``qrcode`` library and
cached; the PNG is then written directly (1-bit grayscale, zlib + struct)
and the SVG as a single ``<path>`` of horizontal runs, so neither renderer
touches individual pixels from Python.

Design choices (measured on a 70-char https URL, see tests/bench):

* Error correction **L**.  Byte-mode capacity at version 4 (33x33) is
  L=78, M=62, Q=46, H=34 bytes, so only L keeps a 70-char URL at
  version <= 4; M would need version 5 (37x37).  For a code shown on a
  screen, larger modules at a given image size matter more than M's extra
  redundancy (~15% vs ~7% recoverable), which mostly guards print damage.
* Fixed mask pattern 2 (``make(fit=True)`` still picks the version).
  Otherwise ``qrcode`` builds and scores all eight masks, ~80% of the cost
  of a code (about 3.4 of 4.3 ms), which caps a cold render at ~1.6x the
  speed of ``qrcode.make`` + save; with the fixed mask it is ~6.8x.  Any mask
  decodes, but ISO 18004 has encoders pick the lowest-penalty one: over
  random gateway-style URLs mask 2 was that one in ~30-55% of cases and on
  average 5-10% (worst ~40%) above the best.  ``MASK_PATTERN = None``
  restores automatic selection.
"""

from __future__ import annotations

import re
import struct
import zlib
from functools import lru_cache

import qrcode
from qrcode.constants import ERROR_CORRECT_L

__all__ = ["matrix", "render_png", "render_svg", "clear_cache", "MAX_TEXT_LENGTH"]

MAX_TEXT_LENGTH = 512
ERROR_CORRECTION = ERROR_CORRECT_L
MASK_PATTERN: int | None = 2

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_DARK_RUNS = re.compile("1+")
_BITS = bytes.maketrans(b"\x00\x01", b"01")  # bytes(row of bools) -> b"0"/b"1"
# zlib level 4 gives QR bitmaps as small as levels 6-9 do (~370 bytes for a
# version-4 code at scale 8) in a third of level 6's time and 1/25 of level 9's.
_ZLIB_LEVEL = 4


@lru_cache(maxsize=256)
def _modules(text: str) -> tuple[tuple[bool, ...], ...]:
    """Build the (immutable, cached) module matrix; True means dark."""
    if not isinstance(text, str) or not text:
        raise ValueError("QR text must be a non-empty string")
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"QR text is {len(text)} chars; the maximum is {MAX_TEXT_LENGTH}")
    qr = qrcode.QRCode(
        error_correction=ERROR_CORRECTION, box_size=1, border=0, mask_pattern=MASK_PATTERN
    )
    qr.add_data(text)
    qr.make(fit=True)
    return tuple(tuple(row) for row in qr.modules)


clear_cache = _modules.cache_clear
"""Drop all cached matrices (used by the benchmark to measure cold renders)."""


def matrix(text: str) -> list[list[bool]]:
    """Return the QR module matrix for ``text`` (no quiet zone); True = dark.

    The result is a fresh copy of a cached matrix, so callers may mutate it.
    Raises ValueError if ``text`` is empty or longer than MAX_TEXT_LENGTH chars.
    """
    return [list(row) for row in _modules(text)]


def _check_int(name: str, value: int, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _rows(text: str, border: int) -> list[str]:
    """Matrix rows with the quiet zone added, as strings of '1' (dark) / '0'."""
    mods = _modules(text)
    size = len(mods) + 2 * border
    pad = "0" * border
    blank = ["0" * size] * border
    body = [pad + bytes(row).translate(_BITS).decode() + pad for row in mods]
    return blank + body + blank


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def render_png(text: str, *, scale: int = 8, border: int = 4) -> bytes:
    """Render ``text`` as a 1-bit grayscale PNG, black modules on white.

    The image is ``(modules + 2 * border) * scale`` pixels square.
    Raises ValueError if ``text`` is empty or longer than MAX_TEXT_LENGTH
    chars, if ``scale`` < 1 or if ``border`` < 0.
    """
    _check_int("scale", scale, 1)
    _check_int("border", border, 0)
    rows = _rows(text, border)
    width = len(rows) * scale
    nbytes = (width + 7) // 8
    dark, light = "0" * scale, "1" * scale  # in a 1-bit grayscale PNG, 0 is black
    tail = "1" * (nbytes * 8 - width)  # pad each scanline to a whole byte
    lines = {}  # identical matrix rows (e.g. the quiet zone) share one scanline
    for row in rows:
        if row not in lines:
            bits = row.replace("1", "d").replace("0", light).replace("d", dark) + tail
            # One scanline = filter type 0 (None) + packed pixels, repeated `scale` times.
            lines[row] = (b"\x00" + int(bits, 2).to_bytes(nbytes, "big")) * scale
    raw = b"".join(lines[row] for row in rows)
    header = struct.pack(">IIBBBBB", width, width, 1, 0, 0, 0, 0)  # 1-bit gray
    return b"".join(
        (
            _PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(raw, _ZLIB_LEVEL)),
            _chunk(b"IEND", b""),
        )
    )


def render_svg(text: str, *, border: int = 4) -> str:
    """Render ``text`` as a compact standalone SVG string.

    The viewBox is in module units (quiet zone included) and all dark
    modules form a single ``<path>`` of horizontal runs drawn with
    ``shape-rendering="crispEdges"`` over a white background rect, so the
    code stays sharp at any zoom.  Raises ValueError if ``text`` is empty or
    longer than MAX_TEXT_LENGTH chars, or if ``border`` < 0.
    """
    _check_int("border", border, 0)
    rows = _rows(text, border)
    size = len(rows)
    path = "".join(
        f"M{m.start()} {y}h{m.end() - m.start()}v1h-{m.end() - m.start()}z"
        for y, row in enumerate(rows)
        for m in _DARK_RUNS.finditer(row)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{path}"/></svg>'
    )
