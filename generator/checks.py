"""`guidesmith check`'s geometry checks: click markers that a reader would never see.

A marker is placed after the crop and the resize, so a pad or click point that was right
for one crop can land off the image after an edit. These checks use the transform's own
geometry (crop_box, output_size, marker_size, marker_position, source_to_output) on the
sizes that planning found, so they say what a build would draw, without drawing it.
"""

from __future__ import annotations

import io
import warnings

import PIL.Image

from generator import transform
from generator.cloudimg import scribe_marker_colour
from generator.errors import GuideError
from generator.fetch import Fetcher, FetchError
from generator.images import GuideImages
from generator.loader import LoadedGuide, format_loc
from generator.markers import MARKER_SIZE, parse_builtin
from generator.model import Image

Size = tuple[int, int]


def _image_size(data: bytes) -> Size | None:
    """An image's size from its header, or None when Pillow cannot (or should not) read it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PIL.Image.DecompressionBombWarning)
            with PIL.Image.open(io.BytesIO(data)) as img:
                return img.size
    except (OSError, ValueError, PIL.Image.DecompressionBombError,
            PIL.Image.DecompressionBombWarning):
        return None


def _marker_size(fetcher: Fetcher, loaded: LoadedGuide, src: str) -> Size | None:
    if parse_builtin(src) is not None:
        return MARKER_SIZE, MARKER_SIZE
    try:
        size = _image_size(fetcher.read(src, loaded.base_dir))
    except FetchError:
        size = None  # planning reported it, or fell back to the built-in marker
    if size is None and scribe_marker_colour(src) is not None:
        return MARKER_SIZE, MARKER_SIZE
    return size


def _problem(loaded: LoadedGuide, index: int, number: int, field: str, message: str) -> GuideError:
    loc = loaded.written(("steps", index, "image", "marker", field))
    line, col = loaded.locate(loc)
    return GuideError(loaded.display, message, line, col, f"{format_loc(loc)} (step {number})",
                      "warning")


def _step_markers(
    fetcher: Fetcher, loaded: LoadedGuide, index: int, number: int, image: Image, out: Size
) -> list[GuideError]:
    marker = image.marker
    assert marker is not None
    click_out = None
    problems = []
    if marker.click is not None:
        try:
            source = _image_size(fetcher.read(image.src, loaded.base_dir))
            box, _ = transform.crop_box(source, image.crop) if source else (None, [])
        except (FetchError, transform.TransformError):
            box = None  # planning reported it
        if box is None:
            return []
        x1, y1, x2, y2 = box
        if not (x1 <= marker.click[0] < x2 and y1 <= marker.click[1] < y2):
            problems.append(_problem(
                loaded, index, number, "click",
                f"marker click {tuple(marker.click)} is outside the crop box {box}"))
        click_out = transform.source_to_output(marker.click, box, out)
    own = _marker_size(fetcher, loaded, marker.src)
    if own is None:
        return problems
    size = transform.marker_size(own, marker, *out)
    left, top = transform.marker_position(out, size, marker, click_out)
    if left >= out[0] or top >= out[1] or left + size[0] <= 0 or top + size[1] <= 0:
        problems.append(_problem(
            loaded, index, number, "click" if click_out is not None else "pad",
            f"marker at ({left}, {top}) is entirely outside the {out[0]}x{out[1]} image"))
    return problems


def marker_problems(fetcher: Fetcher, planned: list[GuideImages]) -> list[GuideError]:
    """A warning for each marker that falls outside its crop or entirely off its image."""
    problems: list[GuideError] = []
    for guide_images in planned:
        loaded = guide_images.loaded
        for index, number, step in loaded.guide.indexed_steps():
            rendered = guide_images.images.get(number)
            if step.image is None or step.image.marker is None or rendered is None:
                continue
            out = (rendered.width, rendered.height)
            problems += _step_markers(fetcher, loaded, index, number, step.image, out)
    return problems
