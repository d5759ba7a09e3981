"""Draw a step's annotations on its screenshot: redaction, highlights, arrows, badges, zoom.

Pure: PIL images and the model in, PIL images out, and notes (warnings) from the geometry
alone; nothing of ours but `generator.model` is imported (the only file read is a system
font). transform.render calls these in a fixed order: `redact` the source -> crop and
resize -> `draw` the highlights, arrows and labels -> `zoom` inset -> the click marker,
which stays on top.

Coordinates are source pixels, so they survive re-cropping and resizing; a `Frame` maps them
onto the output. Sizes are relative to the output width, so an annotation looks the same in
every output. Shapes are drawn on a supersampled RGBA overlay of just the region they cover,
downsampled with LANCZOS and composited: anti-aliased edges without drawing the image big.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image as PILImage
from PIL import ImageDraw, ImageFilter, ImageFont, ImageStat

from generator.model import REFERENCE_WIDTH, Arrow, Highlight, Label, Redaction, Zoom
from generator.model import Image as ImageSpec

Box = tuple[int, int, int, int]
Size = tuple[int, int]
Point = tuple[int, int]
XY = tuple[float, float]
RGB = tuple[int, int, int]

SUPERSAMPLE = 4
BADGE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
# Redaction. Solid: an opaque dark grey (Tailwind gray-700), clearly "hidden", on light
# and dark UIs alike. Pixelate and blur keep only block or blur averages, and then snap each
# to steps of this size around the region's mean, so they carry almost no information.
REDACT_FILL: RGB = (55, 65, 81)
PIXELATE_MIN_BLOCK = 12
PIXELATE_LEVEL_STEP = 48
BLUR_MIN_RADIUS = 4
BLUR_LEVEL_STEP = 24
# The zoom inset: its share of the output when it magnifies the click region, its largest
# share when it magnifies a box, and the grey of the line around its white border.
ZOOM_SHARE = 0.3
ZOOM_MAX_SHARE = 0.5
ZOOM_OUTLINE: RGB = (107, 114, 128)
WHITE: RGB = (255, 255, 255)
INK: RGB = (17, 24, 39)


@dataclass(frozen=True)
class Note:
    """A warning about one annotation: where in the image spec it is, and what is wrong."""

    field: tuple[str | int, ...]
    message: str


@dataclass(frozen=True)
class Frame:
    """Where source pixels land on the output: the crop box and the output size."""

    box: Box
    size: Size

    @property
    def scale(self) -> XY:
        x1, y1, x2, y2 = self.box
        return self.size[0] / (x2 - x1), self.size[1] / (y2 - y1)

    def edge(self, point: XY) -> XY:
        """A point between source pixels (a box corner) in continuous output coordinates."""
        sx, sy = self.scale
        return (point[0] - self.box[0]) * sx, (point[1] - self.box[1]) * sy

    def centre(self, point: Point) -> XY:
        """The centre of source pixel `point` on the output; floored, it is the pixel
        that transform.source_to_output gives."""
        return self.edge((point[0] + 0.5, point[1] + 0.5))

    @property
    def unit(self) -> float:
        """Output pixels per pixel of a REFERENCE_WIDTH-wide image."""
        return self.size[0] / REFERENCE_WIDTH

    @property
    def stroke(self) -> int:
        """The line width of arrows and of the zoom inset's border."""
        return max(2, round(self.size[0] / 280))

    def inside(self, point: XY) -> bool:
        x1, y1, x2, y2 = self.box
        return x1 <= point[0] < x2 and y1 <= point[1] < y2


# --- redaction (on the source, before anything else) -------------------------------------


def redact(
    img: PILImage.Image, redactions: list[Redaction], full_size: Size | None = None
) -> PILImage.Image:
    """`img` (RGB or RGBA) with every redaction box made unreadable (what the author should
    know of the boxes is `redaction_notes`).

    Boxes are in the original's pixels; `full_size` is the original's size when `img` was
    decoded smaller (a JPEG draft): boxes are scaled onto it and widened to whole pixels, so
    the same area is hidden. What a box hides depends only on the pixels inside it, so
    cropping afterwards cannot bring anything back, whatever part of the box it keeps.
    """
    full_w, full_h = full_size or img.size
    sx, sy = img.width / full_w, img.height / full_h
    out = img.copy()
    for redaction in redactions:
        inside = _within(redaction.box, (full_w, full_h))
        if inside is None:
            continue
        area = (
            math.floor(inside[0] * sx),
            math.floor(inside[1] * sy),
            min(img.width, math.ceil(inside[2] * sx)),
            min(img.height, math.ceil(inside[3] * sy)),
        )
        height = inside[3] - inside[1]  # in the original's pixels, so sizes do not depend on sx
        patch = _hidden(out.crop(area), redaction.style, height, sy)
        out.paste(patch if out.mode == patch.mode else patch.convert(out.mode), area[:2])
    return out


def _within(box: Box, size: Size) -> Box | None:
    """The part of `box` inside an image of `size`, or None when nothing of it is."""
    x1, y1, x2, y2 = box
    inside = (max(x1, 0), max(y1, 0), min(x2, size[0]), min(y2, size[1]))
    return None if inside[2] <= inside[0] or inside[3] <= inside[1] else inside


def redaction_notes(redactions: list[Redaction], full: Size) -> list[Note]:
    """What a reader would not get from the redaction boxes: one partly or wholly off the
    image (what the author meant to hide may show)."""
    notes = []
    full_w, full_h = full
    for index, redaction in enumerate(redactions):
        name = f"redact[{index}] box {redaction.box}"
        inside = _within(redaction.box, full)
        if inside is None:
            notes.append(Note(("redact", index),
                              f"{name} is outside the {full_w}x{full_h} image: it hides nothing"))
        elif inside != redaction.box:
            notes.append(Note(("redact", index), f"{name} is partly outside the {full_w}x{full_h}"
                                                 " image; the part inside is hidden"))
    return notes


def _hidden(region: PILImage.Image, style: str, height: int, scale: float) -> PILImage.Image:
    """`region` made unreadable; opaque RGB whatever it was (transparency can carry shapes)."""
    if style == "solid":
        return PILImage.new("RGB", region.size, REDACT_FILL)
    rgb = _opaque(region)
    if style == "pixelate":
        block = max(1, round(max(PIXELATE_MIN_BLOCK, height // 2) * scale))
        blocks = (math.ceil(rgb.width / block), math.ceil(rgb.height / block))
        small = _snap_levels(rgb.resize(blocks, PILImage.Resampling.BOX), PIXELATE_LEVEL_STEP)
        return small.resize(rgb.size, PILImage.Resampling.NEAREST)
    radius = max(BLUR_MIN_RADIUS, height) * scale
    # Blurred inside a margin of the region's mean colour: Pillow extends edge pixels
    # outward, which would smear the box's outermost row and column across it.
    pad = math.ceil(2 * radius)
    mean = tuple(round(v) for v in ImageStat.Stat(rgb).mean)
    canvas = PILImage.new("RGB", (rgb.width + 2 * pad, rgb.height + 2 * pad), mean)
    canvas.paste(rgb, (pad, pad))
    blurred = canvas.filter(ImageFilter.GaussianBlur(radius))
    blurred = blurred.crop((pad, pad, pad + rgb.width, pad + rgb.height))
    return _snap_levels(blurred, BLUR_LEVEL_STEP)


def _opaque(region: PILImage.Image) -> PILImage.Image:
    if region.mode == "RGB":
        return region
    background = PILImage.new("RGBA", region.size, (*WHITE, 255))
    return PILImage.alpha_composite(background, region.convert("RGBA")).convert("RGB")


def _snap_levels(img: PILImage.Image, step: int) -> PILImage.Image:
    """The region's mean colour, lightened or darkened in whole steps of `step` by how far
    each pixel's luminance is from the mean: small differences vanish, and what is left is
    a few shades of one colour (no per-channel tints, no detail)."""
    grey = img.convert("L")
    mean = ImageStat.Stat(grey).mean[0]
    steps = [round((v - mean) / step) * step for v in range(256)]
    bands = [
        grey.point([min(255, max(0, round(colour + delta))) for delta in steps])
        for colour in ImageStat.Stat(img).mean
    ]
    return PILImage.merge("RGB", bands)


# --- highlights, arrows and labels (on the output) ---------------------------------------


def draw(img: PILImage.Image, spec: ImageSpec, frame: Frame) -> PILImage.Image:
    """`img` with the spec's highlights, then arrows, then labels drawn on it (what they
    lose to the crop is `drawing_notes`)."""
    out = img.copy()
    for highlight in spec.highlight:
        _draw_highlight(out, highlight, frame)
    for arrow in spec.arrow:
        _draw_arrow(out, arrow, frame)
    for label in spec.label:
        _draw_label(out, label, frame)
    return out


def drawing_notes(spec: ImageSpec, frame: Frame) -> list[Note]:
    """Highlights, arrows and labels that the crop cuts off or hides."""
    notes = []
    for index, highlight in enumerate(spec.highlight):
        name = f"highlight[{index}] box {highlight.box}"
        x1, y1, x2, y2 = highlight.box
        cx1, cy1, cx2, cy2 = frame.box
        if x2 <= cx1 or x1 >= cx2 or y2 <= cy1 or y1 >= cy2:
            notes.append(Note(("highlight", index),
                              f"{name} is outside the crop box {frame.box}: it is not shown"))
        elif x1 < cx1 or y1 < cy1 or x2 > cx2 or y2 > cy2:
            notes.append(Note(("highlight", index), f"{name} is not entirely inside the crop"
                                                    f" box {frame.box}; it is cut off"))
    for index, arrow in enumerate(spec.arrow):
        if not (frame.inside(arrow.from_) and frame.inside(arrow.to)):
            notes.append(Note(("arrow", index), f"arrow[{index}] from {arrow.from_} to"
                              f" {arrow.to} leaves the crop box {frame.box}; it is cut off"))
    for index, label in enumerate(spec.label):
        if not frame.inside(label.at):
            notes.append(Note(("label", index), f"label[{index}] at {label.at} is outside the"
                              f" crop box {frame.box}; the badge is cut off or not shown"))
    return notes


class _Overlay:
    """A transparent, supersampled canvas over one region of an output image."""

    def __init__(self, img: PILImage.Image, bounds: tuple[float, float, float, float],
                 supersample: int = SUPERSAMPLE) -> None:
        self.left = max(0, math.floor(bounds[0]) - 1)
        self.top = max(0, math.floor(bounds[1]) - 1)
        right = min(img.width, math.ceil(bounds[2]) + 1)
        bottom = min(img.height, math.ceil(bounds[3]) + 1)
        self.size = (max(0, right - self.left), max(0, bottom - self.top))
        self.k = supersample
        self.image = PILImage.new("RGBA", (self.size[0] * self.k, self.size[1] * self.k))
        self.draw = ImageDraw.Draw(self.image)

    @property
    def empty(self) -> bool:
        return self.size[0] == 0 or self.size[1] == 0

    def xy(self, point: XY) -> XY:
        """An output point on the supersampled canvas."""
        return (point[0] - self.left) * self.k, (point[1] - self.top) * self.k

    def rect(self, box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
        """Output rectangle [x1, x2) x [y1, y2) as Pillow's inclusive canvas corners."""
        (a, b), (c, d) = self.xy(box[:2]), self.xy(box[2:])
        return round(a), round(b), round(c) - 1, round(d) - 1

    def composite_onto(self, img: PILImage.Image) -> None:
        """Downsample (premultiplied, so no dark fringes) and blend onto `img` in place."""
        if self.empty:
            return
        small = self.image
        if self.k != 1:
            small = small.convert("RGBa").resize(self.size, PILImage.Resampling.LANCZOS)
            small = small.convert("RGBA")
        if img.mode == "RGBA":
            img.alpha_composite(small, dest=(self.left, self.top))
        else:
            img.paste(small.convert(img.mode), (self.left, self.top), small)


def _rgb(colour: str) -> RGB:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _draw_highlight(img: PILImage.Image, highlight: Highlight, frame: Frame) -> None:
    """A rounded outline whose inner edge is the box's edge: it covers none of the element."""
    width = max(1, round(highlight.width * frame.unit))
    (left, top), (right, bottom) = frame.edge(highlight.box[:2]), frame.edge(highlight.box[2:])
    outer = (left - width, top - width, right + width, bottom + width)
    overlay = _Overlay(img, outer)
    if overlay.empty:
        return
    radius = (width + max(2, round(6 * frame.unit))) * overlay.k
    overlay.draw.rounded_rectangle(
        overlay.rect(outer), radius, outline=(*_rgb(highlight.color), 255), width=width * overlay.k
    )
    overlay.composite_onto(img)


def _draw_arrow(img: PILImage.Image, arrow: Arrow, frame: Frame) -> None:
    """A shaft with a round tail and a filled head whose tip is at `to`, on a white halo."""
    start, tip = frame.centre(arrow.from_), frame.centre(arrow.to)
    length = math.dist(start, tip)
    stroke = frame.stroke
    if length < 1:
        return
    halo = max(1, round(stroke / 2))
    head_length = min(4.5 * stroke, 0.6 * length)
    head_half = head_length * 0.55
    ux, uy = (tip[0] - start[0]) / length, (tip[1] - start[1]) / length
    nx, ny = -uy, ux

    def at(origin: XY, along: float, across: float = 0.0) -> XY:
        return origin[0] + ux * along + nx * across, origin[1] + uy * along + ny * across

    base = at(tip, -head_length)
    head = [tip, at(base, 0, head_half), at(base, 0, -head_half)]
    shaft_end = at(base, head_length * 0.3)  # into the head, so no seam shows between them
    reach = head_half + halo + stroke
    xs, ys = [start[0], tip[0]], [start[1], tip[1]]
    overlay = _Overlay(img, (min(xs) - reach, min(ys) - reach, max(xs) + reach, max(ys) + reach))
    if overlay.empty:
        return
    colour = (*_rgb(arrow.color), 255)
    for fill, grow in (((*WHITE, 230), halo), (colour, 0)):
        half = stroke / 2 + grow
        shaft = [at(start, 0, half), at(shaft_end, 0, half), at(shaft_end, 0, -half),
                 at(start, 0, -half)]
        overlay.draw.polygon([overlay.xy(p) for p in shaft], fill=fill)
        cx, cy = overlay.xy(start)
        r = half * overlay.k
        overlay.draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
        overlay.draw.polygon([overlay.xy(p) for p in _grown(head, grow)], fill=fill)
    overlay.composite_onto(img)


def _grown(triangle: list[XY], by: float) -> list[XY]:
    """The triangle with every edge moved outward by `by` (scaled about its incentre)."""
    if by <= 0:
        return triangle
    (ax, ay), (bx, by_), (cx, cy) = triangle
    a, b, c = math.dist((bx, by_), (cx, cy)), math.dist((ax, ay), (cx, cy)), math.dist(
        (ax, ay), (bx, by_))
    perimeter = a + b + c
    ix, iy = (a * ax + b * bx + c * cx) / perimeter, (a * ay + b * by_ + c * cy) / perimeter
    area = abs((bx - ax) * (cy - ay) - (cx - ax) * (by_ - ay)) / 2
    inradius = 2 * area / perimeter
    if inradius <= 0:
        return triangle
    k = (inradius + by) / inradius
    return [(ix + (x - ix) * k, iy + (y - iy) * k) for x, y in triangle]


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if BADGE_FONT.exists():
        return ImageFont.truetype(str(BADGE_FONT), size)
    return ImageFont.load_default(size=size)


def _luminance(rgb: RGB) -> float:
    def linear(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_colour(fill: RGB) -> RGB:
    """White or near-black, whichever contrasts more with `fill` (WCAG contrast ratio)."""
    lum = _luminance(fill)
    on_white = 1.05 / (lum + 0.05)
    on_ink = (lum + 0.05) / (_luminance(INK) + 0.05)
    return WHITE if on_white >= on_ink else INK


def _draw_label(img: PILImage.Image, label: Label, frame: Frame) -> None:
    """A filled circle centred on `at`, with a white ring, and its text centred by ink."""
    radius = max(8.0, 14 * frame.unit)
    ring = max(1.0, 2 * frame.unit)
    cx, cy = frame.centre(label.at)
    outer = radius + ring
    overlay = _Overlay(img, (cx - outer, cy - outer, cx + outer, cy + outer))
    if overlay.empty:
        return
    k = overlay.k
    ox, oy = overlay.xy((cx, cy))
    fill = _rgb(label.color)
    for colour, r in ((WHITE, outer), (fill, radius)):
        overlay.draw.ellipse((ox - r * k, oy - r * k, ox + r * k, oy + r * k), fill=(*colour, 255))
    size = round(radius * 1.25 * k)
    font = _font(size)
    width = overlay.draw.textlength(label.text, font=font)
    if width > 1.5 * radius * k:  # two or three characters: shrink to fit the circle
        size = max(1, math.floor(size * 1.5 * radius * k / width))
        font = _font(size)
    x1, y1, x2, y2 = overlay.draw.textbbox((0, 0), label.text, font=font, anchor="ls")
    origin = (ox - (x1 + x2) / 2, oy - (y1 + y2) / 2)
    overlay.draw.text(origin, label.text, font=font, fill=(*text_colour(fill), 255), anchor="ls")
    overlay.composite_onto(img)


# --- the zoom inset ------------------------------------------------------------------------


def zoom(
    img: PILImage.Image,
    source: PILImage.Image,
    spec: Zoom,
    frame: Frame,
    full_size: Size,
    click: Point | None,
) -> PILImage.Image:
    """`img` with a magnified inset of `spec.box`, or of the region around `click`.

    The inset is cut from `source` (the redacted original, RGB or RGBA, in its decoded
    size; `full_size` is the original's) at its own resolution, which is sharper than
    enlarging the output. It goes in the corner farthest from what it magnifies, so it never
    hides the target, inside a white border with a soft shadow and a thin grey line.
    """
    placed, _ = zoom_geometry(spec, frame, full_size, click)
    if placed is None:
        return img
    region, size, focus = placed
    full_w, full_h = full_size
    ssx, ssy = source.width / full_w, source.height / full_h
    inset = source.resize(
        size, PILImage.Resampling.LANCZOS,
        box=(region[0] * ssx, region[1] * ssy, region[2] * ssx, region[3] * ssy),
    )
    return _place_inset(img, _opaque(inset), frame, focus)


ZoomPlace = tuple[tuple[float, float, float, float], Size, XY]


def zoom_geometry(
    spec: Zoom, frame: Frame, full_size: Size, click: Point | None
) -> tuple[ZoomPlace | None, list[Note]]:
    """Where the inset comes from (source region), its size and the output point it
    magnifies; None when there is nothing to magnify. And what the author should know."""
    full_w, full_h = full_size
    (sx, sy), factor = frame.scale, spec.factor
    notes: list[Note] = []
    if spec.box is not None:
        x1, y1, x2, y2 = spec.box
        region = (max(x1, 0), max(y1, 0), min(x2, full_w), min(y2, full_h))
        if region[2] <= region[0] or region[3] <= region[1]:
            return None, [Note(("zoom",), f"zoom box {spec.box} is outside the"
                               f" {full_w}x{full_h} image: no inset")]
        if region != spec.box:
            notes.append(Note(("zoom",), f"zoom box {spec.box} is partly outside the"
                              f" {full_w}x{full_h} image; the part inside is magnified"))
        width, height = (region[2] - region[0]) * sx * factor, (region[3] - region[1]) * sy * factor
        fit = min(1.0, ZOOM_MAX_SHARE * frame.size[0] / width,
                  ZOOM_MAX_SHARE * frame.size[1] / height)
        if fit < 1:
            notes.append(Note(("zoom",), f"zoom box {spec.box} magnified {factor:g}x is larger"
                              f" than half the image; shown at {factor * fit:.2g}x"))
        size = (max(1, round(width * fit)), max(1, round(height * fit)))
        focus = frame.edge(((region[0] + region[2]) / 2, (region[1] + region[3]) / 2))
        return (region, size, focus), notes
    if click is None:
        return None, [Note(("zoom",), "zoom has no box and the image has no marker: nothing to"
                           " magnify; give zoom a box")]
    size = (round(frame.size[0] * ZOOM_SHARE), round(frame.size[1] * ZOOM_SHARE))
    region_w = min(full_w, size[0] / (sx * factor))
    region_h = min(full_h, size[1] / (sy * factor))
    left = min(max(click[0] + 0.5 - region_w / 2, 0), full_w - region_w)
    top = min(max(click[1] + 0.5 - region_h / 2, 0), full_h - region_h)
    region_f = (left, top, left + region_w, top + region_h)
    size = (max(1, round(region_w * sx * factor)), max(1, round(region_h * sy * factor)))
    return (region_f, size, frame.centre(click)), notes


def _place_inset(
    img: PILImage.Image, inset: PILImage.Image, frame: Frame, focus: XY
) -> PILImage.Image:
    """`img` with `inset` in the corner farthest from `focus`, framed and shadowed."""
    out = img.copy()
    border = frame.stroke
    margin = border + max(4, round(12 * frame.unit))
    w, h = inset.size
    corners = [
        (out.width - margin - w, margin),
        (margin, margin),
        (out.width - margin - w, out.height - margin - h),
        (margin, out.height - margin - h),
    ]
    left, top = max(corners, key=lambda c: math.dist((c[0] + w / 2, c[1] + h / 2), focus))
    framed = (left - border, top - border, left + w + border, top + h + border)
    blur = 2 * border
    shadow = _Overlay(out, (framed[0] - 3 * blur, framed[1] - 3 * blur,
                            framed[2] + 3 * blur, framed[3] + 3 * blur), supersample=1)
    if not shadow.empty:
        drop = (framed[0], framed[1] + border / 2, framed[2], framed[3] + border)
        shadow.draw.rectangle(shadow.rect(drop), fill=(0, 0, 0, 110))
        shadow.image = shadow.image.filter(ImageFilter.GaussianBlur(blur))
        shadow.composite_onto(out)
    fill = (*WHITE, 255) if out.mode == "RGBA" else WHITE
    paint = ImageDraw.Draw(out)
    paint.rectangle((framed[0], framed[1], framed[2] - 1, framed[3] - 1), fill=fill)
    out.paste(inset.convert(out.mode), (left, top))
    outline = (*ZOOM_OUTLINE, 255) if out.mode == "RGBA" else ZOOM_OUTLINE
    paint.rectangle((framed[0] - 1, framed[1] - 1, framed[2], framed[3]), outline=outline)
    return out
