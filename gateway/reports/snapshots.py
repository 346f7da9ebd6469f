"""Snapshot images of reports: what the BI server sends is decoded before anything is stored.

The type is what Pillow finds when it decodes the bytes (PNG or JPEG only), never what the
sender declares; a declared type that differs is refused as a lie. The pixel count is
checked from the image header *before* the pixels are decoded, so a small file that claims
a huge canvas (a decompression bomb) costs nothing. The image is then decoded in full (a
truncated or corrupt file fails here, not on a phone) and written out again: the stored
copy carries no EXIF or text chunks (a phone photo's GPS position, say) and no trailing
bytes, only the pixels and the colour profile.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

from PIL import Image

from gateway.core.errors import GatewayError

MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
# Pillow names a JPEG with a second picture in its APP2 segment (many cameras) "MPO".
_FOUND = {**MEDIA_TYPES, "MPO": "image/jpeg"}
_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")  # how PNG and JPEG files begin


class SnapshotTooLarge(GatewayError):
    status = 413
    slug = "snapshot-too-large"
    title = "Snapshot too large"


class SnapshotUnsupported(GatewayError):
    status = 415
    slug = "snapshot-unsupported"
    title = "Snapshot not PNG or JPEG"


class SnapshotTypeMismatch(GatewayError):
    status = 422
    slug = "snapshot-type-mismatch"
    title = "Snapshot of another type"


class SnapshotUnreadable(GatewayError):
    status = 422
    slug = "snapshot-unreadable"
    title = "Snapshot unreadable"


@dataclass(frozen=True)
class Snapshot:
    media_type: str
    width: int
    height: int
    data: bytes


def validate(data: bytes, *, declared: str | None, max_bytes: int, max_pixels: int) -> Snapshot:
    """The snapshot *data* decoded, checked and re-encoded without metadata.

    Raises ``SnapshotTooLarge`` (more than *max_bytes* bytes or *max_pixels* pixels),
    ``SnapshotUnsupported`` (not a PNG or JPEG), ``SnapshotTypeMismatch`` (*declared*, when
    given, is not the type found) and ``SnapshotUnreadable`` (truncated or corrupt).
    """
    if len(data) > max_bytes:
        raise SnapshotTooLarge("The snapshot has {size} bytes, and the limit is {limit}. Send a "
                               "smaller image.", params={"size": len(data), "limit": max_bytes},
                               limit=max_bytes)
    try:
        image = Image.open(io.BytesIO(data), formats=tuple(MEDIA_TYPES))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own ceiling (far above ours) tripped while reading the header.
        raise SnapshotTooLarge("The image has more than {limit} pixels. Send a smaller image.",
                               params={"limit": max_pixels}, limit=max_pixels) from None
    except Exception:
        # Image.open raises UnidentifiedImageError, but malformed headers also surface as
        # SyntaxError, ValueError or struct.error from the format plugins.
        if data.startswith(_SIGNATURES):
            raise SnapshotUnreadable("The image is cut short or damaged.") from None
        raise SnapshotUnsupported("The snapshot is not a PNG or JPEG image.") from None
    with image:
        media_type = _FOUND.get(image.format or "")
        if media_type is None:
            raise SnapshotUnsupported("The snapshot is not a PNG or JPEG image.")
        if declared is not None and declared.strip().lower() != media_type:
            raise SnapshotTypeMismatch("The snapshot was sent as \"{declared}\" but is {found}.",
                                       params={"declared": declared, "found": media_type},
                                       found=media_type)
        width, height = image.size
        if width < 1 or height < 1 or width * height > max_pixels:
            raise SnapshotTooLarge("The image is {width}x{height} pixels, and the limit is {limit} "
                                   "pixels. Send a smaller image.",
                                   params={"width": width, "height": height, "limit": max_pixels},
                                   limit=max_pixels)
        return Snapshot(media_type, width, height, _reencode(image))


def _reencode(image: Image.Image) -> bytes:
    """Decode every pixel and write a clean copy in the same format."""
    out = io.BytesIO()
    try:
        image.load()
        options = {}
        if image.info.get("icc_profile"):
            options["icc_profile"] = image.info["icc_profile"]
        if image.format in ("JPEG", "MPO"):
            # Same quantisation tables and subsampling: no second round of quality loss.
            image.save(out, "JPEG", quality="keep", subsampling="keep", **options)
        else:
            image.save(out, "PNG", **options)
    except (OSError, ValueError, SyntaxError, EOFError, struct.error, zlib.error,
            Image.DecompressionBombError) as error:
        raise SnapshotUnreadable("The image cannot be decoded ({reason}). Send it again.",
                                 params={"reason": _reason(error)}) from None
    return out.getvalue()


def _reason(error: Exception) -> str:
    """A short, safe description of why decoding failed (no bytes of the input)."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:120]
