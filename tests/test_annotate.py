"""Annotations on the screenshot: where their pixels land, and that redaction hides.

Fixtures are drawn with Pillow here. Geometry is checked through `transform.render`, so each
annotation is found where its source coordinates say after the crop and the resize.
Redaction is checked without OCR: a high-contrast pattern under a box must leave (almost)
nothing behind, in every style, whatever the crop, and on the JPEG draft path too.
"""

from __future__ import annotations

import base64
import io
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image as PILImage
from PIL import ImageChops, ImageDraw, ImageFont, ImageStat

from generator.annotate import REDACT_FILL, Frame, redact, text_colour
from generator.cli import main
from generator.hints import secret_hints, secret_mentioned
from generator.loader import load_guide
from generator.model import Image as ImageSpec
from generator.model import Redaction
from generator.transform import draft_size, render

ROOT = Path(__file__).resolve().parents[1]
ORANGE = (0xFB, 0x92, 0x3C)
BLUE = (0x25, 0x63, 0xEB)
WHITE = (255, 255, 255)
RED = (255, 0, 0)
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf")


def spec(**fields: Any) -> ImageSpec:
    return ImageSpec.model_validate({"src": "shot.png", "format": "png", **fields})


def near(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], colour, strict=True))


def pixels_of(img: PILImage.Image, colour: tuple[int, int, int], tolerance: int = 40) -> list[
        tuple[int, int]]:
    # Pillow decides per channel (a lookup table), so Python visits only the matches.
    rgb = img.convert("RGB")
    bands = [band.point([255 if abs(v - c) <= tolerance else 0 for v in range(256)])
             for band, c in zip(rgb.split(), colour, strict=True)]
    mask = ImageChops.logical_and(ImageChops.logical_and(
        bands[0].convert("1"), bands[1].convert("1")), bands[2].convert("1"))
    width = rgb.width
    return [(i % width, i // width) for i, v in enumerate(mask.get_flattened_data()) if v]


def checkerboard(size: tuple[int, int], cell: int = 4) -> PILImage.Image:
    """Black and white squares: the highest-contrast pattern there is."""
    img = PILImage.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    for y in range(0, size[1], cell):
        for x in range((y // cell) % 2 * cell, size[0], 2 * cell):
            draw.rectangle((x, y, x + cell - 1, y + cell - 1), fill=0)
    return img.convert("RGB")


def secret_text(size: tuple[int, int], box: tuple[int, int, int, int]) -> PILImage.Image:
    """A white page with a token-like line of black text filling `box`."""
    img = PILImage.new("RGB", size, WHITE)
    draw = ImageDraw.Draw(img)
    text, size_px = "ghp_Zq8X0pL3wR7t", round((box[3] - box[1]) * 0.8)
    while True:
        font = (ImageFont.truetype(str(FONT), size_px) if FONT.exists()
                else ImageFont.load_default(size=size_px))
        if draw.textlength(text, font=font) <= box[2] - box[0] - 8 or size_px <= 6:
            break
        size_px -= 1
    draw.text((box[0] + 4, (box[1] + box[3]) / 2), text, fill="black", font=font, anchor="lm")
    left, top, right, bottom = ImageChops.invert(img).getbbox()
    assert box[0] <= left and right <= box[2] and box[1] <= top and bottom <= box[3]
    return img


def distinct(img: PILImage.Image) -> int:
    return len(set(img.convert("RGB").get_flattened_data()))


def grey_values(img: PILImage.Image) -> list[float]:
    return [float(v) for v in img.convert("L").get_flattened_data()]


def correlation(a: list[float], b: list[float]) -> float:
    """Pearson's r; 0 when either side is flat (a flat region has nothing of the other)."""
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    cov = sum((x - mean_a) * (y - mean_b) for x, y in zip(a, b, strict=True))
    var_a = sum((x - mean_a) ** 2 for x in a)
    var_b = sum((y - mean_b) ** 2 for y in b)
    return 0.0 if var_a == 0 or var_b == 0 else cov / math.sqrt(var_a * var_b)


def transparent_marker() -> PILImage.Image:
    """A marker that draws nothing, for zooms that need a click point but no circle."""
    return PILImage.new("RGBA", (8, 8), (0, 0, 0, 0))


# --- the frame: source pixels onto the output ---------------------------------------------


def test_frame_maps_edges_and_pixel_centres_through_crop_and_resize() -> None:
    frame = Frame((70, 50, 630, 450), (1120, 800))
    assert frame.scale == (2.0, 2.0)
    assert frame.edge((170, 150)) == (200.0, 200.0)
    assert frame.centre((170, 150)) == (201.0, 201.0)
    assert frame.stroke == 4 and frame.unit == 1.0
    assert Frame((0, 0, 100, 50), (560, 280)).stroke == 2
    assert Frame((0, 0, 100, 50), (2240, 1120)).stroke == 8


# --- highlight -------------------------------------------------------------------------------

# A 700x500 source, crop 560x400 from (70, 50), output 1120 wide: everything doubles.
PAGE = (700, 500)
CROP = [70, 50, 630, 450]


def test_highlight_outline_surrounds_the_mapped_box() -> None:
    img, warnings = render(PILImage.new("RGB", PAGE, WHITE), spec(
        crop=CROP, width=1120, highlight=[{"box": [170, 150, 270, 200]}]), None)
    assert warnings == [] and img.size == (1120, 800)
    # The box maps to output (200, 200)-(400, 300); the 4 px outline lies just outside it.
    middle_y, middle_x = 250, 300
    for x in (198, 402):
        assert near(img.getpixel((x, middle_y)), ORANGE), x
    for y in (198, 302):
        assert near(img.getpixel((middle_x, y)), ORANGE), y
    for outside in ((193, middle_y), (407, middle_y), (middle_x, 193), (middle_x, 307)):
        assert img.getpixel(outside) == WHITE, outside
    for inside in ((202, middle_y), (398, middle_y), (middle_x, 202), (middle_x, 298)):
        assert near(img.getpixel(inside), WHITE, 3), inside  # the element is never covered


def test_highlight_corners_are_rounded() -> None:
    img, _ = render(PILImage.new("RGB", PAGE, WHITE), spec(
        crop=CROP, width=1120, highlight=[{"box": [170, 150, 270, 200]}]), None)
    assert img.getpixel((196, 196)) == WHITE  # the outer corner is cut off
    assert near(img.getpixel((198, 230)), ORANGE)


@pytest.mark.parametrize(("width", "stroke"), [(560, 2), (1120, 4), (2240, 8)])
def test_highlight_width_scales_with_the_output_width(width: int, stroke: int) -> None:
    img, _ = render(PILImage.new("RGB", PAGE, WHITE), spec(
        crop=CROP, width=width, highlight=[{"box": [170, 150, 270, 200], "width": 4}]), None)
    row = round(250 * width / 1120)
    # Pixels more orange than white (blue below half-way), left of the box's middle.
    left = [x for x in range(round(300 * width / 1120)) if img.getpixel((x, row))[2] < 157]
    assert abs(len(left) - stroke) <= 1, (left, stroke)
    assert abs(max(left) + 1 - 200 * width / 1120) <= 1  # inner edge on the box's edge


def test_highlight_colour_is_the_one_given() -> None:
    img, _ = render(PILImage.new("RGB", PAGE, WHITE), spec(
        crop=CROP, width=1120, highlight=[{"box": [170, 150, 270, 200], "color": "#2563eb"}]),
        None)
    assert near(img.getpixel((198, 250)), BLUE, 12)


# --- arrow -----------------------------------------------------------------------------------


def test_arrow_runs_from_its_start_to_its_tip() -> None:
    img, warnings = render(PILImage.new("RGB", PAGE, WHITE), spec(
        crop=CROP, width=1120, arrow=[{"from": [170, 350], "to": [470, 150]}]), None)
    assert warnings == []
    start, tip = (201.0, 601.0), (801.0, 201.0)  # the source pixels' centres, doubled
    length = math.dist(start, tip)
    ux, uy = (tip[0] - start[0]) / length, (tip[1] - start[1]) / length
    drawn = pixels_of(img, ORANGE, 30)
    along = [(x + 0.5 - start[0]) * ux + (y + 0.5 - start[1]) * uy for x, y in drawn]
    across = [abs(-(x + 0.5 - start[0]) * uy + (y + 0.5 - start[1]) * ux) for x, y in drawn]
    assert abs(max(along) - length) <= 3  # the head's (sharp, faint) tip is at `to`
    assert abs(min(along) + 2) <= 2  # the round tail (half the 4 px stroke) at `from`
    assert max(across) <= 4.5 * 4 * 0.55 + 2  # no wider than the head
    # The shaft's middle is coloured, on the line between the two points.
    mid = (round((start[0] + tip[0]) / 2), round((start[1] + tip[1]) / 2))
    assert near(img.getpixel(mid), ORANGE, 30)


def test_arrow_head_is_filled_and_wider_than_the_shaft() -> None:
    img, _ = render(PILImage.new("RGB", (400, 200), WHITE), spec(
        width=1120, arrow=[{"from": [20, 100], "to": [300, 100]}]), None)
    # A horizontal arrow at output y = 280.x; the head spans x up to the tip at ~842.
    column = [y for y in range(img.height) if near(img.getpixel((834, y)), ORANGE, 30)]
    shaft = [y for y in range(img.height) if near(img.getpixel((400, y)), ORANGE, 30)]
    assert len(column) > 2 * len(shaft) >= 6


# --- label -----------------------------------------------------------------------------------


def test_label_badge_is_centred_on_its_point_with_its_text_inside() -> None:
    img, warnings = render(PILImage.new("RGB", PAGE, WHITE), spec(
        crop=CROP, width=1120, label=[{"at": [370, 250], "text": 7}]), None)
    assert warnings == []
    centre = (601.0, 401.0)
    badge = pixels_of(img, ORANGE, 30)
    xs, ys = [x for x, _ in badge], [y for _, y in badge]
    assert abs((min(xs) + max(xs) + 1) / 2 - centre[0]) <= 1
    assert abs((min(ys) + max(ys) + 1) / 2 - centre[1]) <= 1
    assert abs(max(xs) + 1 - min(xs) - 28) <= 2  # radius 14 at 1120 px wide
    ink = pixels_of(img, (17, 24, 39), 60)  # dark text: it contrasts more with orange
    ix, iy = [x for x, _ in ink], [y for _, y in ink]
    assert ink and abs((min(ix) + max(ix) + 1) / 2 - centre[0]) <= 2
    assert abs((min(iy) + max(iy) + 1) / 2 - centre[1]) <= 2


def test_label_size_follows_the_output_width() -> None:
    def diameter(width: int) -> int:
        img, _ = render(PILImage.new("RGB", PAGE, WHITE), spec(
            crop=CROP, width=width, label=[{"at": [370, 250], "text": "1"}]), None)
        xs = [x for x, _ in pixels_of(img, ORANGE, 30)]
        return max(xs) + 1 - min(xs)

    assert abs(diameter(2240) - 2 * diameter(1120)) <= 2


def test_label_text_colour_contrasts_with_the_badge() -> None:
    assert text_colour(ORANGE) != WHITE
    assert text_colour((0x1D, 0x4E, 0xD8)) == WHITE
    assert text_colour((0xFD, 0xE0, 0x47)) != WHITE


def test_three_characters_fit_in_the_badge() -> None:
    img, _ = render(PILImage.new("RGB", PAGE, WHITE), spec(
        crop=CROP, width=1120, label=[{"at": [370, 250], "text": "10b"}]), None)
    ink = pixels_of(img, (17, 24, 39), 60)
    xs = [x for x, _ in ink]
    assert ink and min(xs) > 601 - 14 and max(xs) < 601 + 14


# --- zoom --------------------------------------------------------------------------------------


def _zoom_fixture() -> PILImage.Image:
    """1120x700, white, a 10x10 red square centred on (905, 155), near the top right."""
    img = PILImage.new("RGB", (1120, 700), WHITE)
    ImageDraw.Draw(img).rectangle((900, 150, 909, 159), fill=RED)
    return img


def test_zoom_inset_magnifies_the_click_region_in_the_farthest_corner() -> None:
    img, warnings = render(_zoom_fixture(), spec(
        zoom=2, marker={"click": [905, 155]}), transparent_marker())
    assert warnings == []
    # The inset is 30 % of the output (336x210), in the bottom-left corner, 16 px in.
    left, top, w, h = 16, 700 - 16 - 210, 336, 210
    red = [p for p in pixels_of(img, RED, 60) if p[0] < 600]
    xs, ys = [x for x, _ in red], [y for _, y in red]
    assert abs(len(red) - 400) <= 60  # the 10x10 square, twice as big: 20x20
    assert abs((min(xs) + max(xs) + 1) / 2 - (left + w / 2)) <= 1.5
    assert abs((min(ys) + max(ys) + 1) / 2 - (top + h / 2)) <= 1.5
    assert img.getpixel((left - 2, top + 20)) == WHITE  # the white border
    assert img.getpixel((left - 5, top + 20)) == (107, 114, 128)  # the line around it
    assert img.getpixel((900, 150)) == RED  # the original is still where it was


def test_zoom_centres_on_the_marker_when_it_has_no_click_point() -> None:
    marker = PILImage.new("RGBA", (10, 10), (0, 0, 0, 0))
    img, _ = render(_zoom_fixture(), spec(
        zoom=3, marker={"gravity": "northwest", "pad": [900, 150]}), marker)
    red = [p for p in pixels_of(img, RED, 60) if p[0] < 600]
    xs = [x for x, _ in red]
    assert abs(len(red) - 900) <= 90  # 30x30
    assert abs((min(xs) + max(xs) + 1) / 2 - (16 + 168)) <= 2


def test_zoom_box_sets_the_region_and_the_inset_size() -> None:
    img, warnings = render(_zoom_fixture(), spec(
        zoom={"box": [880, 130, 930, 180], "factor": 4}), None)
    assert warnings == []
    # 50x50 source pixels at 4x: a 200x200 inset, bottom-left; the red square 40x40 in it.
    red = [p for p in pixels_of(img, RED, 60) if p[0] < 600]
    xs, ys = [x for x, _ in red], [y for _, y in red]
    top = 700 - 16 - 200
    assert abs(min(xs) - (16 + 80)) <= 1 and abs(max(xs) + 1 - (16 + 120)) <= 1
    assert abs(min(ys) - (top + 80)) <= 1 and abs(max(ys) + 1 - (top + 120)) <= 1


def test_zoom_is_cut_from_the_full_resolution_source() -> None:
    # One-pixel stripes turn grey when the output is a quarter of the size; a 4x inset of
    # the source shows them again, at full contrast.
    source = PILImage.new("RGB", (2000, 1200), WHITE)
    draw = ImageDraw.Draw(source)
    for x in range(1500, 1600, 2):
        draw.line((x, 200, x, 300), fill="black")
    img, _ = render(source, spec(width=500, zoom={"box": [1500, 200, 1600, 300], "factor": 4}),
                    None)
    stripes = img.crop((380, 55, 395, 70)).convert("L")  # in the main image: flat grey
    assert ImageStat.Stat(stripes).stddev[0] < 20
    # The inset, 100x100, goes bottom-left (margin 7 px at this width): stripes again.
    inset = img.crop((7 + 10, 193 + 10, 107 - 10, 293 - 10)).convert("L")
    assert ImageStat.Stat(inset).stddev[0] > 80
    assert img.getpixel((6, 250)) == WHITE and img.getpixel((4, 250)) == (107, 114, 128)


def test_zoom_shows_the_redacted_source() -> None:
    source = secret_text((1120, 700), (850, 130, 1000, 180))
    img, _ = render(source, spec(
        zoom={"box": [840, 120, 1010, 190], "factor": 2},
        redact=[{"box": [850, 130, 1000, 180]}]), None)
    # A 340x140 inset at (16, 544); the redaction fills (20, 20)-(320, 120) of it.
    hidden = img.crop((16 + 26, 544 + 26, 16 + 314, 544 + 114))
    assert all(near(p, REDACT_FILL, 6) for p in hidden.get_flattened_data())
    assert not pixels_of(img.crop((16, 544, 16 + 340, 544 + 140)), (0, 0, 0), 20)


def test_zoom_without_a_box_or_a_marker_is_a_warning() -> None:
    img, warnings = render(_zoom_fixture(), spec(zoom=2), None)
    assert warnings == [
        "zoom has no box and the image has no marker: nothing to magnify; give zoom a box"
    ]
    assert img.tobytes() == _zoom_fixture().tobytes()


def test_an_image_with_a_zoom_is_decoded_in_full() -> None:
    image = ImageSpec(src="x.jpg", crop=(90, 0, 2842, 1538), width=1120)
    assert draft_size((2842, 1932), image) is not None
    assert draft_size((2842, 1932), image.model_copy(update={"zoom": {"factor": 2}})) is None


def test_the_marker_stays_on_top_of_every_annotation() -> None:
    marker = PILImage.new("RGBA", (20, 20), (0, 0, 255, 255))
    img, _ = render(PILImage.new("RGB", PAGE, WHITE), spec(
        crop=CROP, width=1120, marker={"click": [370, 250]},
        label=[{"at": [370, 250], "text": "1"}], highlight=[{"box": [360, 240, 380, 260]}]),
        marker)
    assert near(img.getpixel((601, 401)), (0, 0, 255), 10)


# --- redaction ---------------------------------------------------------------------------------

BOX = (40, 30, 240, 90)


@pytest.mark.parametrize("pattern", ["checkerboard", "text"])
@pytest.mark.parametrize("style", ["solid", "pixelate", "blur"])
def test_redaction_leaves_no_trace_of_a_high_contrast_pattern(style: str, pattern: str) -> None:
    source = checkerboard((300, 150)) if pattern == "checkerboard" else secret_text((300, 150),
                                                                                   BOX)
    img, warnings = render(source, spec(redact=[{"box": list(BOX), "style": style}]), None)
    assert warnings == []
    before, after = source.crop(BOX), img.crop(BOX)
    assert distinct(before) >= 2
    if style == "solid":
        assert set(after.get_flattened_data()) == {REDACT_FILL}
    elif style == "pixelate":
        assert distinct(after) <= 4
    else:
        original = ImageStat.Stat(before.convert("L")).stddev[0]
        assert ImageStat.Stat(after.convert("L")).stddev[0] < original / 10
    if style != "pixelate" or pattern == "checkerboard":
        # (Pixelated text keeps its blocks' ink density, a bit or two each: it is what a
        # mosaic is, and why `solid` is the default.)
        assert abs(correlation(grey_values(before), grey_values(after))) < 0.05
    # Outside the box, nothing changed.
    outside = img.copy()
    outside.paste(source.crop(BOX), BOX[:2])
    assert outside.tobytes() == source.tobytes()


@pytest.mark.parametrize("style", ["solid", "pixelate", "blur"])
def test_redaction_comes_before_the_crop(style: str) -> None:
    # The crop keeps only the left part of the box: that part is hidden all the same, and
    # exactly as it is when the whole box is in view (what a box hides depends on the box).
    source = checkerboard((300, 150))
    redaction = [{"box": list(BOX), "style": style}]
    whole, _ = render(source, spec(redact=redaction), None)
    cropped, warnings = render(source, spec(crop=[0, 0, 120, 150], redact=redaction), None)
    assert warnings == []
    visible = (BOX[0], BOX[1], 120, BOX[3])
    assert cropped.crop(visible).tobytes() == whole.crop(visible).tobytes()
    assert distinct(cropped.crop(visible)) <= (1 if style == "solid" else 6)


@pytest.mark.parametrize("style", ["solid", "pixelate", "blur"])
def test_redaction_on_the_draft_path_covers_the_same_area(style: str) -> None:
    full = checkerboard((1200, 800), cell=3)
    data = io.BytesIO()
    full.save(data, "JPEG", quality=95)
    image = spec(format="jpeg", width=400, redact=[{"box": [300, 200, 900, 320], "style": style}])
    plain, _ = render(PILImage.open(io.BytesIO(data.getvalue())), image, None)
    fast_source = PILImage.open(io.BytesIO(data.getvalue()))
    fast_source.draft(None, draft_size((1200, 800), image))
    assert fast_source.size == (600, 400)
    fast, warnings = render(fast_source, image, None, full_size=(1200, 800))
    assert warnings == []
    inner = (101, 68, 299, 106)  # the box (100, 66.7)-(300, 106.7) on the output, less 1 px
    for out in (plain, fast):
        region = out.crop(inner).convert("L")
        assert ImageStat.Stat(region).stddev[0] < 6
    if style == "solid":
        assert near(fast.getpixel((200, 86)), REDACT_FILL, 4)
    grey = fast.crop(inner).convert("L")
    assert abs(ImageStat.Stat(grey).mean[0] - ImageStat.Stat(plain.crop(inner).convert("L")
                                                             ).mean[0]) < 8


def test_a_half_size_source_with_full_size_is_redacted_over_the_same_area() -> None:
    full = checkerboard((800, 600), cell=2)
    half = full.resize((400, 300), PILImage.Resampling.BOX)
    out = redact(half, [Redaction(box=(101, 51, 301, 151))], (800, 600))
    # Widened to whole decoded pixels: (50, 25)-(151, 76) hides (101, 51)-(301, 151).
    assert set(out.crop((50, 25, 151, 76)).get_flattened_data()) == {REDACT_FILL}
    assert out.getpixel((49, 50)) != REDACT_FILL and out.getpixel((151, 50)) != REDACT_FILL


def test_redaction_of_a_transparent_region_is_opaque() -> None:
    source = PILImage.new("RGBA", (100, 100), (0, 0, 0, 0))
    ImageDraw.Draw(source).text((10, 40), "key", fill=(0, 0, 0, 255))
    img, _ = render(source, spec(redact=[{"box": [5, 30, 60, 60], "style": "pixelate"}]), None)
    assert img.mode == "RGBA"
    assert {a for *_, a in img.crop((5, 30, 60, 60)).get_flattened_data()} == {255}


def test_redaction_outside_the_image_is_a_warning() -> None:
    source = checkerboard((300, 150))
    img, warnings = render(source, spec(redact=[
        {"box": [250, 100, 400, 200]}, {"box": [400, 0, 500, 10]}]), None)
    assert warnings == [
        "redact[0] box (250, 100, 400, 200) is partly outside the 300x150 image;"
        " the part inside is hidden",
        "redact[1] box (400, 0, 500, 10) is outside the 300x150 image: it hides nothing",
    ]
    assert set(img.crop((250, 100, 300, 150)).get_flattened_data()) == {REDACT_FILL}


def test_annotations_outside_the_crop_are_warnings_not_errors() -> None:
    _, warnings = render(PILImage.new("RGB", PAGE, WHITE), spec(
        crop=CROP, width=560,
        highlight=[{"box": [600, 100, 680, 150]}, {"box": [0, 0, 10, 10]}],
        arrow=[{"from": [100, 100], "to": [690, 100]}],
        label=[{"at": [5, 5], "text": "1"}],
    ), None)
    assert warnings == [
        "highlight[0] box (600, 100, 680, 150) is not entirely inside the crop box"
        " (70, 50, 630, 450); it is cut off",
        "highlight[1] box (0, 0, 10, 10) is outside the crop box (70, 50, 630, 450):"
        " it is not shown",
        "arrow[0] from (100, 100) to (690, 100) leaves the crop box (70, 50, 630, 450);"
        " it is cut off",
        "label[0] at (5, 5) is outside the crop box (70, 50, 630, 450);"
        " the badge is cut off or not shown",
    ]


# --- one image for every output ------------------------------------------------------------------


def test_the_site_the_standalone_page_and_the_pdf_show_the_one_annotated_image(
    project: Callable[[str], Path],
) -> None:
    root = project("basic")
    guide = root / "guides/10-first-guide.yml"
    guide.write_text(guide.read_text().replace(
        "      marker: {pad: [10, 20]}\n",
        "      marker: {pad: [10, 20]}\n"
        "      redact: [{box: [300, 250, 480, 330], style: solid}]\n"
        "      highlight: [{box: [200, 100, 300, 150], width: 20}]\n",
    ))
    result = CliRunner().invoke(main, ["build", "--config-file", str(root / "mkdocs.yml")])
    assert result.exit_code == 0, result.output
    slug = "10-first-guide"
    site_bytes = (root / "site" / slug / "step-01.jpg").read_bytes()
    with PILImage.open(io.BytesIO(site_bytes)) as site:
        # crop (100, 50, 500, 350) -> 200x150: the redaction (300, 250)-(480, 330) at
        # (100, 100)-(190, 140), the 20-at-1120 px outline (4 px) left of x = 50.
        assert near(site.getpixel((150, 120)), REDACT_FILL, 12)
        assert near(site.getpixel((48, 40)), ORANGE, 60)
    html = (root / "site" / slug / f"{slug}.html").read_text()
    embedded = [base64.b64decode(m) for m in re.findall(r"data:image/jpeg;base64,([^\"']+)", html)]
    assert site_bytes in embedded
    pdf = (root / "site" / slug / f"{slug}.pdf").read_bytes()
    assert any(_same_picture(site_bytes, jpeg) for jpeg in _pdf_jpegs(pdf))


def _pdf_jpegs(pdf: bytes) -> list[bytes]:
    """The JPEG streams a PDF embeds (WeasyPrint passes JPEGs through as DCTDecode)."""
    return [pdf[m.start():pdf.index(b"\xff\xd9", m.start()) + 2]
            for m in re.finditer(rb"\xff\xd8\xff", pdf)]


def _same_picture(a: bytes, b: bytes) -> bool:
    with PILImage.open(io.BytesIO(a)) as first, PILImage.open(io.BytesIO(b)) as second:
        if first.size != second.size:
            return False
        diff = [abs(p - q) for p, q in zip(first.convert("L").get_flattened_data(),
                                           second.convert("L").get_flattened_data(), strict=True)]
    return sum(diff) / len(diff) < 3


# --- hints: a secret shown in a screenshot that has no redaction ------------------------------


@pytest.mark.parametrize(
    ("texts", "word"),
    [
        (["Make sure to copy/save the token as you won't be able to see it again!"], "token"),
        (["Click Next", None, "The password is shown once"], "password"),
        (["Copy the client secret"], "secret"),
        (["Paste your API key into the field"], "key"),
        (["Reveal the SSH keys"], "key"),
        (["Enter your Github token and save"], "token"),
        (["The TOKEN value is displayed"], "token"),
    ],
)
def test_a_secret_said_to_be_shown_is_noticed(texts: list[str | None], word: str) -> None:
    assert secret_mentioned(*texts) == word


@pytest.mark.parametrize(
    "texts",
    [
        ['Click "Generate token"'],
        ['Click the "repo" checkbox to grant your token full control of private repositories'],
        ["Copy the command and press [[Key]]"],  # a keyboard key to press is not a secret
        ['Under the "passed" key, you should see the LLDP test passing'],
        ["Save the file"],  # shown, but no secret
        ["Click the tokenizer settings and copy them"],  # whole words only
    ],
)
def test_steps_that_show_no_secret_are_left_alone(texts: list[str]) -> None:
    assert secret_mentioned(*texts) is None


HINTED = """\
title: T
steps:
  - text: Copy the new token
    image: {src: a.png}
  - section: S
  - text: Copy the new token
  - text: Copy the new token
    image: {src: a.png, redact: [{box: [0, 0, 5, 5]}]}
  - text: Copy the new token
    image: {src: a.png, redact: []}
  - text: Click "Generate token"
    image:
      src: a.png
"""


def test_hints_name_the_step_and_its_line(tmp_path: Path) -> None:
    path = tmp_path / "guides/x.yml"
    path.parent.mkdir()
    path.write_text(HINTED)
    hints = secret_hints(load_guide(path, tmp_path))
    assert [hint.text() for hint in hints] == [
        "guides/x.yml:4:12: warning: steps[0].image (step 1): the text mentions 'token' but the"
        " screenshot has no redaction; add `redact:` if it shows a secret"
    ]


def test_check_and_build_report_the_hint(project: Callable[[str], Path]) -> None:
    root = project("basic")
    guide = root / "guides/10-first-guide.yml"
    guide.write_text(guide.read_text().replace("Click the button", "Copy the password shown"))
    result = CliRunner().invoke(main, ["check", "--config-file", str(root / "mkdocs.yml")])
    assert result.exit_code == 0, result.output
    assert (
        "guides/10-first-guide.yml:23:7: warning: steps[3].image (step 3): the text mentions"
        " 'password' but the screenshot has no redaction; add `redact:` if it shows a secret"
    ) in result.output


def test_the_sample_guide_gets_no_hint_and_hides_its_token() -> None:
    loaded = load_guide(ROOT / "guides/02-generate-a-pat.yml", ROOT)
    assert secret_hints(loaded) == []
    step = dict(loaded.guide.numbered_steps())[12]
    assert step.image is not None and [r.style for r in step.image.redact] == ["solid"]
