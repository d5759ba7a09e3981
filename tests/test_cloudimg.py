"""generator.cloudimg: every cloudimg URL shape of a Scribe export <-> the image fields."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from generator.cloudimg import (
    CloudimgError,
    is_cloudimg_url,
    parse_image_url,
    scribe_marker_colour,
    unescape,
)
from generator.errors import GuideErrors
from generator.explain import build_image_url
from generator.loader import load_guide
from generator.model import Image, Length, Marker

HOST = "https://abcdefgh.cloudimg.io"
SHOT = "recorder.s3.amazonaws.com/files/2025-05-18/0a1b2c3d/ascreenshot.jpeg"
MARKER = "https://recorder.s3.amazonaws.com/images/watermarks/FB923C_standard.png"
MARKER_WEST = "https://recorder.s3.us-west-1.amazonaws.com/images/watermarks/FB923C_standard.png"
PLAIN = "tl_px=45,196&br_px=2797,1735&force_format=jpeg&q=100&width=1120.0"
MARKED = (
    "tl_px=90,0&br_px=2842,1538&force_format=jpeg&q=100&width=1120.0"
    f"&wat=1&wat_opacity=0.7&wat_gravity=northwest&wat_url={MARKER_WEST}&wat_pad=1059,-8"
)


def parsed(url: str) -> Image:
    return Image.model_validate(url)


def marker_of(query: str) -> Marker:
    marker = parsed(f"{HOST}/https://{SHOT}?wat=1&{query}").marker
    assert marker is not None
    return marker


# --- where the screenshot is ------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"{HOST}/https://{SHOT}?{PLAIN}",  # origin with its scheme (every real export)
        f"{HOST}/{SHOT}?{PLAIN}",  # origin without a scheme: https is implied
        f"{HOST}/v7/https://{SHOT}?{PLAIN}",  # the versioned API path
        f"{HOST}/v7/{SHOT}?{PLAIN}",
        f"{HOST}/https:/{SHOT}?{PLAIN}",  # '//' collapsed to '/' by some tools
        f"  {HOST}/https://{SHOT}?{PLAIN}\n",
        f"{HOST}/https://{SHOT}?{PLAIN}".replace("&", "&amp;"),  # HTML-escaped
        f"{HOST}/https://{SHOT}?{PLAIN}".replace("&", "\\&").replace("_", "\\_"),  # Markdown
    ],
    ids=["scheme", "no-scheme", "v7", "v7-no-scheme", "one-slash", "spaces", "amp", "md-escapes"],
)
def test_every_url_shape_gives_the_same_fields(url: str) -> None:
    assert parse_image_url(url) == {
        "src": f"https://{SHOT}",
        "crop": [45, 196, 2797, 1735],
        "width": "1120.0",
        "format": "jpeg",
        "quality": "100",
        "marker": None,
        "params": {},
    }
    assert parsed(url) == Image(
        src=f"https://{SHOT}", crop=(45, 196, 2797, 1735), width=1120, format="jpeg", quality=100
    )


def test_an_http_origin_keeps_its_scheme() -> None:
    assert parsed(f"{HOST}/http://example.com/a.png?q=70").src == "http://example.com/a.png"


def test_a_marked_step_as_scribe_exports_it() -> None:
    assert parsed(f"{HOST}/https://{SHOT}?{MARKED}") == Image(
        src=f"https://{SHOT}",
        crop=(90, 0, 2842, 1538),
        width=1120,
        format="jpeg",
        quality=100,
        marker=Marker(src=MARKER_WEST, opacity=0.7, gravity="northwest", pad=(1059, -8)),
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://media.example.com/demo/clicks.gif",
        "assets/02-generate-a-pat/01.png",
        "https://cloudimg.io.example.com/a.png?width=10",  # not a cloudimg host
        "ftp://abc.cloudimg.io/a.png?width=10",
    ],
)
def test_other_urls_are_a_plain_src(url: str) -> None:
    assert not is_cloudimg_url(url)
    assert parse_image_url(url) == {"src": url}
    assert parsed(url) == Image(src=url)


def test_unescape() -> None:
    assert unescape(" a?x\\_y=1\\&b=2&amp;c=3 ") == "a?x_y=1&b=2&c=3"


# --- crop -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "crop"),
    [
        ("tl_px=45,196&br_px=2797,1735", (45, 196, 2797, 1735)),
        ("tl_px=10,20", (10, 20, None, None)),  # the other corner is the image edge
        ("br_px=300,200", (None, None, 300, 200)),
        ("tl_px=0,0", (0, 0, None, None)),
        ("tl_px=5.0,6", (5, 6, None, None)),
        ("tl_px=10", (10, 10, None, None)),
        ("q=80", None),
    ],
)
def test_crop_corners(query: str, crop: tuple[int | None, ...] | None) -> None:
    assert parsed(f"{HOST}/{SHOT}?{query}").crop == crop


# --- width, format, quality ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "width", "format_", "quality"),
    [
        ("width=1120.0", 1120, "jpeg", 90),
        ("width=800", 800, "jpeg", 90),
        ("force_format=png&q=55", None, "png", 55),
        ("force_format=WEBP", None, "webp", 90),
        ("force_format=jpg", None, "jpeg", 90),
    ],
)
def test_width_format_and_quality(
    query: str, width: int | None, format_: str, quality: int
) -> None:
    image = parsed(f"{HOST}/{SHOT}?{query}")
    assert (image.width, image.format, image.quality) == (width, format_, quality)


# --- the marker -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pad", "expected"),
    [
        ("1059,-8", (Length(value=1059), Length(value=-8))),
        ("-3,-4", (Length(value=-3), Length(value=-4))),
        ("10", (Length(value=10), Length(value=10))),  # one value for both axes
        ("5p,10p", (Length(value=5, percent=True), Length(value=10, percent=True))),
        ("2.5p", (Length(value=2.5, percent=True), Length(value=2.5, percent=True))),
    ],
)
def test_wat_pad(pad: str, expected: tuple[Length, Length]) -> None:
    assert marker_of(f"wat_pad={pad}").pad == expected


@pytest.mark.parametrize(
    ("scale", "expected"),
    [("50", Length(value=50)), ("20p", Length(value=20, percent=True)), ("150", Length(value=150))],
)
def test_wat_scale(scale: str, expected: Length) -> None:
    assert marker_of(f"wat_scale={scale}").scale == expected


@pytest.mark.parametrize(("opacity", "expected"), [("0.7", 0.7), ("1", 1.0), ("0", 0.0)])
def test_wat_opacity(opacity: str, expected: float) -> None:
    assert marker_of(f"wat_opacity={opacity}").opacity == expected


@pytest.mark.parametrize(
    ("gravity", "expected"),
    [
        ("northwest", "northwest"),
        ("north", "north"),
        ("northeast", "northeast"),
        ("west", "west"),
        ("center", "center"),
        ("east", "east"),
        ("southwest", "southwest"),
        ("south", "south"),
        ("southeast", "southeast"),
        ("NorthWest", "northwest"),
    ],
)
def test_wat_gravity(gravity: str, expected: str) -> None:
    assert marker_of(f"wat_gravity={gravity}").gravity == expected


def test_a_bare_marker_has_the_defaults() -> None:
    assert marker_of("q=90") == Marker()


def test_wat_url_alone_enables_the_marker_and_wat_0_disables_it() -> None:
    assert parsed(f"{HOST}/{SHOT}?wat_url={MARKER}").marker == Marker(src=MARKER)
    assert parsed(f"{HOST}/{SHOT}?wat=0&wat_url={MARKER}").marker is None
    assert parsed(f"{HOST}/{SHOT}?q=90").marker is None


@pytest.mark.parametrize(("src", "colour"), [
    (MARKER, "FB923C"),
    (MARKER_WEST, "FB923C"),
    ("https://recorder.s3.amazonaws.com/images/watermarks/1d4ed8_standard.png", "1D4ED8"),
    ("builtin:circle#FB923C", None),
    ("https://example.com/marker.png", None),
    ("https://[broken/FB923C_standard.png", None),
    # 2023 exports: one default marker, Scribe's orange.
    ("https://colony-labs-public.s3.us-east-2.amazonaws.com/images/watermarks/"
     "watermark_default.png", "FB923C"),
    ("https://recorder.s3.amazonaws.com/images/watermarks/22C55E.png", "22C55E"),
    ("https://recorder.s3.amazonaws.com/images/watermarks/1d4ed8_large.png", "1D4ED8"),
    ("https://recorder.s3.amazonaws.com/images/watermarks/team/pointer.png", "FB923C"),
    ("https://example.com/watermarks.png", None),
    ("https://example.com/watermarks/readme.txt", None),
    ("file:///images/watermarks/watermark_default.png", None),
])
def test_scribe_marker_colour(src: str, colour: str | None) -> None:
    assert scribe_marker_colour(src) == colour


# --- unknown parameters ------------------------------------------------------------------------


def test_unknown_parameters_are_kept_under_params() -> None:
    image = parsed(f"{HOST}/{SHOT}?width=100&dpr=2&sharp=1")
    assert image.params == {"dpr": "2", "sharp": "1"}
    assert image.width == 100


def write_guide(tmp_path: Path, urls: list[str]) -> Path:
    path = tmp_path / "guides" / "x.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    steps = "".join(f"  - text: Step {i}\n    image: '{url}'\n" for i, url in enumerate(urls))
    path.write_text(f"title: T\nsteps:\n{steps}")
    return path


def test_the_loader_warns_once_per_unknown_parameter(tmp_path: Path) -> None:
    path = write_guide(tmp_path, [
        f"{HOST}/{SHOT}?q=90&dpr=2",
        f"{HOST}/{SHOT}?dpr=3&sharp=1",
        f"{HOST}/{SHOT}?sharp=1&dpr=2",
    ])
    loaded = load_guide(path, root=tmp_path)
    assert [w.text() for w in loaded.warnings] == [
        "guides/x.yml:4:12: warning: steps[0].image: cloudimg parameter dpr=2 is not"
        " supported: kept, not applied",
        "guides/x.yml:6:12: warning: steps[1].image: cloudimg parameter sharp=1 is not"
        " supported: kept, not applied",
    ]


def test_unknown_parameters_in_a_mapping_are_located_at_their_key(tmp_path: Path) -> None:
    path = tmp_path / "guides" / "x.yml"
    path.parent.mkdir(parents=True)
    path.write_text(
        "title: T\nsteps:\n  - text: x\n    image:\n      src: a.png\n      params: {dpr: '2'}\n"
    )
    assert [w.text() for w in load_guide(path, root=tmp_path).warnings] == [
        "guides/x.yml:6:21: warning: steps[0].image: cloudimg parameter dpr=2 is not"
        " supported: kept, not applied"
    ]


# --- malformed values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("tl_px=a,b", "expected two integers 'x,y', got 'a,b' (cloudimg parameter tl_px)"),
        ("br_px=1,", "expected one value or two 'x,y', got '1,' (cloudimg parameter br_px)"),
        ("tl_px=1.5,2", "expected two integers 'x,y', got '1.5,2' (cloudimg parameter tl_px)"),
        (
            "tl_px=inf,1",
            "expected two integers 'x,y', got 'inf,1' (cloudimg parameter tl_px)",
        ),
        (
            "wat=1&wat_pad=1,2,3",
            "expected one value or two 'x,y', got '1,2,3' (cloudimg parameter wat_pad)",
        ),
    ],
)
def test_malformed_values_raise_cloudimg_error(query: str, message: str) -> None:
    with pytest.raises(CloudimgError) as info:
        parse_image_url(f"{HOST}/{SHOT}?{query}")
    assert str(info.value) == message


def test_a_url_without_an_origin_is_an_error() -> None:
    with pytest.raises(CloudimgError) as info:
        parse_image_url(f"{HOST}/v7/?width=10")
    assert str(info.value) == "the cloudimg URL names no image after its host"


def test_values_the_model_refuses_raise_validation_error() -> None:
    with pytest.raises(ValidationError):
        parsed(f"{HOST}/{SHOT}?wat=1&wat_gravity=up")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tl_px=a,b", "steps[0].image: expected two integers 'x,y', got 'a,b'"
                      " (cloudimg parameter tl_px)"),
        ("wat=1&wat_pad=1,2,3", "steps[0].image: expected one value or two 'x,y', got '1,2,3'"
                                " (cloudimg parameter wat_pad)"),
        ("wat=1&wat_pad=1,x", "steps[0].image.marker.pad[1]: expected a number or a percentage"
                              " like '5p', got 'x' (cloudimg parameter wat_pad)"),
        ("wat=1&wat_scale=0", "steps[0].image.marker.scale: expected a size above 0, got 0"
                              " (cloudimg parameter wat_scale)"),
        ("wat=1&wat_gravity=top", "steps[0].image.marker.gravity: expected one of: north,"
                                  " south, east, west, northeast, northwest, southeast,"
                                  " southwest, center; got 'top' (cloudimg parameter"
                                  " wat_gravity)"),
        ("q=0", "steps[0].image.quality: expected a number between 1 and 100, got '0'"
                " (cloudimg parameter q)"),
        ("force_format=gif", "steps[0].image.format: expected one of: jpeg, png, webp;"
                             " got 'gif' (cloudimg parameter force_format)"),
        ("width=wide", "steps[0].image.width: expected a whole number of pixels, got 'wide'"
                       " (cloudimg parameter width)"),
    ],
)
def test_malformed_values_reach_the_author_as_guide_errors(
    tmp_path: Path, query: str, expected: str
) -> None:
    path = write_guide(tmp_path, [f"{HOST}/{SHOT}?{query}"])
    with pytest.raises(GuideErrors) as info:
        load_guide(path, root=tmp_path)
    assert [e.text() for e in info.value.errors] == [f"guides/x.yml:4:12: {expected}"]


# --- back to a URL ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "image",
    [
        Image(src=f"https://{SHOT}"),
        Image(src=f"https://{SHOT}", crop=(90, 0, 2842, 1538), width=1120, quality=100),
        Image(src=f"https://{SHOT}", crop=(10, 20, None, None), format="png"),
        Image(src=f"https://{SHOT}", crop=(None, None, 30, 40), format="webp", quality=3),
        Image(
            src=f"https://{SHOT}",
            width=640,
            marker=Marker(
                src=MARKER, opacity=0.7, gravity="northwest", pad=(1059, -8), scale="20p"
            ),
        ),
        Image(src="https://h.example.com/a b.png", marker=Marker(pad=("5p", "12.5p"))),
        Image(src=f"https://{SHOT}", marker=Marker(opacity=0.123456789, scale=33.3)),
        Image(src=f"https://{SHOT}", params={"dpr": "2", "x": "a&b=c#d"}),
    ],
)
def test_build_then_parse_gives_equal_fields(image: Image) -> None:
    url = build_image_url(image, token="tok")
    assert url.startswith("https://tok.cloudimg.io/")
    assert Image.model_validate(url) == image


def test_build_a_scribe_url() -> None:
    image = parsed(f"{HOST}/https://{SHOT}?{MARKED}")
    assert build_image_url(image, token="abcdefgh") == (
        f"{HOST}/https://{SHOT}?tl_px=90,0&br_px=2842,1538&force_format=jpeg&q=100"
        f"&width=1120&wat=1&wat_opacity=0.7&wat_gravity=northwest&wat_url={MARKER_WEST}"
        "&wat_pad=1059,-8&wat_scale=100"
    )
