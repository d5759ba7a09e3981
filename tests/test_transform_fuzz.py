"""Fuzzing the transform: whatever the source and the spec, the size promised or our error.

Hypothesis draws small sources of every mode the pipeline meets (RGB, RGBA, L, P with and
without transparency), crop boxes inside, across and outside them (with `None` parts),
widths, markers of any mode with every gravity, signed and percentage pads, plain and
percentage scales, opacities and click points. `render` must return exactly
`output_size(crop)` pixels in a mode the encoder takes, or raise TransformError when the
crop leaves nothing; nothing else may escape. The encoded bytes decode to the same size.
(Outputs beyond an encoder's limits are refused before rendering, by images.py.)
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage

from generator.images import output_too_large
from generator.model import Image as ImageSpec
from generator.transform import TransformError, crop_box, draft_size, encode, output_size, render

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
GRAVITIES = [
    "north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest",
    "center",
]
MODES = ["RGB", "RGBA", "L", "P", "P+transparency"]

colours = st.tuples(*[st.integers(0, 255)] * 4)


@st.composite
def images(draw: st.DrawFn, max_side: int, modes: list[str] = MODES) -> PILImage.Image:
    """A small image: a background and a rectangle, in one of `modes`."""
    size = (draw(st.integers(1, max_side)), draw(st.integers(1, max_side)))
    mode = draw(st.sampled_from(modes))
    background, foreground = draw(colours), draw(colours)
    image = PILImage.new("RGBA", size, background)
    x1, y1 = draw(st.integers(0, size[0] - 1)), draw(st.integers(0, size[1] - 1))
    image.paste(foreground, (x1, y1, size[0], size[1]))
    if mode == "RGBA":
        return image
    if mode == "P+transparency":
        palette = image.convert("RGB").convert("P")
        palette.info["transparency"] = draw(st.integers(0, 255))
        return palette
    return image.convert("RGB").convert(mode)


def edges(limit: int) -> st.SearchStrategy[tuple[int | None, int | None]]:
    """(low, high) along one axis: inside, across or beyond the image; either may be None."""
    coordinate = st.integers(-limit // 2, limit * 3 // 2)
    pair = st.tuples(coordinate, coordinate).filter(lambda p: p[0] != p[1]).map(sorted)
    return st.one_of(
        pair.map(tuple),
        st.tuples(st.none(), coordinate),
        st.tuples(coordinate, st.none()),
        st.just((None, None)),
    )


lengths = st.one_of(
    st.integers(-150, 150),
    st.integers(-60, 160).map(lambda n: f"{n}p"),
    st.floats(-150, 150, allow_nan=False),
)
markers = st.fixed_dictionaries(
    {
        "gravity": st.sampled_from(GRAVITIES),
        "pad": st.one_of(lengths, st.tuples(lengths, lengths).map(list)),
        "scale": st.one_of(st.integers(1, 400), st.integers(1, 150).map(lambda n: f"{n}p")),
        "opacity": st.floats(0, 1),
    },
    optional={"click": st.tuples(st.integers(-50, 350), st.integers(-50, 350)).map(list)},
)


@st.composite
def specs(draw: st.DrawFn, limit: int = 300) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "src": "shot.png",
        "format": draw(st.sampled_from(["jpeg", "png", "webp"])),
        "width": draw(st.one_of(st.none(), st.integers(1, 600))),
    }
    if draw(st.booleans()):
        (x1, x2), (y1, y2) = draw(edges(limit)), draw(edges(limit))
        fields["crop"] = [x1, y1, x2, y2]
    if draw(st.booleans()):
        fields["marker"] = draw(markers)
    return fields


def expected_size(source_size: tuple[int, int], spec: ImageSpec) -> tuple[int, int] | None:
    """What render must return, or None when the crop leaves nothing."""
    try:
        box, _ = crop_box(source_size, spec.crop)
    except TransformError:
        return None
    return output_size(box[2] - box[0], box[3] - box[1], spec.width)


def check_render(
    source: PILImage.Image, spec: ImageSpec, marker: PILImage.Image | None,
    full_size: tuple[int, int] | None = None,
) -> None:
    expected = expected_size(full_size or source.size, spec)
    if expected is None:
        with pytest.raises(TransformError, match="nothing is left to show"):
            render(source, spec, marker, full_size=full_size)
        return
    if output_too_large(expected, spec.format):
        return  # refused when the build is planned, with that message: never rendered
    assume(expected[0] * expected[1] <= 2_000_000)  # tall thin crops: correct, but slow
    rendered, warnings = render(source, spec, marker, full_size=full_size)
    assert rendered.size == expected
    assert all(isinstance(w, str) and w for w in warnings)
    if spec.format == "jpeg":
        assert rendered.mode == "RGB"
    else:
        assert rendered.mode in ("RGB", "RGBA")
    data = encode(rendered, spec.format, spec.quality)
    with PILImage.open(io.BytesIO(data)) as decoded:
        assert decoded.size == expected


@SETTINGS
@given(
    source=images(300),
    fields=specs(),
    marker=images(100, ["RGBA", "RGB", "P+transparency", "L", "LA"]),
)
def test_render_gives_the_promised_size_or_our_error(
    source: PILImage.Image, fields: dict[str, Any], marker: PILImage.Image
) -> None:
    spec = ImageSpec.model_validate(fields)
    check_render(source, spec, marker if spec.marker is not None else None)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=images(300, ["RGB", "L"]), fields=specs())
def test_a_jpeg_decoded_at_draft_size_gives_the_same_size(
    source: PILImage.Image, fields: dict[str, Any]
) -> None:
    # What the worker does for a large JPEG: decode at a reduced scale, crop in the
    # original's pixels.
    spec = ImageSpec.model_validate({**fields, "marker": None})
    buffer = io.BytesIO()
    source.save(buffer, "JPEG")
    decoded = PILImage.open(io.BytesIO(buffer.getvalue()))
    full_size = decoded.size
    try:
        wanted = draft_size(full_size, spec)
    except TransformError:
        wanted = None
    if wanted is not None:
        decoded.draft(None, wanted)
    check_render(decoded, spec, None, full_size=full_size)
