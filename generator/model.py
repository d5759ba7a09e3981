"""The guide format (v1) as pydantic models: plain data, no I/O.

The JSON Schema that editors use is derived from these classes, so the format is declared
once, here. Shorthand forms (an image given as a cloudimg URL, a pad given as one value) are
normalised in `mode="before"` validators so the rest of the code sees one shape.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from generator.cloudimg import DEFAULT_FORMAT, DEFAULT_QUALITY, CloudimgError, Crop, parse_image_url
from generator.errors import shown

__all__ = ["Crop", "shown"]  # re-exported: the format's names, where the format is

Gravity = Literal[
    "north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest", "center"
]
ImageFormat = Literal["jpeg", "png", "webp"]
RedactStyle = Literal["solid", "pixelate", "blur"]
EXTENSIONS: dict[str, str] = {"jpeg": "jpg", "png": "png", "webp": "webp"}
DEFAULT_MARKER_SRC = "builtin:circle#FB923C"
MAX_WIDTH = 10000
# Annotations are drawn in the click marker's orange unless a step says otherwise.
DEFAULT_ANNOTATION_COLOUR = "#FB923C"
# Annotation sizes (highlight widths) are given for an output this wide and scaled with it.
REFERENCE_WIDTH = 1120
ZOOM_FACTORS = (1.5, 8.0)

_LENGTH = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(p?)\s*$")
_WHOLE = re.compile(r"^\s*([-+]?\d{1,9})(?:\.0*)?\s*$")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
# The built-in click marker, `builtin:circle#RRGGBB` ('#' optional, any case).
BUILTIN_PREFIX = "builtin:"
BUILTIN_MARKER = re.compile(r"^builtin:circle#?([0-9a-f]{6})$", re.IGNORECASE)
# A BCP 47 language tag as pages and PDFs declare it: a language, then subtags (es, pt-BR,
# zh-Hant, sr-Latn-RS).
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def _any_case(text: str) -> str:
    """A regex for `text` in any case, for JSON Schema patterns, which have no flags."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in text)


# The schema's form of the rule in `_marker_src`: anything but `builtin:…`, or a valid one.
MARKER_SRC_PATTERN = (
    rf"^\s*(?:(?!{_any_case(BUILTIN_PREFIX)})[\s\S]*"
    rf"|{_any_case('builtin:circle')}#?[0-9A-Fa-f]{{6}}\s*)$"
)


def _custom(kind: str, message: str, **context: Any) -> PydanticCustomError:
    """An error whose message is final: `{...}` in quoted values is never re-formatted."""
    return PydanticCustomError(kind, "{message}", {"message": message.format(**context)})


class Length(BaseModel):
    """A signed distance: output pixels, or a percentage of the output size (`5p`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float
    percent: bool = False

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, Length | dict):
            return data
        problem = _custom("length", "expected a number or a percentage like '5p', got {got}",
                          got=shown(data))
        percent = False
        try:
            if isinstance(data, int | float) and not isinstance(data, bool):
                value = float(data)
            elif isinstance(data, str) and (match := _LENGTH.match(data)):
                value, percent = float(match[1]), bool(match[2])
            else:
                raise problem
        except OverflowError:  # an integer with hundreds of digits
            raise problem from None
        if not math.isfinite(value):
            raise problem
        return {"value": value, "percent": percent}

    @field_validator("value", mode="after")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise _custom("length", "expected a finite number, got {got}", got=value)
        return value

    def resolve(self, total: int) -> int:
        """Pixels for an output of `total` pixels along this axis."""
        return round(self.value * total / 100) if self.percent else round(self.value)

    def __str__(self) -> str:
        number = int(self.value) if self.value == int(self.value) else self.value
        return f"{number}p" if self.percent else str(number)


class Marker(BaseModel):
    """The click marker (cloudimg's watermark), placed on the resized image."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    src: str = Field(
        DEFAULT_MARKER_SRC, description="Marker image: path, http(s) URL or builtin:circle#RRGGBB",
        json_schema_extra={"pattern": MARKER_SRC_PATTERN},
    )
    opacity: float = Field(1.0, ge=0, le=1, description="Multiplies the marker's alpha")
    gravity: Gravity = Field("center", description="Side or corner the pad is measured from")
    pad: tuple[Length, Length] = Field(
        (Length(value=0), Length(value=0)),
        description="Inward offset [x, y] from the gravity side, in output pixels or 'Np' percent",
    )
    scale: Length = Field(
        Length(value=100),
        description="Marker size: percent of its own size, or 'Sp' = percent of the output width",
    )
    click: tuple[int, int] | None = Field(
        None, description="Source pixel [x, y] the marker is centred on; overrides gravity and pad"
    )

    @field_validator("pad", mode="before")
    @classmethod
    def _one_pad_for_both_axes(cls, value: Any) -> Any:
        if isinstance(value, str) and "," in value:
            value = [part.strip() for part in value.split(",")]
        if isinstance(value, list | tuple) and len(value) == 1:
            value = value[0]
        if isinstance(value, int | float | str | Length) and not isinstance(value, bool):
            # One value for both axes: checked once, so a mistake is reported once.
            try:
                length = Length.model_validate(value)
            except ValidationError as exc:
                raise _custom("pad", exc.errors()[0]["msg"]) from None
            return (length, length)
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise _custom("pad", "expected one value or two [x, y], got {got}", got=shown(value))
        return value

    @field_validator("scale", mode="after")
    @classmethod
    def _positive_scale(cls, value: Length) -> Length:
        if value.value <= 0:
            raise _custom("scale", "expected a size above 0, got {got}", got=value)
        return value

    @field_validator("click", mode="before")
    @classmethod
    def _click(cls, value: Any) -> Any:
        if value is not None and not _integers(value, 2):
            raise _custom("click", "expected 2 integers [x, y]")
        return value

    @field_validator("gravity", mode="before")
    @classmethod
    def _gravity(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("src", mode="after")
    @classmethod
    def _src(cls, value: str) -> str:
        return _marker_src(_not_blank(value))


def _marker_src(value: str) -> str:
    """A `builtin:` marker must name the circle and a colour of 6 hex digits; say which part
    is wrong (other sources are checked when they are read)."""
    text = value.strip()
    if not text.lower().startswith(BUILTIN_PREFIX) or BUILTIN_MARKER.match(text):
        return value
    rest = text[len(BUILTIN_PREFIX):]
    if not rest.lower().startswith("circle"):
        shape = rest.split("#", 1)[0]
        raise _custom("marker", "unknown built-in marker {shape!r}: the one built-in marker is "
                      "builtin:circle#RRGGBB, e.g. builtin:circle#FB923C", shape=shape)
    colour = rest[len("circle"):].removeprefix("#")
    example = "as in builtin:circle#FB923C"
    if not colour:
        raise _custom("marker", "the built-in marker needs a colour: 6 hex digits, {example}",
                      example=example)
    if all(c in "0123456789abcdefABCDEF" for c in colour):
        raise _custom("marker", "the colour '#{colour}' has {n} hex digits; write 6, {example}",
                      colour=colour, n=len(colour), example=example)
    raise _custom("marker", "'#{colour}' is not a colour: write 6 hex digits (0-9, A-F), "
                  "{example}", colour=colour, example=example)


def _integers(value: Any, count: int, none: bool = False) -> bool:
    """`value` is a list of `count` integers (or None where `none` allows it)."""
    return (
        isinstance(value, list | tuple)
        and len(value) == count
        and all(
            (none and v is None) or (isinstance(v, int) and not isinstance(v, bool))
            for v in value
        )
    )


def _not_blank(value: str) -> str:
    if not value.strip():
        raise _custom("blank", "must not be empty")
    return value


# --- annotations: drawn on the screenshot, in source pixels -------------------------------


def _box(value: Any) -> Any:
    if not _integers(value, 4):
        raise _custom("box", "expected 4 integers [x1, y1, x2, y2]")
    x1, y1, x2, y2 = value
    for low, high, a, b in ((x1, x2, "x1", "x2"), (y1, y2, "y1", "y2")):
        if high <= low:
            raise _custom(
                "box", "empty box: {b} ({high}) must be greater than {a} ({low})",
                a=a, b=b, low=low, high=high,
            )
    return tuple(value)


def _point(value: Any) -> Any:
    if not _integers(value, 2):
        raise _custom("point", "expected 2 integers [x, y]")
    return tuple(value)


def _colour(value: Any) -> Any:
    if not isinstance(value, str) or not _COLOUR.match(value.strip()):
        raise _custom("colour", "expected a colour like '#FB923C', got {got}", got=shown(value))
    return value.strip().upper()


def _language(value: Any) -> Any:
    if not isinstance(value, str) or not _LANGUAGE.match(value.strip()):
        raise _custom(
            "lang", "expected a language tag like 'en', 'es' or 'pt-BR', got {got}",
            got=shown(value),
        )
    return value.strip()


def _label_text(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # `text: 1` is a number in YAML, and means the badge "1"
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= 3:
        raise _custom("text", "expected 1 to 3 characters, got {got}", got=shown(value))
    return value.strip()


Language = Annotated[
    str,
    StringConstraints(pattern=_LANGUAGE.pattern),
    BeforeValidator(_language),
    Field(description="A BCP 47 language tag, e.g. 'es' or 'pt-BR'"),
]
Box = Annotated[
    tuple[int, int, int, int],
    BeforeValidator(_box),
    Field(description="[x1, y1, x2, y2] in source pixels, x2/y2 exclusive"),
]
Point = Annotated[
    tuple[int, int], BeforeValidator(_point), Field(description="[x, y] in source pixels")
]
Colour = Annotated[
    str,
    StringConstraints(pattern=_COLOUR.pattern),
    BeforeValidator(_colour),
    Field(description="A colour as #RRGGBB"),
]
LabelText = Annotated[
    str,
    BeforeValidator(_label_text),
    WithJsonSchema({
        "anyOf": [
            {"type": "string", "minLength": 1, "maxLength": 3},
            {"type": "integer", "minimum": 0, "maximum": 999},
        ],
    }),
]


class Redaction(BaseModel):
    """A region of the source made unreadable before anything else happens to the image."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    box: Box
    style: RedactStyle = Field(
        "solid",
        description=(
            "solid: an opaque dark grey bar (the default: it keeps nothing of what was under it);"
            " pixelate: a few large blocks; blur: a heavy blur, flattened to a few shades"
        ),
    )


class Highlight(BaseModel):
    """A rounded outline drawn around an element, outside its box so it covers none of it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    box: Box
    color: Colour = DEFAULT_ANNOTATION_COLOUR
    width: int = Field(
        4, ge=1, le=40,
        description=f"Outline width in output pixels at a {REFERENCE_WIDTH} px wide image;"
        " scaled with the output width",
    )


class Arrow(BaseModel):
    """An arrow from one source pixel to another; its head is at `to`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: Point = Field(
        alias="from", description="Where the arrow starts: [x, y] in source pixels"
    )
    to: Point = Field(description="Where the arrow points: [x, y] in source pixels")
    color: Colour = DEFAULT_ANNOTATION_COLOUR


class Label(BaseModel):
    """A numbered badge: a filled circle with 1 to 3 characters in it, centred on `at`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: Point = Field(description="The badge's centre: [x, y] in source pixels")
    text: LabelText = Field(description="1 to 3 characters, e.g. 1 or 'A'")
    color: Colour = DEFAULT_ANNOTATION_COLOUR


class Zoom(BaseModel):
    """A magnified inset of the click region, cut from the full-resolution source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    factor: float = Field(
        2.0, ge=ZOOM_FACTORS[0], le=ZOOM_FACTORS[1],
        description="Magnification relative to the rendered screenshot",
    )
    box: Box | None = Field(
        None,
        description="The region to magnify, in source pixels; default: around the marker's"
        " click point",
    )

    @model_validator(mode="before")
    @classmethod
    def _factor_alone(cls, data: Any) -> Any:
        if isinstance(data, int | float | str) and not isinstance(data, bool):
            return {"factor": data}  # `zoom: 2`
        return data


def _zoom_schema(schema: dict[str, Any]) -> None:
    """`zoom: 2` is the factor alone: say so in the schema too."""
    schema["anyOf"].insert(0, {
        "type": "number", "minimum": ZOOM_FACTORS[0], "maximum": ZOOM_FACTORS[1],
        "description": "The factor alone; the region is around the marker's click point",
    })


class ImageSettings(BaseModel):
    """Rendering settings shared by `image_defaults` and each step's image."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    width: int | None = Field(
        None, description="Output width in pixels; height keeps the aspect ratio"
    )
    format: ImageFormat = Field(DEFAULT_FORMAT, description="Output encoding")
    quality: int = Field(DEFAULT_QUALITY, ge=1, le=100, description="JPEG/WebP quality")
    marker: Marker | None = Field(None, description="The click marker; none when absent")

    @field_validator("width", mode="before")
    @classmethod
    def _width(cls, value: Any) -> Any:
        if value is None:
            return None
        given = value
        if isinstance(value, str) and (match := _WHOLE.match(value)):
            value = int(match[1])
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _custom("width", "expected a whole number of pixels, got {got}", got=shown(given))
        if not 1 <= value <= MAX_WIDTH:
            raise _custom(
                "width", "expected a width between 1 and {max}, got {got}",
                max=MAX_WIDTH, got=shown(value),
            )
        return value

    @field_validator("format", mode="before")
    @classmethod
    def _format(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            return "jpeg" if value == "jpg" else value
        return value


class Image(ImageSettings):
    """One step's screenshot and how to render it, in cloudimg's terms."""

    src: str = Field(description="Path relative to the guide file, or an http(s) URL")
    origin: str | None = Field(
        None, description="Where the screenshot came from (kept for reference)"
    )
    crop: Crop | None = Field(
        None,
        description="[x1, y1, x2, y2] in source pixels, x2/y2 exclusive; null = the image edge",
    )
    params: dict[str, str] = Field(
        default_factory=dict, description="cloudimg parameters guidesmith does not implement"
    )
    redact: list[Redaction] = Field(
        default_factory=list,
        description="Regions hidden before anything else (crop, resize) is done; `redact: []`"
        " says the screenshot shows no secret",
    )
    highlight: list[Highlight] = Field(
        default_factory=list, description="Rounded outlines around elements"
    )
    arrow: list[Arrow] = Field(default_factory=list, description="Arrows pointing at elements")
    label: list[Label] = Field(default_factory=list, description="Numbered badges")
    zoom: Zoom | None = Field(
        None,
        description="A magnified inset of the click region: a factor, or {box, factor}",
        json_schema_extra=_zoom_schema,
    )

    @model_validator(mode="before")
    @classmethod
    def _from_url(cls, data: Any) -> Any:
        if isinstance(data, str):
            try:
                return parse_image_url(data)
            except CloudimgError as exc:
                raise _custom("cloudimg", "{problem}", problem=str(exc)) from None
        return data

    @field_validator("src", mode="after")
    @classmethod
    def _src(cls, value: str) -> str:
        return _not_blank(value)

    @field_validator("crop", mode="before")
    @classmethod
    def _crop(cls, value: Any) -> Any:
        if value is None:
            return None
        if not _integers(value, 4, none=True):
            raise _custom("crop", "expected 4 integers [x1, y1, x2, y2]")
        x1, y1, x2, y2 = value
        for low, high, a, b in ((x1, x2, "x1", "x2"), (y1, y2, "y1", "y2")):
            if low is not None and high is not None and high <= low:
                raise _custom(
                    "crop", "empty crop box: {b} ({high}) must be greater than {a} ({low})",
                    a=a, b=b, low=low, high=high,
                )
        return tuple(value)

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


# --- capture: how `guidesmith capture` takes a step's screenshot from the live product -----

ColorScheme = Literal["light", "dark"]
CAPTURE_CROPS = ("viewport", "page")
# `${NAME}`: a value read from the environment at capture time and written nowhere.
SECRET = re.compile(r"\$\{([^{}]*)\}")
_SECRET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _selector(value: Any) -> Any:
    if not isinstance(value, str) or not value.strip():
        raise _custom("selector", "expected a selector (CSS, text=..., role=...), got {got}",
                      got=shown(value))
    return value.strip()


def _selectors(value: Any) -> Any:
    """One selector or a list of them: `redact: "#token"` is `redact: ["#token"]`."""
    return [value] if isinstance(value, str) else value


def _keys(value: Any) -> Any:
    """One key or a list of them: `press: Enter` is `press: [Enter]`."""
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not all(
        isinstance(key, str) and key.strip() for key in value
    ):
        raise _custom("press", "expected a key like 'Enter', or a list of keys, got {got}",
                      got=shown(value))
    return [key.strip() for key in value]


def _with_secrets(value: Any) -> Any:
    """A value to type or choose; each `${NAME}` in it must name an environment variable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)  # `fill: {"#age": 42}` types "42"
    if not isinstance(value, str):
        raise _custom("value", "expected text, got {got}", got=shown(value))
    for match in SECRET.finditer(value):
        if not _SECRET_NAME.fullmatch(match[1]):
            raise _custom(
                "secret", "'${{{name}}}' is not an environment variable name (letters, digits"
                " and _, not starting with a digit)", name=match[1],
            )
    return value


Selector = Annotated[str, BeforeValidator(_selector),
                     Field(description="A Playwright selector: CSS, text=..., role=...")]
_ONE_OR_MANY = WithJsonSchema({"anyOf": [
    {"type": "string"}, {"type": "array", "items": {"type": "string"}},
]})
Keys = Annotated[list[str], BeforeValidator(_keys), _ONE_OR_MANY]
Selectors = Annotated[
    list[Selector], BeforeValidator(_selectors), _ONE_OR_MANY,
]
SecretValue = Annotated[str, BeforeValidator(_with_secrets), WithJsonSchema({
    "anyOf": [{"type": "string"}, {"type": "number"}],
    "description": "Text; ${NAME} is read from the environment at capture time",
})]
def _one_element(value: Any) -> Any:
    if isinstance(value, dict) and len(value) != 1:
        raise _custom("one", "expected one {{selector: value}}, got {count}: a step acts on one"
                      " element; split the others into steps", count=len(value))
    return value


OneElement = Annotated[
    dict[Selector, SecretValue],
    BeforeValidator(_one_element),
    WithJsonSchema({
        "type": "object", "minProperties": 1, "maxProperties": 1,
        "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "number"}]},
        "description": "{selector: value}: one element",
    }),
]


class CaptureSettings(BaseModel):
    """The guide's `capture:`: where `guidesmith capture` opens the product, and how."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(description="The product's address: the base of every relative `goto`")
    viewport: tuple[int, int] = Field(
        (1280, 800), description="The browser window's [width, height] in CSS pixels"
    )
    scale: float = Field(
        1, ge=1, le=4,
        description="Device pixel ratio: screenshots are viewport x scale pixels",
    )
    color_scheme: ColorScheme = Field("light", description="The colour scheme the page sees")
    locale: str = Field("en-US", description="The browser's language, e.g. en-GB")
    timeout: float = Field(
        5, gt=0, le=120,
        description="Seconds a selector may take to appear before the capture fails",
    )
    margin: int = Field(
        16, ge=0, le=400,
        description="CSS pixels kept around an element named by a step's `crop`",
    )

    @field_validator("url", mode="after")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip()
        if not re.match(r"^https?://[^/\s]+", value):
            raise _custom("url", "expected an http(s) URL, got {got}", got=shown(value))
        return value

    @field_validator("viewport", mode="before")
    @classmethod
    def _viewport(cls, value: Any) -> Any:
        if not _integers(value, 2) or not all(200 <= v <= 4000 for v in value):
            raise _custom("viewport", "expected [width, height], each 200 to 4000 CSS pixels,"
                          " got {got}", got=shown(value))
        return tuple(value)

    @field_validator("color_scheme", mode="before")
    @classmethod
    def _scheme(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


class StepCapture(BaseModel):
    """A step's `capture:`: preparation, then the screenshot, then the action on one element.

    Preparation runs in this order: goto, wait_for, hover, press, scroll_to. The marker goes
    on the centre of the element of click, fill, select or check (at most one of them),
    which is then acted on, so the next step sees the result.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    goto: str | None = Field(None, description="A path under the guide's url, or a URL")
    wait_for: Selectors = Field(
        default_factory=list, description="Selectors to wait for (visible) before the screenshot"
    )
    hover: Selector | None = Field(None, description="An element to hover before the screenshot")
    press: Keys = Field(
        default_factory=list,
        description="Keys to press before the screenshot, e.g. Escape or Control+A",
    )
    scroll_to: Selector | None = Field(
        None, description="An element to scroll into view before the screenshot"
    )
    click: Selector | None = Field(None, description="The element to click: the marker's place")
    fill: OneElement | None = Field(None, description="{selector: text} to type into a field")
    select: OneElement | None = Field(
        None, description="{selector: option} to choose in a <select>, by value or label"
    )
    check: Selector | None = Field(None, description="A checkbox or radio button to tick")
    redact: Selectors = Field(
        default_factory=list, description="Elements hidden in the screenshot (and its source)"
    )
    highlight: Selectors = Field(
        default_factory=list, description="Elements outlined in the screenshot"
    )
    crop: str = Field(
        "viewport",
        description="viewport (the window), page (the whole page) or a selector (that"
        " element and the guide's capture margin)",
    )

    @field_validator("goto", mode="after")
    @classmethod
    def _goto(cls, value: str | None) -> str | None:
        return None if value is None else _not_blank(value.strip())

    @field_validator("crop", mode="before")
    @classmethod
    def _crop(cls, value: Any) -> Any:
        return _selector(value)

    @model_validator(mode="after")
    def _one_action(self) -> StepCapture:
        actions = [name for name in ACTIONS if getattr(self, name) is not None]
        if len(actions) > 1:
            raise _custom(
                "action", "a step acts on one element: {names} together; split them into steps",
                names=" and ".join(actions),
            )
        return self

    @property
    def action(self) -> tuple[str, str, str | None] | None:
        """(kind, selector, value) of the element the reader acts on, or None."""
        for name in ACTIONS:
            target = getattr(self, name)
            if isinstance(target, dict):
                (selector, value), = target.items()
                return name, selector, value
            if target is not None:
                return name, target, None
        return None


ACTIONS = ("click", "fill", "select", "check")


class Step(BaseModel):
    """A numbered step: Markdown text, an optional screenshot and callouts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(description="Inline Markdown; [[Key]] renders as a keyboard key")
    image: Image | None = Field(None, description="A mapping, or a whole cloudimg URL")
    capture: StepCapture | None = Field(
        None, description="How `guidesmith capture` takes this step's screenshot"
    )
    tip: str | None = Field(None, description="A tip callout under the step (Markdown)")
    alert: str | None = Field(None, description="A warning callout under the step (Markdown)")

    @model_validator(mode="after")
    def _image_or_capture(self) -> Step:
        if self.image is not None and self.capture is not None:
            raise _custom("capture", "a step has `image` or `capture`, not both: `guidesmith"
                          " capture` makes the screenshot of a step with `capture`")
        return self


class Section(BaseModel):
    """A heading between steps; step numbering continues across it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    section: str = Field(description="The heading text")


def _item_kind(value: Any) -> str:
    if isinstance(value, dict) and "section" in value:
        return "section"
    if isinstance(value, Section):
        return "section"
    return "step"


Item = Annotated[
    Annotated[Step, Tag("step")] | Annotated[Section, Tag("section")],
    Discriminator(_item_kind),
]


class Guide(BaseModel):
    """A whole guide, as authored in guides/X.yml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(description="The guide's title")
    description: str | None = Field(None, description="Markdown paragraph under the title")
    source: str | None = Field(None, description="Link to the original guide (e.g. in Scribe)")
    order: int | None = Field(None, description="Position in the series")
    chapter: str | None = Field(None, description="Groups guides in the navigation and the handout")
    lang: Language | None = Field(
        None,
        description="The guide's language (BCP 47, e.g. 'es', 'pt-BR'), when it is not the"
        " site's `theme.language`: screen readers read it in that language",
    )
    image_defaults: ImageSettings | None = Field(
        None, description="Merged under every step's image"
    )
    capture: CaptureSettings | None = Field(
        None, description="How `guidesmith capture` opens the product for this guide's steps"
    )
    steps: list[Item] = Field(min_length=1, description="Steps and section headings, in order")

    @field_validator("title", mode="after")
    @classmethod
    def _title_not_blank(cls, value: str) -> str:
        return _not_blank(value)

    @model_validator(mode="after")
    def _apply_image_defaults(self) -> Guide:
        if self.image_defaults is None:
            return self
        steps = [
            item.model_copy(update={"image": merge_image(self.image_defaults, item.image)})
            if isinstance(item, Step) and item.image is not None
            else item
            for item in self.steps
        ]
        object.__setattr__(self, "steps", steps)
        return self

    def numbered_steps(self) -> list[tuple[int, Step]]:
        """Steps with their 1-based numbers; sections are not counted."""
        return [(number, step) for _, number, step in self.indexed_steps()]

    def indexed_steps(self) -> list[tuple[int, int, Step]]:
        """(index in `steps`, step number, step): the index locates it in the YAML."""
        steps = [(i, item) for i, item in enumerate(self.steps) if isinstance(item, Step)]
        return [(index, number, step) for number, (index, step) in enumerate(steps, start=1)]


def merge_image(defaults: ImageSettings, image: Image) -> Image:
    """`image` with every field it does not set taken from `defaults` (markers deep-merged)."""
    update: dict[str, Any] = {
        name: getattr(defaults, name)
        for name in defaults.model_fields_set
        if name not in image.model_fields_set and name != "marker"
    }
    if defaults.marker is not None and "marker" in defaults.model_fields_set:
        if image.marker is None:
            # A step whose image says nothing of the marker gets the default one; a step
            # that sets `marker: null` explicitly opts out.
            if "marker" not in image.model_fields_set:
                update["marker"] = defaults.marker
        else:
            inherited = {
                name: getattr(defaults.marker, name)
                for name in defaults.marker.model_fields_set
                if name not in image.marker.model_fields_set
            }
            update["marker"] = image.marker.model_copy(update=inherited)
    return image.model_copy(update=update)
