"""generator.model: lengths, marker shorthand, annotations, step numbering, image_defaults."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from generator.model import (
    Arrow,
    Guide,
    Highlight,
    Image,
    ImageSettings,
    Label,
    Length,
    Marker,
    Redaction,
    Section,
    Step,
    Zoom,
    merge_image,
    shown,
)

# --- Length -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "value", "percent"),
    [
        (12, 12.0, False),
        (-8, -8.0, False),
        (2.5, 2.5, False),
        ("1059", 1059.0, False),
        ("-8", -8.0, False),
        ("+3", 3.0, False),
        (" 7 ", 7.0, False),
        ("5p", 5.0, True),
        ("12.5p", 12.5, True),
        ("-10p", -10.0, True),
        (".5", 0.5, False),
        ("1e2", 100.0, False),
        ({"value": 3, "percent": True}, 3.0, True),
    ],
)
def test_length_parses(given: object, value: float, percent: bool) -> None:
    length = Length.model_validate(given)
    assert (length.value, length.percent) == (value, percent)


@pytest.mark.parametrize(
    "given", ["", "p", "5 px", "5%", "abc", "1,2", True, None, [1], float("inf"), float("nan"),
              "1e999", "1e999p", 10**400, {"value": float("inf")}, {"value": 10**400}],
)
def test_length_refuses(given: object) -> None:
    with pytest.raises(ValidationError):
        Length.model_validate(given)


def test_length_error_message_quotes_the_value() -> None:
    with pytest.raises(ValidationError) as info:
        Length.model_validate("{far}")
    assert info.value.errors()[0]["msg"] == (
        "expected a number or a percentage like '5p', got '{far}'"
    )


@pytest.mark.parametrize(
    ("length", "total", "pixels"),
    [
        (Length(value=36), 1120, 36),
        (Length(value=-8), 1120, -8),
        (Length(value=2.5), 100, 2),  # round half to even, as Python rounds
        (Length(value=3.5), 100, 4),
        (Length(value=5, percent=True), 1120, 56),
        (Length(value=10, percent=True), 626, 63),
        (Length(value=-50, percent=True), 300, -150),
    ],
)
def test_length_resolve(length: Length, total: int, pixels: int) -> None:
    assert length.resolve(total) == pixels


@pytest.mark.parametrize(
    ("length", "text"),
    [
        (Length(value=1059), "1059"),
        (Length(value=-8), "-8"),
        (Length(value=2.5), "2.5"),
        (Length(value=5, percent=True), "5p"),
        (Length(value=12.5, percent=True), "12.5p"),
    ],
)
def test_length_str_reads_back(length: Length, text: str) -> None:
    assert str(length) == text
    assert Length.model_validate(text) == length


# --- Marker ---------------------------------------------------------------------------------


def test_marker_defaults() -> None:
    marker = Marker()
    assert (marker.src, marker.opacity, marker.gravity) == ("builtin:circle#FB923C", 1, "center")
    assert marker.pad == (Length(value=0), Length(value=0))
    assert marker.scale == Length(value=100)
    assert marker.click is None


@pytest.mark.parametrize(
    ("pad", "expected"),
    [
        (10, (10, 10)),
        ("5p", ("5p", "5p")),
        ([7], (7, 7)),
        ([1059, -8], (1059, -8)),
        (["5p", 3], ("5p", 3)),
        ("1059,-8", (1059, -8)),
        ("5p, 10p", ("5p", "10p")),
    ],
)
def test_marker_pad_shorthand(pad: object, expected: tuple[object, object]) -> None:
    want = tuple(Length.model_validate(v) for v in expected)
    assert Marker.model_validate({"pad": pad}).pad == want


@pytest.mark.parametrize(
    ("pad", "message"),
    [
        ([1, 2, 3], "expected one value or two [x, y], got [1, 2, 3]"),
        ([], "expected one value or two [x, y], got []"),
        (None, "expected one value or two [x, y], got None"),
        (True, "expected one value or two [x, y], got True"),
        ("far", "expected a number or a percentage like '5p', got 'far'"),
    ],
)
def test_marker_pad_refuses(pad: object, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        Marker.model_validate({"pad": pad})
    assert [e["msg"] for e in info.value.errors()] == [message]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"scale": 0}, "expected a size above 0, got 0"),
        ({"scale": "-5p"}, "expected a size above 0, got -5p"),
        ({"click": [1, 2, 3]}, "expected 2 integers [x, y]"),
        ({"click": [1.5, 2]}, "expected 2 integers [x, y]"),
        ({"src": " "}, "must not be empty"),
    ],
)
def test_marker_refuses(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        Marker.model_validate(fields)
    assert [e["msg"] for e in info.value.errors()] == [message]


def test_marker_click_and_gravity() -> None:
    marker = Marker.model_validate({"click": [1095, 28], "gravity": " SouthEast "})
    assert (marker.click, marker.gravity) == ((1095, 28), "southeast")


# --- Image -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("crop", "message"),
    [
        ([1, 2, 3], "expected 4 integers [x1, y1, x2, y2]"),
        ([1, 2, 3, True], "expected 4 integers [x1, y1, x2, y2]"),
        ("0,0,1,1", "expected 4 integers [x1, y1, x2, y2]"),
        ([10, 0, 10, 5], "empty crop box: x2 (10) must be greater than x1 (10)"),
        ([0, 9, 10, 5], "empty crop box: y2 (5) must be greater than y1 (9)"),
    ],
)
def test_image_crop_refuses(crop: object, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        Image.model_validate({"src": "a.png", "crop": crop})
    assert [e["msg"] for e in info.value.errors()] == [message]


@pytest.mark.parametrize(
    ("width", "expected"), [(1120, 1120), (1120.0, 1120), ("1120.0", 1120), (" 800 ", 800)]
)
def test_image_width_forms(width: object, expected: int) -> None:
    assert Image(src="a.png", width=width).width == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("width", "message"),
    [
        (0, "expected a width between 1 and 10000, got 0"),
        ("-5", "expected a width between 1 and 10000, got -5"),
        (10001, "expected a width between 1 and 10000, got 10001"),
        (1.5, "expected a whole number of pixels, got 1.5"),
        (True, "expected a whole number of pixels, got True"),
        ("9" * 50, f"expected a whole number of pixels, got '{'9' * 36}..."),
        (float("inf"), "expected a whole number of pixels, got inf"),
    ],
)
def test_image_width_refuses(width: object, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        Image.model_validate({"src": "a.png", "width": width})
    assert [e["msg"] for e in info.value.errors()] == [message]


def test_image_extension() -> None:
    assert [Image(src="a", format=f).extension for f in ("jpeg", "png", "webp")] == [
        "jpg", "png", "webp"
    ]


def test_shown() -> None:
    assert shown("abc") == "'abc'"
    assert shown(3) == "3"
    assert shown("x" * 100) == "'" + "x" * 36 + "..."


# --- annotations ----------------------------------------------------------------------------


def test_annotation_defaults() -> None:
    image = Image(src="a.png")
    assert (image.redact, image.highlight, image.arrow, image.label, image.zoom) == (
        [], [], [], [], None)
    assert Redaction.model_validate({"box": [0, 0, 1, 1]}).style == "solid"
    assert Highlight.model_validate({"box": [0, 0, 1, 1]}).model_dump() == {
        "box": (0, 0, 1, 1), "color": "#FB923C", "width": 4}
    assert Arrow.model_validate({"from": [1, 2], "to": [3, 4]}).color == "#FB923C"


def test_annotation_shorthand_forms() -> None:
    image = Image.model_validate({
        "src": "a.png",
        "zoom": 2,
        "label": [{"at": [5, 6], "text": 1}, {"at": [5, 6], "text": " A "}],
        "highlight": [{"box": [0, 0, 9, 9], "color": " #fb923c "}],
    })
    assert image.zoom == Zoom(factor=2, box=None)
    assert [label.text for label in image.label] == ["1", "A"]
    assert image.highlight[0].color == "#FB923C"
    assert Image.model_validate({"src": "a.png", "zoom": "2.5"}).zoom == Zoom(factor=2.5)


def test_an_arrow_reads_back_from_its_own_dump() -> None:
    # A render job carries the spec to a worker as model_dump(mode="json") ("from_").
    image = Image.model_validate({"src": "a.png", "arrow": [{"from": [1, 2], "to": [3, 4]}]})
    assert Image.model_validate(image.model_dump(mode="json")) == image
    assert image.arrow[0].from_ == (1, 2)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"redact": [{"box": [10, 0, 5, 5]}]}, "empty box: x2 (5) must be greater than x1 (10)"),
        ({"redact": [{"box": [0, 5, 5, 5]}]}, "empty box: y2 (5) must be greater than y1 (5)"),
        ({"redact": [{"box": [0, 0, 5]}]}, "expected 4 integers [x1, y1, x2, y2]"),
        ({"redact": [{"box": [0, 0, 5, None]}]}, "expected 4 integers [x1, y1, x2, y2]"),
        ({"redact": [{"box": [0, 0, 5, 5], "style": "smudge"}]},
         "Input should be 'solid', 'pixelate' or 'blur'"),
        ({"highlight": [{"box": [0, 0, 5, 5], "color": "orange"}]},
         "expected a colour like '#FB923C', got 'orange'"),
        ({"highlight": [{"box": [0, 0, 5, 5], "color": "#FB923"}]},
         "expected a colour like '#FB923C', got '#FB923'"),
        ({"highlight": [{"box": [0, 0, 5, 5], "width": 0}]},
         "Input should be greater than or equal to 1"),
        ({"highlight": [{"box": [0, 0, 5, 5], "width": 41}]},
         "Input should be less than or equal to 40"),
        ({"arrow": [{"from": [0, 0], "to": [1]}]}, "expected 2 integers [x, y]"),
        ({"arrow": [{"from": [0, 0.5], "to": [1, 1]}]}, "expected 2 integers [x, y]"),
        ({"label": [{"at": [0, 0], "text": "1234"}]}, "expected 1 to 3 characters, got '1234'"),
        ({"label": [{"at": [0, 0], "text": " "}]}, "expected 1 to 3 characters, got ' '"),
        ({"label": [{"at": [0, 0], "text": 1000}]}, "expected 1 to 3 characters, got '1000'"),
        ({"zoom": 1}, "Input should be greater than or equal to 1.5"),
        ({"zoom": {"factor": 9}}, "Input should be less than or equal to 8"),
        ({"zoom": {"box": [5, 5, 5, 9]}}, "empty box: x2 (5) must be greater than x1 (5)"),
    ],
)
def test_annotations_refuse(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        Image.model_validate({"src": "a.png", **fields})
    assert [e["msg"] for e in info.value.errors()] == [message]


def test_label_and_arrow_models_are_frozen_data() -> None:
    label = Label.model_validate({"at": [1, 2], "text": "1"})
    with pytest.raises(ValidationError):
        label.text = "2"  # type: ignore[misc]


# --- Guide ------------------------------------------------------------------------------------


def guide(*items: Step | Section) -> Guide:
    return Guide(title="T", steps=list(items))


def test_numbered_steps_skip_sections() -> None:
    a, b, c = Step(text="a"), Step(text="b"), Step(text="c")
    g = guide(Section(section="Start"), a, b, Section(section="Then"), c)
    assert g.numbered_steps() == [(1, a), (2, b), (3, c)]
    assert g.indexed_steps() == [(1, 1, a), (2, 2, b), (4, 3, c)]


def test_a_guide_of_only_steps() -> None:
    a = Step(text="a")
    assert guide(a).indexed_steps() == [(0, 1, a)]


def test_steps_are_told_from_sections_by_their_key() -> None:
    g = Guide.model_validate(
        {"title": "T", "steps": [{"text": "a"}, {"section": "S"}, {"text": "b", "tip": "t"}]}
    )
    assert g.steps == [Step(text="a"), Section(section="S"), Step(text="b", tip="t")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": " ", "steps": [{"text": "a"}]}, "must not be empty"),
        ({"title": "T", "steps": []}, "List should have at least 1 item after validation, not 0"),
    ],
)
def test_guide_refuses(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        Guide.model_validate(data)
    assert [e["msg"] for e in info.value.errors()] == [message]


# --- merge_image -------------------------------------------------------------------------------

DEFAULTS = ImageSettings.model_validate(
    {"width": 1120, "quality": 100, "marker": {"opacity": 0.7, "gravity": "northwest"}}
)


def test_merge_fills_only_what_the_image_leaves_unset() -> None:
    merged = merge_image(DEFAULTS, Image.model_validate({"src": "a.png", "quality": 50}))
    assert (merged.width, merged.quality, merged.format) == (1120, 50, "jpeg")
    assert merged.marker == Marker(opacity=0.7, gravity="northwest")


def test_merge_deep_merges_the_marker() -> None:
    image = Image.model_validate({"src": "a.png", "marker": {"pad": [3, 4], "opacity": 1}})
    assert merge_image(DEFAULTS, image).marker == Marker(
        opacity=1, gravity="northwest", pad=(3, 4)
    )


def test_merge_respects_an_explicit_null() -> None:
    image = Image.model_validate({"src": "a.png", "marker": None, "width": None})
    merged = merge_image(DEFAULTS, image)
    assert (merged.marker, merged.width, merged.quality) == (None, None, 100)


def test_merge_with_defaults_that_say_nothing() -> None:
    image = Image.model_validate({"src": "a.png", "crop": [0, 0, 5, 5]})
    assert merge_image(ImageSettings(), image) == image


def test_defaults_without_a_marker_leave_the_images_marker() -> None:
    image = Image.model_validate({"src": "a.png", "marker": {"gravity": "east"}})
    defaults = ImageSettings.model_validate({"width": 10, "marker": None})
    assert merge_image(defaults, image).marker == Marker(gravity="east")


def test_guide_applies_image_defaults_to_each_image() -> None:
    g = Guide.model_validate({
        "title": "T",
        "image_defaults": {"width": 500, "format": "png"},
        "steps": [{"text": "a", "image": "a.png"}, {"section": "S"}, {"text": "b"}],
    })
    assert g.steps == [
        Step(text="a", image=Image(src="a.png", width=500, format="png")),
        Section(section="S"),
        Step(text="b"),
    ]


# --- a guide's language -----------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["es", "pt-BR", "zh-Hant", "sr-Latn-RS", " ru "])
def test_a_guide_says_its_language_as_a_bcp_47_tag(tag: str) -> None:
    assert Guide.model_validate({"title": "T", "lang": tag, "steps": [{"text": "a"}]}).lang == (
        tag.strip())


@pytest.mark.parametrize("tag", ["english", "e", "pt_BR", "es-", 7])
def test_a_language_that_is_not_a_tag_is_refused(tag: object) -> None:
    with pytest.raises(ValidationError) as info:
        Guide.model_validate({"title": "T", "lang": tag, "steps": [{"text": "a"}]})
    shown = repr(tag) if isinstance(tag, str) else str(tag)
    assert [e["msg"] for e in info.value.errors()] == [
        f"expected a language tag like 'en', 'es' or 'pt-BR', got {shown}"
    ]
