"""The guide format (v1) as pydantic models: plain data, no I/O.

The JSON Schema that editors use is derived from these classes, so the format is declared
once, here. Shorthand forms (an image given as a cloudimg URL, a pad given as one value) are
normalised in `mode="before"` validators so the rest of the code sees one shape.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

Gravity = Literal[
    "north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest", "center"
]
ImageFormat = Literal["jpeg", "png", "webp"]
EXTENSIONS: dict[str, str] = {"jpeg": "jpg", "png": "png", "webp": "webp"}
DEFAULT_MARKER_SRC = "builtin:circle#FB923C"
MAX_WIDTH = 10000

_LENGTH = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(p?)\s*$")


class Length(BaseModel):
    """A signed distance: output pixels, or a percentage of the output size (`5p`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float
    percent: bool = False

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, bool):
            raise PydanticCustomError("length", "expected a number or a percentage like '5p'")
        if isinstance(data, int | float):
            return {"value": data}
        if isinstance(data, str):
            match = _LENGTH.match(data)
            if not match:
                raise PydanticCustomError(
                    "length", "expected a number or a percentage like '5p', got {value!r}",
                    {"value": data},
                )
            return {"value": float(match[1]), "percent": bool(match[2])}
        return data

    def resolve(self, total: int) -> int:
        """Pixels for an output of `total` pixels along this axis."""
        return round(self.value * total / 100) if self.percent else round(self.value)

    def __str__(self) -> str:
        number = int(self.value) if self.value == int(self.value) else self.value
        return f"{number}p" if self.percent else str(number)


class Marker(BaseModel):
    """The click marker (cloudimg's watermark), placed on the resized image."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    src: str = Field(DEFAULT_MARKER_SRC, description="Marker image: path, http(s) URL or builtin:circle#RRGGBB")
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
        if isinstance(value, int | float | str) and not isinstance(value, bool):
            return (value, value)
        return value


class ImageSettings(BaseModel):
    """Rendering settings shared by `image_defaults` and each step's image."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    width: int | None = Field(None, description="Output width in pixels; height keeps the aspect ratio")
    format: ImageFormat = Field("jpeg", description="Output encoding")
    quality: int = Field(90, ge=1, le=100, description="JPEG/WebP quality")
    marker: Marker | None = Field(None, description="The click marker; none when absent")

    @field_validator("width", mode="before")
    @classmethod
    def _width(cls, value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and re.fullmatch(r"\d+(\.0+)?", value.strip()):
            value = int(float(value))
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise PydanticCustomError("width", "expected a whole number of pixels")
        if not 1 <= value <= MAX_WIDTH:
            raise PydanticCustomError(
                "width", "expected a width between 1 and {max}, got {value}",
                {"max": MAX_WIDTH, "value": value},
            )
        return value

    @field_validator("format", mode="before")
    @classmethod
    def _format(cls, value: Any) -> Any:
        return "jpeg" if isinstance(value, str) and value.lower() == "jpg" else value


Crop = tuple[int | None, int | None, int | None, int | None]


class Image(ImageSettings):
    """One step's screenshot and how to render it, in cloudimg's terms."""

    src: str = Field(description="Path relative to the guide file, or an http(s) URL")
    origin: str | None = Field(None, description="Where the screenshot came from (kept for reference)")
    crop: Crop | None = Field(
        None,
        description="[x1, y1, x2, y2] in source pixels, x2/y2 exclusive; null = the image edge",
    )
    params: dict[str, str] = Field(
        default_factory=dict, description="cloudimg parameters guidesmith does not implement"
    )

    @model_validator(mode="before")
    @classmethod
    def _from_url(cls, data: Any) -> Any:
        if isinstance(data, str):
            from generator.cloudimg import CloudimgError, parse_image_url

            try:
                return parse_image_url(data)
            except CloudimgError as exc:
                raise PydanticCustomError("cloudimg", "{problem}", {"problem": str(exc)}) from None
        return data

    @field_validator("crop", mode="before")
    @classmethod
    def _crop(cls, value: Any) -> Any:
        if value is None:
            return None
        ok = (
            isinstance(value, list | tuple)
            and len(value) == 4
            and all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in value)
        )
        if not ok:
            raise PydanticCustomError("crop", "expected 4 integers [x1, y1, x2, y2]")
        x1, y1, x2, y2 = value
        if x1 is not None and x2 is not None and x2 <= x1:
            raise PydanticCustomError("crop", "empty crop box: x2 ({x2}) must be greater than x1 ({x1})", {"x1": x1, "x2": x2})
        if y1 is not None and y2 is not None and y2 <= y1:
            raise PydanticCustomError("crop", "empty crop box: y2 ({y2}) must be greater than y1 ({y1})", {"y1": y1, "y2": y2})
        return tuple(value)

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


class Step(BaseModel):
    """A numbered step: Markdown text, an optional screenshot and callouts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(description="Inline Markdown; [[Key]] renders as a keyboard key")
    image: Image | None = Field(None, description="A mapping, or a whole cloudimg URL")
    tip: str | None = Field(None, description="A tip callout under the step (Markdown)")
    alert: str | None = Field(None, description="A warning callout under the step (Markdown)")


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
    image_defaults: ImageSettings | None = Field(
        None, description="Merged under every step's image"
    )
    steps: list[Item] = Field(min_length=1, description="Steps and section headings, in order")

    @field_validator("title", mode="after")
    @classmethod
    def _title_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("blank", "must not be empty")
        return value

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
