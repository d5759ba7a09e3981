"""Reproduce a cloudimg URL's operations with Pillow: crop -> resize -> marker -> encode.

Pure: PIL images and the model in, PIL images (or bytes) out; no file or network I/O, and
nothing of ours but `generator.model` and its drawing helper `generator.annotate` is
imported. The geometry is split into small functions (`crop_box`, `output_size`,
`marker_size`, `marker_position`) so each cloudimg rule of DESIGN.md can be tested alone,
by pixel positions, without drawing anything. A step's own annotations (redaction,
highlights, arrows, labels, a zoom inset) fit around those steps; see `render`.
"""

from __future__ import annotations

import io
import math

from PIL import Image as PILImage

from generator import annotate
from generator.model import Crop, Gravity, Marker
from generator.model import Image as ImageSpec

Box = tuple[int, int, int, int]
Size = tuple[int, int]
Point = tuple[int, int]

_WEST = frozenset({"west", "northwest", "southwest"})
_EAST = frozenset({"east", "northeast", "southeast"})
_NORTH = frozenset({"north", "northwest", "northeast"})
_SOUTH = frozenset({"south", "southwest", "southeast"})
# Transparent pixels become this when the output format has no alpha (JPEG): screenshots
# sit on white pages, so white is what a reader expects behind them.
_BACKGROUND = (255, 255, 255)
PNG_COMPRESS_LEVEL = 6
# Downscaling in two passes (a fast reduce, then LANCZOS) within this factor of the final
# size: indistinguishable from plain LANCZOS and much faster on 3000 px screenshots.
REDUCING_GAP = 3.0


class TransformError(ValueError):
    """A spec that cannot be applied to this particular image (e.g. a crop outside it)."""


# --- geometry -------------------------------------------------------------------------


def crop_box(source_size: Size, crop: Crop | None) -> tuple[Box, list[str]]:
    """The crop as a Pillow box inside the image, and a warning for each clamped corner.

    cloudimg clamps corners that lie outside the image rather than failing, so a guide
    recorded on a larger screen still renders; we do the same but say so. `None` parts of
    the crop are the image edge. Nothing left after clamping is an error: there is no
    sensible image to show.
    """
    width, height = source_size
    x1, y1, x2, y2 = crop if crop is not None else (None, None, None, None)
    corners = (
        (0 if x1 is None else x1, 0 if y1 is None else y1),
        (width if x2 is None else x2, height if y2 is None else y2),
    )
    warnings: list[str] = []
    clamped: list[Point] = []
    for x, y in corners:
        inside = (min(max(x, 0), width), min(max(y, 0), height))
        if inside != (x, y):
            warnings.append(
                f"crop corner ({x}, {y}) is outside the {width}x{height} image; clamped"
            )
        clamped.append(inside)
    (left, top), (right, bottom) = clamped
    if right <= left or bottom <= top:
        (gx1, gy1), (gx2, gy2) = corners
        raise TransformError(
            f"crop box ({gx1}, {gy1}, {gx2}, {gy2}) is outside the {width}x{height} image:"
            " nothing is left to show"
        )
    return (left, top, right, bottom), warnings


def output_size(crop_w: int, crop_h: int, width: int | None) -> Size:
    """cloudimg's `width=W`: the height keeps the crop's aspect ratio; no width, no resize.

    Rounds half up in exact integer arithmetic, so a ratio like 625.5 cannot go either way
    depending on floating-point noise.
    """
    if width is None:
        return crop_w, crop_h
    height = (2 * crop_h * width + crop_w) // (2 * crop_w)
    return width, max(1, height)


def marker_size(marker_img_size: Size, marker: Marker, out_w: int, out_h: int) -> Size:
    """The marker's size on the output: `wat_scale`, then shrunk to fit the image.

    A plain scale S is S % of the marker's own size; `Sp` makes the marker S % of the output
    width with its aspect kept. A marker larger than the image is shrunk (aspect kept)
    so that it fits, as cloudimg does.
    """
    mw, mh = marker_img_size
    if marker.scale.value <= 0:
        raise TransformError(f"marker scale must be positive, got {marker.scale}")
    if marker.scale.percent:
        w = marker.scale.resolve(out_w)
        h = round(mh * w / mw)
    else:
        w, h = round(mw * marker.scale.value / 100), round(mh * marker.scale.value / 100)
    w, h = max(1, w), max(1, h)
    if w > out_w or h > out_h:
        fit = min(out_w / w, out_h / h)
        w, h = max(1, round(w * fit)), max(1, round(h * fit))
    return w, h


def marker_position(
    out_size: Size,
    marker_size: Size,
    marker: Marker,
    click_in_output: Point | None = None,
) -> Point:
    """The marker's top-left corner in output pixels (may be negative: it is clipped).

    With a click point the marker is centred on it (Scribe's markers are drawn around the
    click). Otherwise cloudimg's `wat_gravity` + `wat_pad`: the pad is an inward offset from
    the gravity side, percentages resolved against the output width (x) and height (y).
    """
    (out_w, out_h), (w, h) = out_size, marker_size
    if click_in_output is not None:
        cx, cy = click_in_output
        return cx - w // 2, cy - h // 2
    px, py = marker.pad[0].resolve(out_w), marker.pad[1].resolve(out_h)
    return (
        _along_axis(marker.gravity, _WEST, _EAST, out_w, w, px),
        _along_axis(marker.gravity, _NORTH, _SOUTH, out_h, h, py),
    )


def _along_axis(
    gravity: Gravity, start: frozenset[str], end: frozenset[str], total: int, size: int, pad: int
) -> int:
    """One coordinate of `marker_position`: from the start side, the end side, or centred."""
    if gravity in start:
        return pad
    if gravity in end:
        return total - size - pad
    return (total - size) // 2 + pad


def source_to_output(point: Point, box: Box, out_size: Size) -> Point:
    """The output pixel that covers the centre of source pixel `point` (crop, then resize).

    Points outside the crop box map outside the output; callers decide what that means.
    """
    x1, y1, x2, y2 = box
    out_w, out_h = out_size
    return (
        math.floor((point[0] - x1 + 0.5) * out_w / (x2 - x1)),
        math.floor((point[1] - y1 + 0.5) * out_h / (y2 - y1)),
    )


def output_to_source(point: Point, box: Box, out_size: Size) -> Point:
    """The source pixel under the centre of output pixel `point`: `source_to_output`'s inverse."""
    x1, y1, x2, y2 = box
    out_w, out_h = out_size
    return (
        x1 + math.floor((point[0] + 0.5) * (x2 - x1) / out_w),
        y1 + math.floor((point[1] + 0.5) * (y2 - y1) / out_h),
    )


# --- pixels ---------------------------------------------------------------------------


def normalise_mode(img: PILImage.Image) -> PILImage.Image:
    """`img` as RGB, or RGBA when it carries transparency, whatever mode it was decoded in.

    Compositing and resampling need 8-bit colour; 16-bit greys (PNG `I;16`) are scaled
    down rather than clipped, so a 16-bit screenshot does not turn white.
    """
    if img.mode in ("RGB", "RGBA"):
        return img
    if img.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N"):
        img = img.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    elif img.mode == "F":
        img = img.convert("L")
    has_alpha = img.mode in ("LA", "La", "PA", "RGBa") or (
        img.mode in ("P", "L", "RGB") and "transparency" in img.info
    )
    return img.convert("RGBA" if has_alpha else "RGB")


def resize(
    img: PILImage.Image, size: Size, box: tuple[float, float, float, float] | None = None
) -> PILImage.Image:
    """`img` (or its `box` region) resampled to `size` with LANCZOS.

    Untouched when there is nothing to do. RGBA is resampled premultiplied, so transparent
    pixels' colours cannot bleed into the edges as dark or coloured fringes.
    """
    if box is None:
        if img.size == size:
            return img
        box = (0, 0, img.width, img.height)
    downscaling = size[0] < box[2] - box[0] or size[1] < box[3] - box[1]
    gap = REDUCING_GAP if downscaling else None
    lanczos = PILImage.Resampling.LANCZOS
    if img.mode == "RGBA":
        premultiplied = img.convert("RGBa")
        return premultiplied.resize(size, lanczos, box=box, reducing_gap=gap).convert("RGBA")
    return img.resize(size, lanczos, box=box, reducing_gap=gap)


def draft_size(full_size: Size, spec: ImageSpec) -> Size | None:
    """The size to ask a JPEG decoder for (Image.draft), or None to decode in full.

    When the output is at most half the crop, decoding at half scale skips three quarters
    of the decoding work and stays within 2/255 of the plain path; deeper DCT scaling
    (1/4, 1/8) aliases thin lines and text visibly, so it is never asked for. A zoom inset
    is cut from the source at full resolution, so an image with one is decoded in full.
    """
    if spec.zoom is not None:
        return None
    box, _ = crop_box(full_size, spec.crop)
    crop_w, crop_h = box[2] - box[0], box[3] - box[1]
    out_w, out_h = output_size(crop_w, crop_h, spec.width)
    if out_w * 2 > crop_w or out_h * 2 > crop_h:
        return None
    return (
        max(math.ceil(full_size[0] * out_w / crop_w), math.ceil(full_size[0] / 2)),
        max(math.ceil(full_size[1] * out_h / crop_h), math.ceil(full_size[1] / 2)),
    )


def with_opacity(marker: PILImage.Image, opacity: float) -> PILImage.Image:
    """An RGBA marker whose alpha is multiplied by `opacity` (cloudimg's `wat_opacity`)."""
    if opacity >= 1:
        return marker
    alpha = marker.getchannel("A").point(lambda a: round(a * opacity))
    faded = marker.copy()
    faded.putalpha(alpha)
    return faded


def paste_clipped(base: PILImage.Image, overlay: PILImage.Image, at: Point) -> PILImage.Image:
    """`overlay` alpha-composited onto `base` with its top-left at `at`, clipped to `base`.

    Pillow's `alpha_composite(dest=...)` rejects negative offsets, but a marker for a click
    near the top-left edge legitimately starts above or left of the image: crop the overlay
    to the part that lands inside first. An RGB `base` (the common case, the render's own
    image) is drawn on where it is and returned: only the marker's pixels are blended.
    Anything else becomes a new RGBA image.
    """
    left, top = at
    visible = (
        max(0, -left),
        max(0, -top),
        min(overlay.width, base.width - left),
        min(overlay.height, base.height - top),
    )
    seen = visible[2] > visible[0] and visible[3] > visible[1]
    dest = (max(0, left), max(0, top))
    if base.mode == "RGB":
        if seen:
            part = overlay.crop(visible)
            base.paste(part, dest, part)  # "over" an opaque base, on the marker's box only
        return base
    result = base.convert("RGBA")  # always a copy, even from RGBA
    if seen:
        result.alpha_composite(overlay.crop(visible), dest=dest)
    return result


def flatten(img: PILImage.Image) -> PILImage.Image:
    """`img` as RGB; transparent parts composited over white (JPEG has no alpha)."""
    if img.mode == "RGB":
        return img
    if img.mode != "RGBA":
        img = normalise_mode(img)
        if img.mode == "RGB":
            return img
    background = PILImage.new("RGBA", img.size, (*_BACKGROUND, 255))
    return PILImage.alpha_composite(background, img).convert("RGB")


def render(
    source: PILImage.Image,
    spec: ImageSpec,
    marker: PILImage.Image | None,
    *,
    full_size: Size | None = None,
) -> tuple[PILImage.Image, list[str]]:
    """Crop, resize and mark `source` as `spec` says; the image and the warnings.

    `marker` is the marker image already loaded (any mode) when `spec.marker` is set. The
    result is RGB, or RGBA for PNG/WebP when the source has transparency. `full_size` is
    the original's size when `source` was decoded smaller (a JPEG draft): the crop is in
    the original's pixels and is scaled onto the smaller image, with sub-pixel precision.

    The order: redact the source (so no crop can keep what a box hides, and the zoom inset
    is cut from the redacted pixels) -> crop and resize -> highlights, arrows, labels ->
    the zoom inset -> the marker, on top of everything.
    """
    full = full_size or source.size
    box, _ = crop_box(full, spec.crop)
    out = output_size(box[2] - box[0], box[3] - box[1], spec.width)
    if spec.redact:
        source = annotate.redact(normalise_mode(source), spec.redact, full)
    if full == source.size:
        img = normalise_mode(source.crop(box))
        img = resize(img, out)
    else:
        sx, sy = source.width / full[0], source.height / full[1]
        scaled = (box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy)
        img = resize(normalise_mode(source), out, scaled)
    return finish(img, source, spec, marker, full)


def finish(
    img: PILImage.Image,
    source: PILImage.Image,
    spec: ImageSpec,
    marker: PILImage.Image | None,
    full: Size,
) -> tuple[PILImage.Image, list[str]]:
    """render's second half, on the cropped and resized `img`: highlights, arrows, labels,
    the zoom inset (cut from `source`, the redacted original of size `full` or a smaller
    decoding of it), the marker; then flattened for the format. A stand-in drawn at the
    output size starts here."""
    if spec.marker is not None and marker is None:
        raise ValueError("render: spec.marker is set but no marker image was given")
    box, _ = crop_box(full, spec.crop)
    out = img.size
    keep_alpha = img.mode == "RGBA" and spec.format != "jpeg"
    frame = annotate.Frame(box, out)
    marker_px = marker.size if marker is not None else None
    if spec.highlight or spec.arrow or spec.label:
        img = annotate.draw(img, spec, frame)
    if spec.zoom is not None:
        click = _zoom_centre(spec, box, out, marker_px)
        img = annotate.zoom(img, normalise_mode(source), spec.zoom, frame, full, click)
    if spec.marker is not None and marker is not None:
        img = _apply_marker(img, box, spec.marker, marker)
    warnings = [note.message for note in notes(full, spec, marker_px)]
    return (img if keep_alpha else flatten(img)), warnings


def notes(full: Size, spec: ImageSpec, marker_px: Size | None) -> list[annotate.Note]:
    """What a reader of the rendered image would miss, from the geometry alone: corners of
    the crop clamped, annotations cut off, a marker off its crop or off the image.

    The same warnings `render` gives, each located at the field it is about, computed from
    sizes without a pixel: `guidesmith check` says what a build would draw.
    `marker_px` is the marker image's own size (None: no marker).
    """
    box, clamped = crop_box(full, spec.crop)
    found = [annotate.Note(("crop",), message) for message in clamped]
    out = output_size(box[2] - box[0], box[3] - box[1], spec.width)
    frame = annotate.Frame(box, out)
    found += annotate.redaction_notes(spec.redact, full)
    found += annotate.drawing_notes(spec, frame)
    if spec.zoom is not None:
        click = _zoom_centre(spec, box, out, marker_px)
        found += annotate.zoom_geometry(spec.zoom, frame, full, click)[1]
    if spec.marker is not None and marker_px is not None:
        found += _marker_notes(box, out, spec.marker, marker_px)
    return found


def _zoom_centre(spec: ImageSpec, box: Box, out: Size, marker_px: Size | None) -> Point | None:
    """The source pixel a zoom without a box magnifies: the marker's click point, or the
    source pixel under the marker's centre; None without a marker."""
    if spec.marker is None or marker_px is None:
        return None
    if spec.marker.click is not None:
        return spec.marker.click
    size = marker_size(marker_px, spec.marker, *out)
    left, top = marker_position(out, size, spec.marker)
    centre = (left + size[0] // 2, top + size[1] // 2)
    return output_to_source(centre, box, out)


def _marker_place(box: Box, out: Size, spec: Marker, marker_px: Size) -> tuple[Point, Size]:
    """The marker's top-left corner and size on the output."""
    click = source_to_output(spec.click, box, out) if spec.click is not None else None
    size = marker_size(marker_px, spec, *out)
    return marker_position(out, size, spec, click), size


def _marker_notes(box: Box, out: Size, spec: Marker, marker_px: Size) -> list[annotate.Note]:
    """A click point outside the crop, and a marker entirely off the image."""
    found = []
    field = ("marker", "click" if spec.click is not None else "pad")
    if spec.click is not None:
        x1, y1, x2, y2 = box
        if not (x1 <= spec.click[0] < x2 and y1 <= spec.click[1] < y2):
            found.append(annotate.Note(
                field, f"marker click {tuple(spec.click)} is outside the crop box {box}"))
    (left, top), size = _marker_place(box, out, spec, marker_px)
    if left >= out[0] or top >= out[1] or left + size[0] <= 0 or top + size[1] <= 0:
        found.append(annotate.Note(
            field, f"marker at ({left}, {top}) is entirely outside the {out[0]}x{out[1]} image"))
    return found


def _apply_marker(
    img: PILImage.Image, box: Box, spec: Marker, marker: PILImage.Image
) -> PILImage.Image:
    """`img` with the marker composited on it."""
    (left, top), size = _marker_place(box, img.size, spec, marker.size)
    overlay = with_opacity(resize(normalise_mode(marker).convert("RGBA"), size), spec.opacity)
    return paste_clipped(img, overlay, (left, top))


def encode(img: PILImage.Image, fmt: str, quality: int) -> bytes:
    """`img` encoded as jpeg, png or webp; the same pixels always give the same bytes.

    No metadata is written (the source's EXIF, ICC or text chunks, which Pillow would
    otherwise carry over from `img.info` for PNG/WebP): output depends on pixels alone.
    """
    out = io.BytesIO()
    if fmt == "jpeg":
        img = _bare(flatten(img))
        img.save(out, "JPEG", quality=quality, optimize=False, progressive=False)
    elif fmt == "png":
        img = _bare(img if img.mode in ("RGB", "RGBA") else normalise_mode(img))
        img.save(out, "PNG", optimize=False, compress_level=PNG_COMPRESS_LEVEL)
    elif fmt == "webp":
        img = _bare(img if img.mode in ("RGB", "RGBA") else normalise_mode(img))
        img.save(out, "WEBP", quality=quality)
    else:
        raise ValueError(f"unknown image format {fmt!r}: expected jpeg, png or webp")
    return out.getvalue()


def _bare(img: PILImage.Image) -> PILImage.Image:
    """`img` without `info`, so no metadata reaches the encoder: a copy only when it has
    some (copying a 1120 px image costs as much as encoding it)."""
    if not img.info:
        return img
    bare = img.copy()
    bare.info = {}
    return bare
