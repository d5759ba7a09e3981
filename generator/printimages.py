"""The print versions of step images, and the papers they are sized for.

A PDF embeds each screenshot scaled down with Pillow to what 200 dpi needs at the width of
the text column (and the tallest a picture may print), as JPEG on white, so a PDF never
carries multi-megapixel originals. The print version is kept beside the rendered image in
the cache, named by its key, so every PDF in every worker process shares it; the render job
writes it while the image is still in memory (images.render_job), and print_jpeg makes
any that is missing. This module does not import WeasyPrint: the build process and the
image workers use it without paying for that import.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import PIL.Image

from generator.fsutil import atomic_write, publish

MM_PER_INCH = 25.4
PRINT_DPI = 200
JPEG_QUALITY = 85
# The tallest a screenshot prints, so a step with a portrait screenshot still fits on a page.
IMAGE_MAX_HEIGHT_MM = 150


@dataclass(frozen=True)
class Paper:
    """A sheet and its margins (top, right, bottom, left); the footer sits in the bottom one."""

    size: str
    width_mm: float
    height_mm: float
    margins_mm: tuple[float, float, float, float]

    @property
    def column_mm(self) -> float:
        """The width of the text column: what a step's screenshot prints at, at most."""
        return self.width_mm - self.margins_mm[1] - self.margins_mm[3]

    def image_box_px(self, dpi: int = PRINT_DPI) -> tuple[int, int]:
        """The largest image, in pixels, that the column and the height cap can show at `dpi`."""
        return (
            math.ceil(self.column_mm / MM_PER_INCH * dpi),
            math.ceil(IMAGE_MAX_HEIGHT_MM / MM_PER_INCH * dpi),
        )


PAPERS: dict[str, Paper] = {
    "a4": Paper("A4", 210, 297, (16, 18, 20, 18)),
    "letter": Paper("letter", 215.9, 279.4, (16, 19.05, 20, 19.05)),
}


def paper_named(name: str) -> Paper:
    """The paper for `a4` or `letter` (any case)."""
    try:
        return PAPERS[name.lower()]
    except KeyError:
        raise ValueError(
            f"unknown paper {name!r}; expected one of: {', '.join(PAPERS)}"
        ) from None


def print_path(path: Path, box: tuple[int, int], quality: int = JPEG_QUALITY) -> Path:
    """Where the print version of a rendered image is kept: beside it, in the cache."""
    return path.with_name(f"{path.stem}.print-{box[0]}x{box[1]}-q{quality}.jpg")


def print_jpeg(path: Path, box: tuple[int, int], quality: int = JPEG_QUALITY) -> bytes:
    """The image at `path` fitted into `box` pixels (never enlarged), as JPEG on white.

    Made once and kept beside the image (its name is the image's content key), so every
    guide PDF and the handout, in whichever worker process, share the work.
    """
    kept = print_path(path, box, quality)
    try:
        return kept.read_bytes()
    except FileNotFoundError:
        pass
    with PIL.Image.open(path) as opened:
        data = encode_for_print(opened, box, quality)
    atomic_write(kept, data)
    return data


def keep_print_version(
    image: PIL.Image.Image, path: Path, box: tuple[int, int], quality: int = JPEG_QUALITY,
    *, as_is: bool = False,
) -> None:
    """Encode the print version of `image`, the rendering kept at `path`, and keep it.

    `as_is`: the rendering (a JPEG) is its own print version when it fits `box`, linked, not
    encoded again: for a stand-in, whose flat panel is small at any quality.
    """
    kept = print_path(path, box, quality)
    if as_is and image.width <= box[0] and image.height <= box[1]:
        publish(path, kept)  # a hard link: the cache replaces entries, never edits them
    else:
        atomic_write(kept, encode_for_print(image, box, quality))


def encode_for_print(image: PIL.Image.Image, box: tuple[int, int], quality: int) -> bytes:
    """`image` on white, fitted into `box` pixels (never enlarged), as JPEG."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = PIL.Image.new("RGB", rgba.size, "white")
        image.paste(rgba, mask=rgba.getchannel("A"))
    elif image.mode != "RGB":
        image = image.convert("RGB")
    width, height = image.size
    max_width, max_height = box
    if width > max_width or height > max_height:
        if width * max_height >= height * max_width:
            size_px = (max_width, max(1, min(max_height, round(height * max_width / width))))
        else:
            size_px = (max(1, min(max_width, round(width * max_height / height))), max_height)
        image = image.resize(size_px, PIL.Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()
