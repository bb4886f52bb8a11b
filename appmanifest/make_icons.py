"""Draw the Teams app icons: ``color.png`` (192×192) and ``outline.png`` (32×32, white on transparent).

The committed icons in ``bot/teams/appmanifest/`` were made with this script; run it again only to
change the design:

    .venv/bin/python appmanifest/make_icons.py

The "AI" mark is drawn from plain shapes (no font), four times larger than needed and then scaled
down, so the result is smooth and the same on every machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw

TARGET = Path(__file__).resolve().parents[1] / "bot" / "teams" / "appmanifest"
AARHUS_BLUE = (0x0C, 0x3E, 0x6E, 255)
WHITE = (255, 255, 255, 255)
SCALE = 4


def _draw_mark(draw: ImageDraw.ImageDraw, left: float, top: float, height: float, fill: tuple) -> None:
    """Draw "AI" with its top-left corner at (left, top); the mark is 1.3 × height wide."""
    stroke = 0.2 * height
    a_width = 0.9 * height
    # A: two slanted legs meeting at the apex, with a counter cut out and a crossbar.
    apex_half = 0.11 * height
    draw.polygon(
        [
            (left, top + height),
            (left + a_width / 2 - apex_half, top),
            (left + a_width / 2 + apex_half, top),
            (left + a_width, top + height),
            (left + a_width - stroke * 1.05, top + height),
            (left + a_width / 2, top + stroke * 1.15),
            (left + stroke * 1.05, top + height),
        ],
        fill=fill,
    )
    bar_top = top + 0.58 * height
    draw.rectangle(
        [left + 0.27 * height, bar_top, left + a_width - 0.27 * height, bar_top + 0.15 * height], fill=fill
    )
    # I: a plain bar after a small gap.
    i_left = left + a_width + 0.2 * height
    draw.rectangle([i_left, top, i_left + stroke, top + height], fill=fill)


def color_icon() -> Image.Image:
    size = 192 * SCALE
    image = Image.new("RGBA", (size, size), AARHUS_BLUE)
    height = 76 * SCALE  # the mark sits well inside Teams' 120×120 safe area
    width = 1.3 * height
    _draw_mark(ImageDraw.Draw(image), (size - width) / 2, (size - height) / 2, height, WHITE)
    return image.resize((192, 192), Image.Resampling.BOX).convert("RGB")


def outline_icon() -> Image.Image:
    size = 32 * SCALE
    # Draw the shape as an alpha mask, then give every pixel the colour white: Teams wants an outline
    # icon that is only white and transparency.
    mask = Image.new("L", (size, size), 0)
    height = 18 * SCALE
    width = 1.3 * height
    _draw_mark(ImageDraw.Draw(mask), (size - width) / 2, (size - height) / 2, height, 255)
    alpha = mask.resize((32, 32), Image.Resampling.BOX)
    image = Image.new("RGBA", (32, 32), (255, 255, 255, 0))
    image.putalpha(alpha)
    return image


def main(target: Path = TARGET) -> None:
    target.mkdir(parents=True, exist_ok=True)
    color_icon().save(target / "color.png", optimize=True)
    outline_icon().save(target / "outline.png", optimize=True)
    print(f"Ikonerne er skrevet til {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET)
