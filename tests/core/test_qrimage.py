"""Behaviour of gateway.core.qrimage: images decode back to the URL, stay small and valid."""

import io
import re

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from gateway.core import qrimage

URL_70 = "https://gateway.example.com/q/" + "Ab3dEf_-9xYz" * 3 + "Qw0_"
URL_SHORT = "https://gw.example.com/q/Ab3dEfGh1jKlMn0pQr_tUv"


def decode(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image)]


def rasterise_svg(svg: str, scale: int = 8) -> Image.Image:
    """Draw the SVG's viewBox and "M x y hW v1 h-W z" runs into a Pillow image."""
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    path = re.search(r'<path[^>]* d="([^"]*)"', svg).group(1)
    runs = re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", path)
    assert "".join(f"M{x} {y}h{w}v1h-{w}z" for x, y, w in runs) == path
    for x, y, w in map(lambda run: map(int, run), runs):
        draw.rectangle([x * scale, y * scale, (x + w) * scale - 1, (y + 1) * scale - 1], fill=0)
    return image


def test_url_of_70_chars_fits_in_version_4():
    assert len(URL_70) == 70
    assert len(qrimage.matrix(URL_70)) <= 33  # version 4 is 33x33 modules


@pytest.mark.parametrize("length", [40, 55, 69, 70])
def test_token_urls_up_to_70_chars_fit_in_version_4_and_decode(length):
    url = (URL_SHORT + "0123456789_-" * 5)[:length]
    assert len(qrimage.matrix(url)) <= 33
    assert decode(Image.open(io.BytesIO(qrimage.render_png(url, scale=4)))) == [url]


@pytest.mark.parametrize("url", [URL_SHORT, URL_70])
def test_png_decodes_back_to_the_exact_url(url):
    assert decode(Image.open(io.BytesIO(qrimage.render_png(url)))) == [url]


@pytest.mark.parametrize("url", [URL_SHORT, URL_70])
def test_svg_decodes_back_to_the_exact_url(url):
    assert decode(rasterise_svg(qrimage.render_svg(url))) == [url]


@pytest.mark.parametrize("scale, border", [(8, 4), (1, 0), (3, 2), (5, 1)])
def test_png_is_valid_with_size_modules_plus_border_times_scale(scale, border):
    png = qrimage.render_png(URL_70, scale=scale, border=border)
    image = Image.open(io.BytesIO(png))
    image.load()  # forces full decode, so CRC / zlib errors surface here
    side = (len(qrimage.matrix(URL_70)) + 2 * border) * scale
    assert image.format == "PNG" and image.mode in ("1", "L")
    assert image.size == (side, side)


def test_png_pixels_match_the_matrix_black_on_white():
    scale, border = 3, 2
    image = Image.open(io.BytesIO(qrimage.render_png(URL_SHORT, scale=scale, border=border)))
    pixels = image.convert("L")
    for y, row in enumerate(qrimage.matrix(URL_SHORT)):
        for x, dark in enumerate(row):
            centre = ((x + border) * scale + 1, (y + border) * scale + 1)
            assert pixels.getpixel(centre) == (0 if dark else 255)
    assert pixels.getpixel((0, 0)) == 255  # quiet zone is white


def test_svg_is_standalone_crisp_and_sized_in_modules():
    svg = qrimage.render_svg(URL_70, border=4)
    side = len(qrimage.matrix(URL_70)) + 8
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert f'viewBox="0 0 {side} {side}"' in svg
    assert 'shape-rendering="crispEdges"' in svg
    assert f'<rect width="{side}" height="{side}" fill="#fff"/>' in svg
    assert svg.count("<path") == 1


def test_matrix_returns_a_copy_so_callers_cannot_corrupt_the_cache():
    first = qrimage.matrix(URL_SHORT)
    first[0][0] = not first[0][0]
    assert qrimage.matrix(URL_SHORT)[0][0] != first[0][0]
    assert all(isinstance(m, bool) for row in first for m in row)


@pytest.mark.parametrize("render", [qrimage.matrix, qrimage.render_png, qrimage.render_svg])
@pytest.mark.parametrize("text", ["", "x" * (qrimage.MAX_TEXT_LENGTH + 1)])
def test_empty_or_oversized_text_raises_value_error(render, text):
    with pytest.raises(ValueError):
        render(text)


def test_text_at_the_length_limit_is_accepted():
    assert qrimage.matrix("x" * qrimage.MAX_TEXT_LENGTH)


@pytest.mark.parametrize("kwargs", [{"scale": 0}, {"border": -1}, {"scale": 2.5}])
def test_invalid_scale_or_border_raises_value_error(kwargs):
    with pytest.raises(ValueError):
        qrimage.render_png(URL_SHORT, **kwargs)
