"""The cloudimg rules of DESIGN.md, checked by where pixels land.

Fixtures are drawn with Pillow here: coloured quadrants, single pixels, solid square
markers. Small expected images are spelled as ASCII grids ('.' black, 'R' red, ...), as
WeasyPrint's draw tests do, so a failure shows the picture that came out.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image as PILImage
from PIL import ImageChops, ImageStat

from generator.model import Image as ImageSpec
from generator.model import Length, Marker
from generator.transform import (
    TransformError,
    crop_box,
    draft_size,
    encode,
    marker_position,
    marker_size,
    output_size,
    output_to_source,
    render,
    source_to_output,
)

BLACK = (0, 0, 0)
WHITE = (255, 255, 255)
RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
PALETTE = {".": BLACK, "W": WHITE, "R": RED, "G": GREEN, "B": BLUE}
GRAVITIES = [
    "northwest",
    "north",
    "northeast",
    "west",
    "center",
    "east",
    "southwest",
    "south",
    "southeast",
]


def solid(
    size: tuple[int, int], colour: tuple[int, ...] = BLACK, mode: str = "RGB"
) -> PILImage.Image:
    return PILImage.new(mode, size, colour)


def red_marker(w: int = 4, h: int | None = None) -> PILImage.Image:
    """An opaque red rectangle: its top-left pixel is exactly where the marker went."""
    return PILImage.new("RGBA", (w, w if h is None else h), (*RED, 255))


def quadrants(half: int = 2) -> PILImage.Image:
    """R G over B W, each quadrant `half` x `half` pixels."""
    img = PILImage.new("RGB", (2 * half, 2 * half))
    for colour, (x, y) in zip(
        (RED, GREEN, BLUE, WHITE), ((0, 0), (1, 0), (0, 1), (1, 1)), strict=True
    ):
        img.paste(colour, (x * half, y * half, (x + 1) * half, (y + 1) * half))
    return img


def spec(**fields: Any) -> ImageSpec:
    return ImageSpec.model_validate({"src": "shot.png", **fields})


def as_grid(img: PILImage.Image, tolerance: int = 0) -> list[str]:
    """Each pixel as its PALETTE letter ('?' for any other colour).

    `tolerance` admits resampling noise: LANCZOS rings by a level or two near edges.
    """
    rgb = img.convert("RGB")
    return [
        "".join(_letter(rgb.getpixel((x, y)), tolerance) for x in range(rgb.width))
        for y in range(rgb.height)
    ]


def _letter(pixel: Any, tolerance: int) -> str:
    for letter, colour in PALETTE.items():
        if max(abs(a - b) for a, b in zip(pixel, colour, strict=True)) <= tolerance:
            return letter
    return "?"


def grid(text: str) -> list[str]:
    return text.split()


def red_bbox(img: PILImage.Image) -> tuple[int, int, int, int] | None:
    """Where the red marker landed on a black image (red channel above half)."""
    return img.convert("RGB").getchannel("R").point(lambda v: 255 if v > 128 else 0).getbbox()


def render_marker(
    out: tuple[int, int], marker: PILImage.Image, **marker_fields: Any
) -> tuple[PILImage.Image, list[str]]:
    """A black `out` image with `marker` placed as `marker_fields` say, opacity 1."""
    return render(solid(out), spec(marker={"opacity": 1, **marker_fields}), marker)


# --- crop ---------------------------------------------------------------------------


def test_no_crop_is_the_whole_image() -> None:
    assert crop_box((2842, 1932), None) == ((0, 0, 2842, 1932), [])


def test_crop_inside_the_image_is_kept() -> None:
    assert crop_box((2842, 1932), (90, 0, 2842, 1538)) == ((90, 0, 2842, 1538), [])


def test_missing_corner_parts_are_the_image_edge() -> None:
    assert crop_box((100, 50), (10, None, None, 20)) == ((10, 0, 100, 20), [])
    assert crop_box((100, 50), (None, 5, 30, None)) == ((0, 5, 30, 50), [])


def test_corners_outside_are_clamped_with_a_warning_each() -> None:
    box, warnings = crop_box((2842, 1932), (-5, 0, 3000, 2000))
    assert box == (0, 0, 2842, 1932)
    assert warnings == [
        "crop corner (-5, 0) is outside the 2842x1932 image; clamped",
        "crop corner (3000, 2000) is outside the 2842x1932 image; clamped",
    ]


def test_a_missing_part_is_named_by_its_edge_in_the_warning() -> None:
    box, warnings = crop_box((2842, 1932), (100, 0, 3000, None))
    assert box == (100, 0, 2842, 1932)
    assert warnings == ["crop corner (3000, 1932) is outside the 2842x1932 image; clamped"]


@pytest.mark.parametrize(
    ("crop", "message"),
    [
        ((3000, 0, 3500, 100), "crop box (3000, 0, 3500, 100) is outside the 2842x1932 image"),
        ((-50, -50, -10, -10), "crop box (-50, -50, -10, -10) is outside the 2842x1932 image"),
        ((0, 2000, None, None), "crop box (0, 2000, 2842, 1932) is outside the 2842x1932 image"),
    ],
)
def test_a_crop_entirely_outside_is_an_error(crop: Any, message: str) -> None:
    with pytest.raises(TransformError) as caught:
        crop_box((2842, 1932), crop)
    assert str(caught.value) == f"{message}: nothing is left to show"
    assert isinstance(caught.value, ValueError)


def test_crop_picks_the_right_pixels() -> None:
    img, warnings = render(quadrants(), spec(crop=[1, 1, 3, 3]), None)
    assert as_grid(img) == grid("RG BW")
    assert warnings == []


def test_crop_with_one_corner_reaches_the_far_edges() -> None:
    img, _ = render(quadrants(), spec(crop=[2, 0, None, None]), None)
    assert as_grid(img) == grid("GG GG WW WW")


def test_crop_moves_a_single_pixel_to_its_offset() -> None:
    source = solid((10, 10))
    source.putpixel((7, 3), WHITE)
    img, _ = render(source, spec(crop=[5, 2, 9, 6]), None)
    assert as_grid(img) == grid("""
        ....
        ..W.
        ....
        ....
    """)


def test_render_passes_crop_warnings_on() -> None:
    img, warnings = render(quadrants(), spec(crop=[2, 2, 9, 9]), None)
    assert as_grid(img) == grid("WW WW")
    assert warnings == ["crop corner (9, 9) is outside the 4x4 image; clamped"]


# --- resize -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("crop_size", "width", "expected"),
    [
        (
            (
                2752,
                1538,
            ),
            1120,
            (1120, 626),
        ),  # seed step 2: 625.93 -> 626
        ((100, 50), None, (100, 50)),
        ((10, 5), 40, (40, 20)),  # upscaling is allowed
        ((1000, 1), 10, (10, 1)),  # never 0 rows
        ((4, 5), 2, (2, 3)),  # 2.5 rounds half up
        ((4, 3), 2, (2, 2)),  # 1.5 rounds half up
    ],
)
def test_output_size(
    crop_size: tuple[int, int], width: int | None, expected: tuple[int, int]
) -> None:
    assert output_size(*crop_size, width) == expected


def test_no_width_keeps_the_crop_size_and_pixels() -> None:
    img, _ = render(quadrants(), spec(), None)
    assert img.size == (4, 4)
    assert as_grid(img) == grid("RRGG RRGG BBWW BBWW")


def test_downscaling_keeps_the_aspect_ratio() -> None:
    img, _ = render(solid((2752, 1538), WHITE), spec(width=1120), None)
    assert img.size == (1120, 626)
    assert img.getpixel((560, 313)) == WHITE


def test_upscaling_keeps_colours_where_they_were() -> None:
    img, _ = render(quadrants(half=4), spec(width=32), None)
    assert img.size == (32, 32)
    assert as_grid(img.resize((4, 4), PILImage.Resampling.NEAREST)) == grid("RRGG RRGG BBWW BBWW")


def test_downscaling_averages_pixels_instead_of_picking_some() -> None:
    stripes = PILImage.new("L", (40, 20))
    stripes.putdata([255 * (x % 2) for _ in range(20) for x in range(40)])
    img, _ = render(stripes, spec(width=4), None)
    assert img.size == (4, 2)
    # nearest-neighbour would give pure black or white; LANCZOS gives the mean, grey
    assert all(100 < img.getpixel((x, y))[0] < 160 for x in range(4) for y in range(2))


# --- marker geometry ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("scale", "own", "out", "expected"),
    [
        (100, (72, 72), (1120, 626), (72, 72)),
        (50, (72, 72), (1120, 626), (36, 36)),
        (200, (10, 6), (100, 100), (20, 12)),
        ("10p", (72, 72), (1120, 626), (112, 112)),  # 10 % of the output width
        ("10p", (20, 10), (400, 300), (40, 20)),  # aspect kept
        (100, (100, 50), (40, 30), (40, 20)),  # larger than the image: shrunk to fit
        (100, (20, 100), (40, 30), (6, 30)),
        ("100p", (10, 10), (40, 30), (30, 30)),
    ],
)
def test_marker_size(
    scale: Any, own: tuple[int, int], out: tuple[int, int], expected: tuple[int, int]
) -> None:
    assert marker_size(own, Marker(scale=scale), *out) == expected


def test_a_marker_scale_of_zero_is_an_error() -> None:
    # The model refuses it; the transform still guards against a constructed one.
    marker = Marker.model_construct(**{**Marker().model_dump(), "scale": Length(value=0)})
    with pytest.raises(TransformError, match=r"^marker scale must be positive, got 0$"):
        marker_size((72, 72), marker, 100, 100)


# (output 20x10, marker 4x4): top-left for pad (2, 1) and for pad (-3, -2)
POSITIONS = {
    "northwest": ((2, 1), (-3, -2)),
    "north": ((10, 1), (5, -2)),
    "northeast": ((14, 1), (19, -2)),
    "west": ((2, 4), (-3, 1)),
    "center": ((10, 4), (5, 1)),
    "east": ((14, 4), (19, 1)),
    "southwest": ((2, 5), (-3, 8)),
    "south": ((10, 5), (5, 8)),
    "southeast": ((14, 5), (19, 8)),
}


@pytest.mark.parametrize("gravity", GRAVITIES)
def test_marker_position_for_each_gravity(gravity: str) -> None:
    positive, negative = POSITIONS[gravity]
    assert marker_position((20, 10), (4, 4), Marker(gravity=gravity, pad=[2, 1])) == positive
    assert marker_position((20, 10), (4, 4), Marker(gravity=gravity, pad=[-3, -2])) == negative


@pytest.mark.parametrize("gravity", GRAVITIES)
def test_zero_pad_puts_the_marker_on_the_gravity_side(gravity: str) -> None:
    left, top = marker_position((20, 10), (4, 4), Marker(gravity=gravity))
    assert left == {"west": 0, "east": 16}.get(_horizontal(gravity), 8)
    assert top == {"north": 0, "south": 6}.get(_vertical(gravity), 3)


def _horizontal(gravity: str) -> str:
    return "west" if "west" in gravity else "east" if "east" in gravity else "center"


def _vertical(gravity: str) -> str:
    return "north" if "north" in gravity else "south" if "south" in gravity else "center"


@pytest.mark.parametrize("gravity", GRAVITIES)
def test_rendered_marker_lands_at_its_position(gravity: str) -> None:
    (left, top), _ = POSITIONS[gravity]
    img, warnings = render_marker((20, 10), red_marker(), gravity=gravity, pad=[2, 1])
    assert red_bbox(img) == (left, top, left + 4, top + 4)
    assert warnings == []


@pytest.mark.parametrize("gravity", GRAVITIES)
def test_rendered_marker_with_negative_pad_is_clipped(gravity: str) -> None:
    _, (left, top) = POSITIONS[gravity]
    img, _ = render_marker((20, 10), red_marker(), gravity=gravity, pad=[-3, -2])
    expected = (max(left, 0), max(top, 0), min(left + 4, 20), min(top + 4, 10))
    assert red_bbox(img) == expected


def test_percent_pads_are_shares_of_the_output_width_and_height() -> None:
    marker = Marker(gravity="northwest", pad=["10p", "20p"])
    assert marker_position((200, 100), (10, 10), marker) == (20, 20)
    east = Marker(gravity="southeast", pad=["10p", "20p"])
    assert marker_position((200, 100), (10, 10), east) == (170, 70)


def test_one_pad_value_applies_to_both_axes() -> None:
    assert marker_position((200, 100), (10, 10), Marker(gravity="northwest", pad=5)) == (5, 5)
    assert marker_position((200, 100), (10, 10), Marker(gravity="northwest", pad="10p")) == (20, 10)


def test_a_click_point_centres_the_marker_and_ignores_gravity_and_pad() -> None:
    marker = Marker(gravity="southeast", pad=[7, 7], click=(0, 0))
    assert marker_position((200, 100), (10, 10), marker, click_in_output=(50, 30)) == (45, 25)
    assert marker_position((200, 100), (9, 9), marker, click_in_output=(50, 30)) == (46, 26)


# --- marker pixels ------------------------------------------------------------------


def test_marker_grid_southeast() -> None:
    img, _ = render_marker((6, 4), red_marker(2), gravity="southeast", pad=[1, 0])
    assert as_grid(img) == grid("""
        ......
        ......
        ...RR.
        ...RR.
    """)


def test_marker_grid_center() -> None:
    img, _ = render_marker((6, 4), red_marker(2))
    assert as_grid(img) == grid("""
        ......
        ..RR..
        ..RR..
        ......
    """)


def test_marker_grid_clipped_at_the_top_left_corner() -> None:
    img, warnings = render_marker((6, 4), red_marker(2), gravity="northwest", pad=-1)
    assert as_grid(img) == grid("""
        R.....
        ......
        ......
        ......
    """)
    assert warnings == []


@pytest.mark.parametrize(
    ("gravity", "pad", "expected"),
    [
        ("west", [-2, 0], (0, 3, 2, 7)),  # left edge
        ("east", [-2, 0], (8, 3, 10, 7)),  # right edge
        ("north", [0, -2], (3, 0, 7, 2)),  # top edge
        ("south", [0, -2], (3, 8, 7, 10)),  # bottom edge
        ("southeast", [-3, -3], (9, 9, 10, 10)),  # one pixel left, in the corner
        ("northeast", [-1, -1], (7, 0, 10, 3)),
        ("southwest", [-1, -1], (0, 7, 3, 10)),
    ],
)
def test_marker_is_clipped_at_every_edge(
    gravity: str, pad: list[int], expected: tuple[int, ...]
) -> None:
    img, _ = render_marker((10, 10), red_marker(), gravity=gravity, pad=pad)
    assert img.size == (10, 10)
    assert red_bbox(img) == expected


def test_a_marker_entirely_outside_leaves_the_image_alone_and_says_so() -> None:
    img, warnings = render_marker((10, 10), red_marker(), gravity="northwest", pad=[-10, 0])
    assert red_bbox(img) is None
    assert warnings == ["marker at (-10, 0) is entirely outside the 10x10 image"]


def test_a_marker_larger_than_the_image_is_shrunk_to_fit() -> None:
    img, _ = render_marker((10, 6), red_marker(20))
    assert red_bbox(img) == (2, 0, 8, 6)


def test_scale_50_halves_the_marker() -> None:
    img, _ = render_marker((40, 40), red_marker(10), gravity="northwest", scale=50)
    assert red_bbox(img) == (0, 0, 5, 5)


def test_percent_scale_is_a_share_of_the_output_width() -> None:
    img, _ = render_marker((200, 100), red_marker(10), gravity="northwest", scale="10p")
    assert red_bbox(img) == (0, 0, 20, 20)


@pytest.mark.parametrize(
    ("background", "expected"), [(BLACK, (128, 0, 0)), (WHITE, (255, 127, 127))]
)
def test_opacity_multiplies_the_marker_alpha(
    background: tuple[int, ...], expected: tuple[int, ...]
) -> None:
    img, _ = render(solid((4, 4), background), spec(marker={"opacity": 0.5}), red_marker(2))
    assert img.getpixel((1, 1)) == expected
    assert img.getpixel((0, 0)) == background


def test_opacity_zero_shows_nothing() -> None:
    img, _ = render(solid((4, 4)), spec(marker={"opacity": 0}), red_marker(2))
    assert as_grid(img) == grid(".... .... .... ....")


def test_marker_transparency_is_respected() -> None:
    marker = PILImage.new("RGBA", (3, 3), (*RED, 0))
    marker.putpixel((1, 1), (*RED, 255))
    img, _ = render(solid((5, 5)), spec(marker={"opacity": 1}), marker)
    assert as_grid(img) == grid("..... ..... ..R.. ..... .....")


def test_palette_marker_is_accepted() -> None:
    marker = red_marker(2).convert("P")
    img, _ = render_marker((4, 4), marker, gravity="northwest")
    assert as_grid(img) == grid("RR.. RR.. .... ....")


def test_marker_without_its_image_is_a_programming_error() -> None:
    with pytest.raises(
        ValueError, match=r"^render: spec\.marker is set but no marker image was given$"
    ):
        render(solid((4, 4)), spec(marker={}), None)


# --- the worked example and click placement ------------------------------------------


SEED_STEP_2 = {"crop": [90, 0, 2842, 1538], "width": 1120, "format": "jpeg", "quality": 100}


def test_seed_step_2_worked_example() -> None:
    marker = red_marker(72)
    image = spec(**SEED_STEP_2, marker={"opacity": 1, "gravity": "northwest", "pad": [1059, -8]})
    img, warnings = render(solid((2842, 1932)), image, marker)
    assert img.size == (1120, 626)
    assert img.mode == "RGB"
    # top-left (1059, -8), centre (1095, 28): the top 8 rows are clipped, and the 11
    # columns right of 1120 too (the avatar sits in the screenshot's top-right corner)
    assert red_bbox(img) == (1059, 0, 1120, 64)
    assert img.getpixel((1095, 28)) == RED
    assert img.getpixel((1058, 28)) == BLACK
    assert warnings == []


def test_seed_step_2_with_the_builtin_marker_at_opacity_0_7() -> None:
    from generator.markers import builtin_marker

    image = spec(**SEED_STEP_2, marker={"opacity": 0.7, "gravity": "northwest", "pad": [1059, -8]})
    img, _ = render(solid((2842, 1932)), image, builtin_marker("FB923C"))
    # orange FB923C at alpha round(255 * 0.7) = 178 over black, at the marker's centre
    assert img.getpixel((1095, 28)) == (175, 102, 42)
    assert img.getpixel((1000, 28)) == BLACK


def test_click_maps_a_source_pixel_through_crop_and_resize() -> None:
    box, out = (90, 0, 2842, 1538), (1120, 626)
    assert output_to_source((1095, 28), box, out) == (2781, 70)
    assert source_to_output((2781, 70), box, out) == (1095, 28)


def test_click_mapping_without_resize_is_an_offset() -> None:
    assert source_to_output((15, 27), (10, 20, 30, 40), (20, 20)) == (5, 7)
    assert output_to_source((5, 7), (10, 20, 30, 40), (20, 20)) == (15, 27)


def test_click_mapping_round_trips_on_every_output_pixel() -> None:
    box, out = (90, 0, 2842, 1538), (1120, 626)
    for x in range(0, 1120, 37):
        for y in range(0, 626, 29):
            assert source_to_output(output_to_source((x, y), box, out), box, out) == (x, y)


def test_click_outside_the_crop_maps_outside_the_output() -> None:
    assert source_to_output((0, 0), (10, 10, 20, 20), (10, 10)) == (-10, -10)


def test_render_centres_the_marker_on_the_click() -> None:
    image = spec(**SEED_STEP_2, marker={"opacity": 1, "gravity": "southeast", "click": [2781, 70]})
    img, warnings = render(solid((2842, 1932)), image, red_marker(72))
    assert red_bbox(img) == (1059, 0, 1120, 64)
    assert warnings == []


def test_click_without_resize_on_a_single_pixel_marker() -> None:
    image = spec(crop=[2, 1, 8, 5], marker={"opacity": 1, "click": [4, 2]})
    img, _ = render(solid((10, 10)), image, red_marker(1))
    assert as_grid(img) == grid("""
        ......
        ..R...
        ......
        ......
    """)


def test_a_click_outside_the_crop_is_warned_about() -> None:
    image = spec(crop=[2, 1, 8, 5], marker={"opacity": 1, "click": [9, 9]})
    _, warnings = render(solid((10, 10)), image, red_marker(1))
    assert warnings == [
        "marker click (9, 9) is outside the crop box (2, 1, 8, 5)",
        "marker at (7, 8) is entirely outside the 6x4 image",
    ]


# --- source modes and output modes ----------------------------------------------------


def palette_with_transparency() -> PILImage.Image:
    img = PILImage.new("P", (2, 1))
    img.putpalette([*RED, *GREEN])
    img.putpixel((0, 0), 0)
    img.putpixel((1, 0), 1)
    img.info["transparency"] = 1
    return img


def test_palette_source_with_transparency_keeps_alpha_in_png() -> None:
    img, _ = render(palette_with_transparency(), spec(format="png"), None)
    assert img.mode == "RGBA"
    assert img.getpixel((0, 0)) == (*RED, 255)
    assert img.getpixel((1, 0))[3] == 0


def test_transparency_becomes_white_in_jpeg() -> None:
    img, _ = render(palette_with_transparency(), spec(format="jpeg"), None)
    assert img.mode == "RGB"
    assert as_grid(img) == grid("RW")


def test_rgba_source_keeps_alpha_in_webp_even_under_a_marker() -> None:
    source = PILImage.new("RGBA", (4, 4), (0, 0, 0, 0))
    img, _ = render(source, spec(format="webp", marker={"gravity": "northwest"}), red_marker(2))
    assert img.mode == "RGBA"
    assert img.getpixel((0, 0)) == (*RED, 255)
    assert img.getpixel((3, 3))[3] == 0


def test_opaque_source_is_rgb_for_every_format() -> None:
    for fmt in ("jpeg", "png", "webp"):
        img, _ = render(quadrants(), spec(format=fmt, marker={}), red_marker(2))
        assert img.mode == "RGB", fmt


@pytest.mark.parametrize(
    ("mode", "value", "expected"),
    [
        ("L", 255, WHITE),
        ("LA", (255, 255), WHITE),
        ("CMYK", (0, 0, 0, 0), WHITE),
        ("CMYK", (0, 255, 255, 0), RED),
        ("I;16", 65535, WHITE),
        ("I;16", 32768, (128, 128, 128)),
        ("I", 0, BLACK),
        ("1", 1, WHITE),
        ("RGBA", (*RED, 255), RED),
    ],
)
def test_sources_in_other_modes_are_converted(
    mode: str, value: Any, expected: tuple[int, ...]
) -> None:
    source = PILImage.new(mode, (4, 2), value)
    img, _ = render(source, spec(width=2, marker={"gravity": "northwest"}), red_marker(1))
    assert img.mode == "RGB"
    assert img.size == (2, 1)
    assert img.getpixel((0, 0)) == RED
    assert img.getpixel((1, 0)) == expected


# --- encode ---------------------------------------------------------------------------


def gradient() -> PILImage.Image:
    img = PILImage.new("RGB", (16, 12))
    img.putdata([(x * 16, y * 20, 128) for y in range(12) for x in range(16)])
    return img


@pytest.mark.parametrize(("fmt", "name"), [("jpeg", "JPEG"), ("png", "PNG"), ("webp", "WEBP")])
def test_encode_each_format(fmt: str, name: str) -> None:
    data = encode(gradient(), fmt, 90)
    decoded = PILImage.open(io.BytesIO(data))
    assert decoded.format == name
    assert decoded.size == (16, 12)
    assert encode(gradient(), fmt, 90) == data


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp"])
def test_encode_writes_no_metadata(fmt: str) -> None:
    tagged = gradient()
    exif = PILImage.Exif()
    exif[0x0132] = "2025:05:18 10:00:00"  # DateTime
    tagged.info.update(
        {"exif": exif.tobytes(), "icc_profile": b"not a real profile", "dpi": (144, 144)}
    )
    assert encode(tagged, fmt, 90) == encode(gradient(), fmt, 90)
    decoded = PILImage.open(io.BytesIO(encode(tagged, fmt, 90)))
    assert "exif" not in decoded.info
    assert "icc_profile" not in decoded.info
    assert tagged.info["dpi"] == (144, 144)  # the caller's image is not changed


def test_png_is_lossless_and_keeps_alpha() -> None:
    source = PILImage.new("RGBA", (3, 1), (0, 0, 0, 0))
    source.putpixel((1, 0), (*RED, 128))
    decoded = PILImage.open(io.BytesIO(encode(source, "png", 90)))
    assert decoded.mode == "RGBA"
    assert [decoded.getpixel((x, 0)) for x in range(3)] == [(0, 0, 0, 0), (*RED, 128), (0, 0, 0, 0)]


def test_jpeg_flattens_alpha_onto_white() -> None:
    source = PILImage.new("RGBA", (8, 8), (0, 0, 0, 0))
    decoded = PILImage.open(io.BytesIO(encode(source, "jpeg", 95)))
    assert decoded.mode == "RGB"
    assert decoded.getpixel((4, 4)) == WHITE


def test_quality_changes_the_jpeg() -> None:
    noisy = PILImage.effect_noise((64, 64), 64).convert("RGB")
    assert len(encode(noisy, "jpeg", 20)) < len(encode(noisy, "jpeg", 95))
    assert len(encode(noisy, "webp", 20)) < len(encode(noisy, "webp", 95))


def test_encode_refuses_unknown_formats() -> None:
    with pytest.raises(
        ValueError, match=r"^unknown image format 'gif': expected jpeg, png or webp$"
    ):
        encode(gradient(), "gif", 90)


# --- the fast path (JPEG draft decoding) stays within the parity tolerance ----------------


def _busy_jpeg(size: tuple[int, int]) -> bytes:
    from PIL import ImageDraw

    img = PILImage.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    for i in range(0, size[0], 37):
        draw.line((i, 0, size[0] - i, size[1]), fill=(i % 255, 90, 200 - i % 200), width=3)
    for y in range(40, size[1], 60):
        draw.rectangle((60, y, 60 + (y * 7) % 900, y + 24), fill=(30, 30, 30))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=92)
    return out.getvalue()


@pytest.mark.parametrize(
    ("crop", "width"),
    [((90, 0, 2842, 1538), 1120), ((0, 393, 2752, 1932), 600), ((45, 196, 1400, 900), 300)],
)
def test_draft_decoding_matches_the_plain_path(crop, width) -> None:
    data = _busy_jpeg((2842, 1932))
    spec = ImageSpec(src="x.jpg", crop=crop, width=width)
    plain, _ = render(PILImage.open(io.BytesIO(data)), spec, None)
    fast_source = PILImage.open(io.BytesIO(data))
    full = fast_source.size
    wanted = draft_size(full, spec)
    assert wanted is not None
    fast_source.draft(None, wanted)
    assert fast_source.size[0] < full[0]  # the decoder really skipped work
    fast, _ = render(fast_source, spec, None, full_size=full)
    assert fast.size == plain.size
    diff = ImageChops.difference(plain.convert("RGB"), fast.convert("RGB"))
    mean = sum(ImageStat.Stat(diff).mean) / 3
    assert mean < 2.0, mean


def test_no_draft_when_the_output_is_more_than_half_the_crop() -> None:
    spec = ImageSpec(src="x.jpg", crop=(0, 0, 2000, 1000), width=1200)
    assert draft_size((2842, 1932), spec) is None
