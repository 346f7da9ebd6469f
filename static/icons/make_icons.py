"""Draw the companion's icons once; the PNGs and favicon.ico beside this script are committed
and served as they are (nothing is drawn at run time).

    /work/main/.venv/bin/python static/icons/make_icons.py

Pillow is needed only here. The mark: a QR code's three finder squares and a data block,
white on the gateway's accent blue (#1f5fbf, the pages' --accent).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
BLUE = (31, 95, 191, 255)
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)
DRAW = 1024  # drawn large, then scaled down smoothly


def mark(draw: ImageDraw.ImageDraw, left: float, top: float, size: float) -> None:
    """The mark in the square (*left*, *top*, *size*): a 7-unit finder square in three
    corners and a 5-unit block in the fourth, on a 17-unit grid."""
    unit = size / 17

    def box(x, y, w, fill):
        draw.rectangle([left + x * unit, top + y * unit, left + (x + w) * unit - 1,
                        top + (y + w) * unit - 1], fill=fill)

    for x, y in ((0, 0), (10, 0), (0, 10)):
        box(x, y, 7, WHITE)
        box(x + 1, y + 1, 5, BLUE)
        box(x + 2, y + 2, 3, WHITE)
    box(10, 10, 3, WHITE)
    box(14, 14, 3, WHITE)
    box(14, 10, 3, WHITE)
    box(10, 14, 3, WHITE)


def icon(*, rounded: bool, content: float) -> Image.Image:
    """The icon drawn at DRAW pixels: a blue tile (with rounded, clear corners when
    *rounded*, else full-bleed) and the mark filling *content* of its width."""
    image = Image.new("RGBA", (DRAW, DRAW), CLEAR if rounded else BLUE)
    draw = ImageDraw.Draw(image)
    if rounded:
        draw.rounded_rectangle([0, 0, DRAW - 1, DRAW - 1], radius=DRAW * 0.18, fill=BLUE)
    size = DRAW * content
    mark(draw, (DRAW - size) / 2, (DRAW - size) / 2, size)
    return image


def save(image: Image.Image, pixels: int, name: str) -> None:
    image.resize((pixels, pixels), Image.LANCZOS).save(HERE / name, optimize=True)


def main() -> None:
    plain = icon(rounded=True, content=0.62)
    save(plain, 192, "icon-192.png")
    save(plain, 512, "icon-512.png")
    # Maskable: the platform cuts its own shape, so the tile is full-bleed and the mark stays
    # inside the central safe circle (80 % of the width).
    save(icon(rounded=False, content=0.5), 512, "icon-maskable-512.png")
    # iOS rounds the corners itself and shows transparency as black: full-bleed.
    save(icon(rounded=False, content=0.6), 180, "apple-touch-icon.png")
    plain.resize((256, 256), Image.LANCZOS).save(HERE / "favicon.ico",
                                                 sizes=[(16, 16), (32, 32), (48, 48)])


if __name__ == "__main__":
    main()
