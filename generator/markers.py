"""Click markers: the built-in round marker, and any marker image made RGBA.

Scribe marks each click with a 72x72 round marker under `.../watermarks/`:
`<RRGGBB>_standard.png` in the team's colour, or (2023 exports) `watermark_default.png` in
its default orange. `builtin:circle#RRGGBB` draws a look-alike locally, so a guide renders
offline and when that PNG cannot be fetched.
"""

from __future__ import annotations

import functools
import re

from PIL import Image as PILImage
from PIL import ImageDraw, ImageFilter

from generator.model import BUILTIN_MARKER
from generator.transform import normalise_mode

MARKER_SIZE = 72
_COLOUR = re.compile(r"^#?([0-9a-f]{6})$", re.IGNORECASE)
# Drawn this many times larger, then reduced with LANCZOS: smooth edges without relying on
# anti-aliasing in ImageDraw, which has none for ellipses.
_SUPERSAMPLE = 4
# Radii as fractions of the canvas size, shaped after Scribe's orange marker: a solid dot,
# a white ring around it, and a translucent halo out to the canvas edge.
_CORE = 0.25
_RING = 0.32
_HALO = 0.42
_HALO_ALPHA = 96
_HALO_BLUR = 0.025


def parse_builtin(src: str) -> str | None:
    """'FB923C' for `builtin:circle#fb923c` (the `#` is optional); None for other sources."""
    match = BUILTIN_MARKER.match(src.strip())
    return match[1].upper() if match else None


def builtin_marker(colour: str, size: int = MARKER_SIZE) -> PILImage.Image:
    """A `size` x `size` RGBA round marker in `colour` ('RRGGBB' or '#RRGGBB').

    The drawing is cached; each call returns a fresh copy, so callers may change it.
    """
    match = _COLOUR.match(colour.strip())
    if not match:
        raise ValueError(f"marker colour must be 6 hex digits like 'FB923C', got {colour!r}")
    if size < 1:
        raise ValueError(f"marker size must be positive, got {size}")
    return _draw_marker(match[1].upper(), size).copy()


@functools.lru_cache(maxsize=32)
def _draw_marker(colour: str, size: int) -> PILImage.Image:
    """The marker itself; shared by the cache, so never handed out without `.copy()`."""
    rgb = tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4))
    big = size * _SUPERSAMPLE
    halo = PILImage.new("RGBA", (big, big), (*rgb, 0))
    _disc(ImageDraw.Draw(halo), big, _HALO, (*rgb, _HALO_ALPHA))
    halo = halo.filter(ImageFilter.GaussianBlur(big * _HALO_BLUR))
    dot = PILImage.new("RGBA", (big, big), (255, 255, 255, 0))
    draw = ImageDraw.Draw(dot)
    _disc(draw, big, _RING, (255, 255, 255, 255))
    _disc(draw, big, _CORE, (*rgb, 255))
    marker = PILImage.alpha_composite(halo, dot)
    # Premultiplied, so the transparent surroundings cannot tint the reduced edges.
    return marker.convert("RGBa").resize((size, size), PILImage.Resampling.LANCZOS).convert("RGBA")


def _disc(draw: ImageDraw.ImageDraw, canvas: int, radius: float, fill: tuple[int, ...]) -> None:
    """A filled circle of `radius` x canvas, centred on the canvas (exactly, for even sizes)."""
    r = round(radius * canvas)
    low, high = canvas // 2 - r, (canvas + 1) // 2 + r - 1
    draw.ellipse((low, low, high, high), fill=fill)


def ensure_rgba(marker: PILImage.Image) -> PILImage.Image:
    """`marker` as RGBA whatever its mode (P with transparency, LA, L, RGB, 16-bit...)."""
    if marker.mode == "RGBA":
        return marker
    return normalise_mode(marker).convert("RGBA")
