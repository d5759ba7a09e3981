"""A guide file -> a validated Guide, or every problem of the file at once."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from generator.errors import GuideError, GuideErrors, display_path
from generator.model import Guide, Image, ImageSettings, Marker, Section, Step
from generator.yamlsource import YamlProblem, key_position, load_yaml, locate

MAX_GUIDE_BYTES = 2 * 1024 * 1024
# pydantic's union tags and wrapper names: they are in `loc` but not in the YAML.
_NOT_IN_YAML = {"step", "section", "function-before[_from_url()]", "function-after"}
# The model that a loc segment's mapping is validated against, for "expected one of".
_MODEL_FOR_KEY: dict[str, type[BaseModel]] = {
    "image": Image,
    "image_defaults": ImageSettings,
    "marker": Marker,
}


@dataclass(frozen=True)
class LoadedGuide:
    """A guide with what the rest of the pipeline needs to know about its file."""

    guide: Guide
    path: Path
    slug: str
    display: str
    node: Any = None
    warnings: list[GuideError] = field(default_factory=list)

    @property
    def base_dir(self) -> Path:
        return self.path.parent


def format_loc(loc: tuple[int | str, ...]) -> str:
    """('steps', 3, 'image', 'crop') -> 'steps[3].image.crop'."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def _clean_loc(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    return tuple(p for p in loc if not (isinstance(p, str) and p in _NOT_IN_YAML))


def _expected_model(loc: tuple[int | str, ...]) -> type[BaseModel]:
    parents = [p for p in loc[:-1] if isinstance(p, str)]
    if not parents:
        return Guide
    if parents[-1] == "steps" or (parents[-1:] == ["steps"]):
        return Step
    return _MODEL_FOR_KEY.get(parents[-1], Step)


def _message(error: ErrorDetails, loc: tuple[int | str, ...], data: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        model = _expected_model(loc)
        if model is Step and isinstance(loc[-2] if len(loc) > 1 else None, int):
            item = _item(data, loc)
            if isinstance(item, dict) and "section" in item:
                model = Section
        allowed = list(model.model_fields)
        hint = difflib.get_close_matches(key, allowed, n=1)
        did_you_mean = f"; did you mean '{hint[0]}'?" if hint else ""
        return f"unknown key '{key}' (expected one of: {', '.join(allowed)}){did_you_mean}"
    if kind == "missing":
        return f"required key '{loc[-1]}' is missing"
    if kind == "literal_error":
        return f"{error['msg'].replace('Input should be', 'expected')}, got {error['input']!r}"
    if kind.startswith(("int_", "float_", "string_", "bool_", "list_", "tuple_", "dict_", "model_")):
        got = type(error["input"]).__name__
        got = {"NoneType": "nothing", "dict": "a mapping", "list": "a list", "str": "text"}.get(got, got)
        return f"{error['msg'].replace('Input should be', 'expected')} (got {got})"
    return error["msg"].replace("Input should be", "expected").replace("Value error, ", "")


def _item(data: Any, loc: tuple[int | str, ...]) -> Any:
    current = data
    for part in loc[:-1]:
        try:
            current = current[part]
        except (KeyError, IndexError, TypeError):
            return None
    return current


def _errors_from_validation(
    exc: ValidationError, display: str, node: Any, data: Any
) -> list[GuideError]:
    problems = []
    for error in exc.errors(include_url=False):
        loc = _clean_loc(error["loc"])
        if error["type"] == "missing" and loc:
            line, col = locate(node, loc[:-1])
        elif error["type"] == "extra_forbidden":
            line, col = key_position(node, loc)
        else:
            line, col = locate(node, loc)
        where = loc[:-1] if error["type"] == "missing" else loc
        problems.append(
            GuideError(display, _message(error, loc, data), line, col, format_loc(where))
        )
    return problems


def read_text(path: Path, display: str) -> str:
    """The file's text, refusing what is too big or not UTF-8."""
    try:
        size = path.stat().st_size
        if size > MAX_GUIDE_BYTES:
            raise GuideErrors(
                [GuideError(display, f"file is too large ({size:,} bytes; the limit is {MAX_GUIDE_BYTES:,})")]
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise GuideErrors([GuideError(display, f"cannot read the file: {exc.strerror}")]) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise GuideErrors(
            [GuideError(display, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8", line, col)]
        ) from None


def _unknown_param_warnings(guide: Guide, display: str, node: Any) -> list[GuideError]:
    warnings = []
    seen: set[str] = set()
    for index, item in enumerate(guide.steps):
        if isinstance(item, Step) and item.image is not None and item.image.params:
            new = [k for k in item.image.params if k not in seen]
            seen.update(new)
            if new:
                line, col = locate(node, ("steps", index, "image"))
                names = ", ".join(f"{k}={item.image.params[k]}" for k in new)
                warnings.append(
                    GuideError(
                        display,
                        f"cloudimg parameter(s) not supported, kept but not applied: {names}",
                        line, col, format_loc(("steps", index, "image")), "warning",
                    )
                )
    return warnings


def slug_of(path: Path) -> str:
    """The guide's URL slug: its file name without `.yml`."""
    return path.name.removesuffix(".yml").removesuffix(".yaml")


def load_guide(path: Path, root: Path | None = None) -> LoadedGuide:
    """Load and validate one guide; raise GuideErrors with every problem found."""
    display = display_path(path, root)
    text = read_text(path, display)
    try:
        data, node = load_yaml(text)
    except YamlProblem as exc:
        raise GuideErrors([GuideError(display, exc.message, exc.line, exc.col)]) from None
    if data is None:
        raise GuideErrors([GuideError(display, "the file is empty; a guide needs a title and steps")])
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else type(data).__name__
        raise GuideErrors(
            [GuideError(display, f"expected a mapping with 'title' and 'steps' at the top level, got {kind}", 1, 1)]
        )
    try:
        guide = Guide.model_validate(data)
    except ValidationError as exc:
        raise GuideErrors(_errors_from_validation(exc, display, node, data)) from None
    except RecursionError:
        raise GuideErrors([GuideError(display, "the document is nested too deeply")]) from None
    return LoadedGuide(
        guide, path, slug_of(path), display, node, _unknown_param_warnings(guide, display, node)
    )
