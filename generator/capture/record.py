"""The capture record: what `guidesmith capture` measured, kept beside the screenshots.

`guides/assets/<slug>/capture.yml` says, for each captured step, which screenshot it took,
on which page, with which script, and where the click point, the crop and the redaction and
highlight boxes are, in source pixels. Only `guidesmith capture` writes it, so the author's
guide is never rewritten (no comment or blank line of it is lost); it is reviewed in Git
with the screenshots, and a changed layout shows in its diff as moved numbers.

The loader merges each step's record into the step's image (`merge_shots`), under the
guide's `image_defaults`, so `build` renders a captured step like any other: no browser.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from generator.errors import GuideError, GuideErrors, format_loc
from generator.model import (
    SECRET,
    Box,
    ColorScheme,
    Guide,
    Highlight,
    Image,
    Marker,
    Point,
    Redaction,
    StepCapture,
    merge_image,
)
from generator.yamlsource import YamlProblem, load_yaml, locate
from generator.yamlwriter import Flow, FlowMap, dump_yaml

RECORD_NAME = "capture.yml"
RECORD_VERSION = 1
_HEADER = """\
# Written by `guidesmith capture` from the guide {guide}: review it with
# the screenshots beside it; do not edit it. Points [x, y] and boxes [x1, y1, x2, y2] are
# in source pixels (CSS pixels x scale).
"""


class Shot(BaseModel):
    """One captured step: its screenshot and the geometry measured on the page."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    step: int = Field(ge=1, description="The step's number, as readers see it")
    file: str = Field(pattern=r"^\d{2,}\.png$", description="The screenshot, beside this file")
    url: str = Field(description="The page it was taken on, relative to the guide's url")
    script: dict[str, Any] = Field(description="The step's `capture:` it was taken with")
    click: Point | None = Field(None, description="The marker's centre: the acted-on element's")
    crop: Box | None = Field(None, description="The element named by `crop`, with the margin")
    redact: list[Box] = Field(default_factory=list)
    highlight: list[Box] = Field(default_factory=list)


class Record(BaseModel):
    """A guide's capture record: the settings it was taken with and every shot."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = RECORD_VERSION
    guide: str
    viewport: tuple[int, int]
    scale: float
    color_scheme: ColorScheme
    locale: str
    shots: list[Shot] = Field(default_factory=list)

    def shot(self, number: int) -> Shot | None:
        return next((shot for shot in self.shots if shot.step == number), None)


def record_path(guide_path: Path, slug: str) -> Path:
    """Where a guide's screenshots and record live: guides/assets/<slug>/."""
    return guide_path.parent / "assets" / slug / RECORD_NAME


def shot_file(number: int) -> str:
    """The screenshot of step `number`: 01.png, 02.png, ..."""
    return f"{number:02d}.png"


def script_of(capture: StepCapture) -> dict[str, Any]:
    """A step's `capture:` as plain data, defaults left out: what the record compares."""
    return capture.model_dump(mode="json", exclude_defaults=True)


def read_record(path: Path, display: str) -> Record | None:
    """The record at `path`, None when there is none; GuideErrors (file:line:col) when it
    is damaged, e.g. by a merge conflict."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise GuideErrors([GuideError(display, f"cannot read the capture record: {exc}")]) from None
    again = "; run `guidesmith capture` to write it again"
    try:
        data, node = load_yaml(text)
    except YamlProblem as exc:
        raise GuideErrors([GuideError(display, exc.message + again, exc.line, exc.col)]) from None
    try:
        return Record.model_validate(data)
    except ValidationError as exc:
        errors = []
        for error in exc.errors(include_url=False):
            line, col = locate(node, error["loc"])
            message = error["msg"].removeprefix("Value error, ") + again
            errors.append(GuideError(display, message, line, col, format_loc(error["loc"])))
        raise GuideErrors(errors) from None


def record_text(record: Record, guide_name: str) -> str:
    """The record as written: the same record always gives the same bytes."""
    data: dict[str, Any] = {
        "version": record.version,
        "guide": record.guide,
        "viewport": Flow(record.viewport),
        "scale": _number(record.scale),
        "color_scheme": record.color_scheme,
        "locale": record.locale,
        "shots": [_shot_data(shot) for shot in record.shots],
    }
    return _HEADER.format(guide=guide_name) + dump_yaml(data)


def _shot_data(shot: Shot) -> dict[str, Any]:
    data: dict[str, Any] = {
        "step": shot.step, "file": shot.file, "url": shot.url, "script": FlowMap(shot.script),
    }
    if shot.click is not None:
        data["click"] = Flow(shot.click)
    if shot.crop is not None:
        data["crop"] = Flow(shot.crop)
    for name in ("redact", "highlight"):
        if boxes := getattr(shot, name):
            data[name] = [Flow(box) for box in boxes]
    return data


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def shot_image(
    src: str, shot: Shot | None, source_size: tuple[int, int], typed_secret: bool = False
) -> Image:
    """A captured step's image: its screenshot and its geometry (before `image_defaults`).

    Without a shot (never captured) the image names the file it will have, sized as the
    capture will be, so `--placeholders` draws a stand-in of the right shape. `redact` is
    said, even empty, when the capture took care of secrets (it typed a `${NAME}` value, or
    hid one): the build's "no redaction" hint is for screenshots nobody checked.
    """
    if shot is None:
        return Image(src=src, crop=(0, 0, *source_size), marker=None, redact=[])
    fields: dict[str, Any] = {}
    if shot.redact or typed_secret:
        fields["redact"] = [Redaction(box=box) for box in shot.redact]
    return Image(
        src=src,
        crop=shot.crop,
        marker=Marker(click=shot.click) if shot.click is not None else None,
        highlight=[Highlight(box=box) for box in shot.highlight],
        **fields,
    )


def settings_changes(guide: Guide, record: Record) -> list[str]:
    """What the guide's capture settings say now that the record was not taken with."""
    settings = guide.capture
    if settings is None:
        return []
    changes = []
    for name in ("viewport", "scale", "color_scheme", "locale"):
        now, then = getattr(settings, name), getattr(record, name)
        if now != then:
            changes.append(f"{name} {_shown(then)} -> {_shown(now)}")
    return changes


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(str(_number(v)) for v in value) + "]"
    return str(_number(value)) if isinstance(value, float) else str(value)


def merge_shots(
    guide: Guide, slug: str, record: Record | None
) -> tuple[Guide, list[tuple[int, int]], list[tuple[int, int, str]]]:
    """The guide with each captured step's image made from its shot.

    Returns the guide, the (index, number) of the steps never captured, and the (index,
    number, message) of the steps whose shot was taken with another script than the step's.
    """
    settings = guide.capture
    if settings is None:
        return guide, [], []
    size = (round(settings.viewport[0] * settings.scale),
            round(settings.viewport[1] * settings.scale))
    uncaptured: list[tuple[int, int]] = []
    stale: list[tuple[int, int, str]] = []
    steps = list(guide.steps)
    for index, number, step in guide.indexed_steps():
        if step.capture is None:
            continue
        shot = record.shot(number) if record is not None else None
        if shot is None:
            uncaptured.append((index, number))
        elif shot.script != script_of(step.capture):
            stale.append((index, number, f"the screenshot was taken with `capture: "
                          f"{_flow(shot.script)}`, the step now says `capture: "
                          f"{_flow(script_of(step.capture))}`"))
        action = step.capture.action
        typed_secret = action is not None and bool(SECRET.search(action[2] or ""))
        image = shot_image(f"assets/{slug}/{shot_file(number)}", shot, size, typed_secret)
        if guide.image_defaults is not None:
            image = merge_image(guide.image_defaults, image)
        steps[index] = step.model_copy(update={"image": image})
    return guide.model_copy(update={"steps": steps}), uncaptured, stale


def _flow(data: dict[str, Any]) -> str:
    """A script on one line, as the record writes it."""
    return dump_yaml(FlowMap(data)).strip()


def uncaptured_steps(missing: list[GuideError], placeholders: bool) -> list[GuideError]:
    """What a build says of captured steps never captured (the loader's `uncaptured`):
    errors, raised together; with placeholders, the same as warnings (the image stage then
    says of each step that a placeholder stands in)."""
    if missing and not placeholders:
        raise GuideErrors(missing)
    return [GuideError(error.path, error.message.removesuffix(", or build with --placeholders"),
                       error.line, error.col, error.loc, "warning") for error in missing]
