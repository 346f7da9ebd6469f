"""gateway.reports.snapshots: the decoder decides what an image is, and a clean copy is kept."""

import io

import pytest
from PIL import Image, ImageCms

from gateway.reports import snapshots
from tests.preview_support import image_bytes

LIMITS = {"max_bytes": 1_000_000, "max_pixels": 1_000_000}


def test_the_declared_type_is_compared_without_regard_to_case_or_spaces():
    found = snapshots.validate(image_bytes("PNG"), declared=" Image/PNG ", **LIMITS)
    assert (found.media_type, found.width, found.height) == ("image/png", 64, 48)


def test_a_palette_png_keeps_its_transparency():
    image = Image.new("P", (10, 10), 0)
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    out = io.BytesIO()
    image.save(out, "PNG", transparency=0)
    stored = Image.open(io.BytesIO(snapshots.validate(out.getvalue(), declared=None,
                                                      **LIMITS).data))
    assert stored.mode == "P" and stored.info.get("transparency") == 0


def test_text_chunks_go_and_the_colour_profile_stays():
    from PIL.PngImagePlugin import PngInfo

    meta = PngInfo()
    meta.add_text("Author", "someone@example.com")
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "PNG", pnginfo=meta, icc_profile=profile)
    data = snapshots.validate(out.getvalue(), declared="image/png", **LIMITS).data
    assert b"someone@example.com" not in data
    assert Image.open(io.BytesIO(data)).info["icc_profile"] == profile


def test_trailing_bytes_after_the_image_are_not_kept():
    polyglot = image_bytes("JPEG") + b"<script>alert(1)</script>"
    data = snapshots.validate(polyglot, declared="image/jpeg", **LIMITS).data
    assert b"<script>" not in data


def test_the_pixel_limit_is_inclusive():
    at_limit = image_bytes("PNG", (1000, 1000))
    assert snapshots.validate(at_limit, declared=None, **LIMITS).width == 1000
    with pytest.raises(snapshots.SnapshotTooLarge):
        snapshots.validate(image_bytes("PNG", (1001, 1000)), declared=None, **LIMITS)
