"""The built-in click marker and marker image modes."""

from __future__ import annotations

import math

import pytest
from PIL import Image as PILImage

from generator.markers import builtin_marker, ensure_rgba, parse_builtin

ORANGE = (0xFB, 0x92, 0x3C)


def pixels(img: PILImage.Image) -> dict[tuple[int, int], tuple[int, ...]]:
    return {(x, y): img.getpixel((x, y)) for y in range(img.height) for x in range(img.width)}


def close(pixel: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 3) -> bool:
    return max(abs(a - b) for a, b in zip(pixel, expected, strict=True)) <= tolerance


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("builtin:circle#FB923C", "FB923C"),
        ("builtin:circle#fb923c", "FB923C"),
        ("builtin:circle00ff7f", "00FF7F"),
        ("  builtin:circle#123abc ", "123ABC"),
        ("BUILTIN:CIRCLE#123ABC", "123ABC"),
        ("builtin:circle#FB923", None),
        ("builtin:circle#FB923CC", None),
        ("builtin:circle#GG923C", None),
        ("builtin:square#FB923C", None),
        ("https://example.com/watermarks/FB923C_standard.png", None),
        ("assets/marker.png", None),
        ("", None),
    ],
)
def test_parse_builtin(src: str, expected: str | None) -> None:
    assert parse_builtin(src) == expected


def test_builtin_marker_is_a_72px_rgba_circle_in_the_colour() -> None:
    marker = builtin_marker("FB923C")
    assert marker.mode == "RGBA"
    assert marker.size == (72, 72)
    assert marker.getpixel((36, 36)) == (*ORANGE, 255)
    assert marker.getpixel((35, 35)) == (*ORANGE, 255)


def test_builtin_marker_has_a_white_ring_around_the_dot() -> None:
    marker = builtin_marker("FB923C")
    for point in [(36, 15), (15, 36), (56, 36), (36, 56)]:
        assert close(marker.getpixel(point), (255, 255, 255, 255)), point
    assert close(marker.getpixel((36, 20)), (*ORANGE, 255))  # the dot inside the ring


def test_builtin_marker_has_a_soft_translucent_halo() -> None:
    marker = builtin_marker("FB923C")
    red, green, blue, alpha = marker.getpixel((36, 8))
    assert 16 < alpha < 128
    assert red > green > blue  # still orange, not grey or white
    assert marker.getpixel((36, 6))[3] < alpha  # fading outwards


def test_builtin_marker_is_transparent_outside_the_circle() -> None:
    for (x, y), pixel in pixels(builtin_marker("FB923C")).items():
        if math.hypot(x - 35.5, y - 35.5) > 36:
            assert pixel[3] == 0, (x, y)


def test_builtin_marker_is_centred() -> None:
    marker = builtin_marker("FB923C")
    bbox = marker.getchannel("A").getbbox()
    assert bbox is not None
    left, top, right, bottom = bbox
    assert (left, top) == (72 - right, 72 - bottom)
    mirrored = pixels(marker.transpose(PILImage.Transpose.FLIP_LEFT_RIGHT))
    assert all(close(pixel, mirrored[point]) for point, pixel in pixels(marker).items())


def test_builtin_marker_edges_are_anti_aliased() -> None:
    alpha = builtin_marker("FB923C").getchannel("A")
    levels = set(pixels(alpha).values())
    assert len(levels) > 20  # not just on/off


def test_builtin_marker_other_colour_and_size() -> None:
    marker = builtin_marker("#00ff00", size=24)
    assert marker.size == (24, 24)
    assert marker.getpixel((12, 12)) == (0, 255, 0, 255)
    assert marker.getpixel((0, 0))[3] == 0


def test_builtin_marker_returns_a_fresh_copy_each_time() -> None:
    first = builtin_marker("FB923C")
    first.putpixel((36, 36), (0, 0, 0, 0))
    second = builtin_marker("FB923C")
    assert second is not first
    assert second.getpixel((36, 36)) == (*ORANGE, 255)


@pytest.mark.parametrize("colour", ["FB923", "orange", "#FB923CFF", ""])
def test_builtin_marker_refuses_bad_colours(colour: str) -> None:
    with pytest.raises(
        ValueError, match=r"^marker colour must be 6 hex digits like 'FB923C', got "
    ):
        builtin_marker(colour)


def test_ensure_rgba_keeps_rgba_as_is() -> None:
    marker = PILImage.new("RGBA", (2, 2), (1, 2, 3, 4))
    assert ensure_rgba(marker) is marker


def test_ensure_rgba_palette_with_transparency() -> None:
    marker = PILImage.new("P", (2, 1))
    marker.putpalette([255, 0, 0, 0, 0, 0])
    marker.putpixel((0, 0), 0)
    marker.putpixel((1, 0), 1)
    marker.info["transparency"] = 1
    rgba = ensure_rgba(marker)
    assert rgba.mode == "RGBA"
    assert rgba.getpixel((0, 0)) == (255, 0, 0, 255)
    assert rgba.getpixel((1, 0))[3] == 0


@pytest.mark.parametrize(
    ("mode", "value", "expected"),
    [
        ("RGB", (10, 20, 30), (10, 20, 30, 255)),
        ("L", 200, (200, 200, 200, 255)),
        ("LA", (200, 100), (200, 200, 200, 100)),
        ("I;16", 65535, (255, 255, 255, 255)),
    ],
)
def test_ensure_rgba_other_modes(mode: str, value: object, expected: tuple[int, ...]) -> None:
    rgba = ensure_rgba(PILImage.new(mode, (2, 2), value))
    assert rgba.mode == "RGBA"
    assert rgba.getpixel((1, 1)) == expected
