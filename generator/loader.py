"""A guide file -> a validated Guide, or every problem of the file at once."""

from __future__ import annotations

import contextlib
import difflib
import json
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from yaml.nodes import Node, ScalarNode

from generator.cache import PARSED, Store, key
from generator.capture.record import merge_shots, read_record, record_path, settings_changes
from generator.errors import GuideError, GuideErrors, display_path, format_loc
from generator.model import Guide, Section, Step, shown
from generator.yamlsource import (
    YamlProblem,
    key_position,
    load_yaml,
    locate,
    locate_in,
    node_at,
    path_key,
    positions,
)

MAX_GUIDE_BYTES = 2 * 1024 * 1024
# The cloudimg parameter an image field comes from, for images written as a URL.
_CLOUDIMG_PARAM: dict[tuple[str, ...], str] = {
    ("width",): "width",
    ("format",): "force_format",
    ("quality",): "q",
    ("crop",): "tl_px/br_px",
    ("marker", "src"): "wat_url",
    ("marker", "opacity"): "wat_opacity",
    ("marker", "gravity"): "wat_gravity",
    ("marker", "pad"): "wat_pad",
    ("marker", "scale"): "wat_scale",
}
_KINDS = {
    "string": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "list": "a list",
    "tuple": "a list",
    "dict": "a mapping",
}


@dataclass(frozen=True)
class LoadedGuide:
    """A guide with what the rest of the pipeline needs to know about its file."""

    guide: Guide
    path: Path
    slug: str
    display: str
    text: str = field(default="", repr=False)
    warnings: list[GuideError] = field(default_factory=list)
    # Where each value is written (yamlsource.positions), kept with the parsed data.
    positions: dict[str, list[int]] | None = field(default=None, repr=False)
    # The capture record its captured steps' images come from (when there is one), and an
    # error for each captured step it has no shot of: the pipeline decides what they mean.
    record: Path | None = None
    uncaptured: list[GuideError] = field(default_factory=list)

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def locate(self, loc: tuple[int | str, ...]) -> tuple[int | None, int | None]:
        """The 1-based (line, col) of the value at `loc`, or of its nearest ancestor,
        without composing the YAML again when the positions were kept."""
        if self.positions is not None and (found := locate_in(self.positions, loc)):
            return found
        return locate(self.node, loc)

    def problem(
        self, loc: tuple[int | str, ...], message: str, severity: str = "error", *,
        step: int | None = None, cause: str = "", host: str = "",
    ) -> GuideError:
        """A problem of the value at `loc`, at the line it is written on, named as the author
        reads it: `steps[4].image.src (step 5)` when it is a numbered step's."""
        line, col = self.locate(loc)
        where = format_loc(loc) + (f" (step {step})" if step is not None else "")
        return GuideError(self.display, message, line, col, where, severity, cause, host)

    def written(self, loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
        """Where the value at `loc` is written: a field of a step's image that the step
        leaves out comes from `image_defaults` (model.merge_image), and a problem with it
        belongs on that line, said once, not on every step that inherits it."""
        if len(loc) <= 3 or loc[0] != "steps" or loc[2] != "image" or self._has(loc):
            return loc
        default = ("image_defaults", *loc[3:])
        # Only an image written as a mapping inherits (a cloudimg URL says it all itself).
        return default if self._has(default) and self._has((*loc[:3], "src")) else loc

    def _has(self, loc: tuple[int | str, ...]) -> bool:
        """Whether the file writes a value exactly at `loc`."""
        if self.positions is not None:
            return path_key(loc) in self.positions
        return node_at(self.node, loc) is not None

    @cached_property
    def node(self) -> Node | None:
        """The file's YAML node tree, for file:line:col; composed only when asked for."""
        try:
            return load_yaml(self.text)[1]
        except YamlProblem:
            return None




def _clean_loc(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """pydantic's `loc` without the union tag after a step's index (`steps, 3, 'step'`)."""
    return tuple(
        part
        for i, part in enumerate(loc)
        if not (
            part in ("step", "section")
            and i >= 2
            and isinstance(loc[i - 1], int)
            and loc[i - 2] == "steps"
        )
    )


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The first model class inside a field's type (`list[Item]` -> Step)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _model_at(loc: tuple[int | str, ...], data: Any) -> type[BaseModel]:
    """The model whose mapping holds the key at the end of `loc`."""
    model: type[BaseModel] = Guide
    for i, part in enumerate(loc[:-1]):
        if isinstance(part, int):
            continue
        field_info = model.model_fields.get(part)
        inner = _model_in(field_info.annotation) if field_info else None
        if inner is None:
            return model
        model = inner
        if model is Step:
            item = _value_at(data, loc[: i + 2])
            model = Section if isinstance(item, dict) and "section" in item else Step
    return model


def _value_at(data: Any, loc: tuple[int | str, ...]) -> Any:
    current = data
    for part in loc:
        try:
            current = current[part]
        except (KeyError, IndexError, TypeError):
            return None
    return current


def _got(value: Any, source: Node | None) -> str:
    """What the author wrote, as an error message shows it."""
    if isinstance(source, ScalarNode) and not isinstance(value, str) and source.value:
        # The YAML text, not what it became: `yes`, not True; `2024-01-01`, not a date.
        return source.value if len(source.value) <= 40 else source.value[:37] + "..."
    if value is None:
        return "nothing"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, bool):
        return "true" if value else "false"
    return shown(value)


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _range(loc: tuple[int | str, ...], data: Any) -> tuple[Any, Any]:
    """The (minimum, maximum) declared on the field at `loc`."""
    field_info = _model_at(loc, data).model_fields.get(str(loc[-1]))
    low = high = None
    for rule in field_info.metadata if field_info else ():
        low = getattr(rule, "ge", low)
        high = getattr(rule, "le", high)
    return low, high


def _unknown_key(loc: tuple[int | str, ...], data: Any) -> tuple[str, str | None]:
    key = str(loc[-1])
    model = _model_at(loc, data)
    if model is Section:
        return f"unknown key {key!r}: a section has only the key 'section'", None
    allowed = [info.alias or name for name, info in model.model_fields.items()]
    hint = difflib.get_close_matches(key, allowed, n=1)
    did_you_mean = f"; did you mean {hint[0]!r}?" if hint else ""
    return f"unknown key {key!r} (expected one of: {', '.join(allowed)}){did_you_mean}", (
        hint[0] if hint else None
    )


def _message(
    error: ErrorDetails, loc: tuple[int | str, ...], data: Any, source: Node | None
) -> str:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    got = _got(value, source)
    if kind == "missing" and loc:
        return f"required key {loc[-1]!r} is missing"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        hint = difflib.get_close_matches(str(value), choices, n=1) if choices else []
        did_you_mean = f"; did you mean {hint[0]!r}?" if hint else ""
        return f"expected one of: {', '.join(choices)}; got {got}{did_you_mean}"
    if kind == "model_type" or kind == "model_attributes_type":
        name = ctx.get("class_name")
        if name == "Step":
            return f"expected a step (a mapping with 'text') or a section, got {got}"
        if name == "Image":
            return f"expected a mapping with 'src', or an image URL, got {got}"
        return f"expected a mapping, got {got}"
    if kind == "too_short" and loc == ("steps",):
        return "a guide needs at least one step"
    if kind == "too_short":
        return f"expected at least {ctx.get('min_length')} items, got {ctx.get('actual_length')}"
    if kind == "too_long":
        return f"expected at most {ctx.get('max_length')} items, got {ctx.get('actual_length')}"
    if kind in ("greater_than_equal", "less_than_equal"):
        low, high = _range(loc, data)
        if low is not None and high is not None:
            return f"expected a number between {_number(low)} and {_number(high)}, got {got}"
        words, bound = ("at least", ctx.get("ge")) if "ge" in ctx else ("at most", ctx.get("le"))
        return f"expected a number {words} {_number(bound)}, got {got}"
    if kind == "invalid_key":
        return f"keys must be text, got {got}"
    base = kind.split("_", 1)[0]
    if kind.endswith(("_type", "_parsing", "_from_float")) and base in _KINDS:
        scalar = isinstance(source, ScalarNode) and value is not None
        quote = "; put it in quotes" if base == "string" and scalar else ""
        return f"expected {_KINDS[base]}, got {got}{quote}"
    message = error["msg"].removeprefix("Value error, ")
    return message.replace("Input should be", "expected")


def _cloudimg_param(loc: tuple[int | str, ...], node: Any) -> str | None:
    """The URL parameter behind `loc` when the step's image is written as a cloudimg URL."""
    if len(loc) < 4 or loc[0] != "steps" or loc[2] != "image":
        return None
    if not isinstance(node_at(node, loc[:3]), ScalarNode):
        return None
    return _CLOUDIMG_PARAM.get(tuple(str(p) for p in loc[3:5] if isinstance(p, str)))


def _errors_from_validation(
    exc: ValidationError, display: str, node: Any, data: Any
) -> list[GuideError]:
    problems: list[tuple[GuideError, tuple[int | str, ...] | None]] = []
    suggested: set[tuple[int | str, ...]] = set()
    for error in exc.errors(include_url=False):
        loc = _clean_loc(error["loc"])
        missing = None
        if error["type"] == "missing" and loc:
            line, col = locate(node, loc[:-1])
            where, missing = loc[:-1], loc
        elif error["type"] in ("extra_forbidden", "invalid_key") and loc:
            line, col = key_position(node, loc)
            where = loc
        else:
            line, col = locate(node, loc)
            where = loc
        if error["type"] == "extra_forbidden" and loc:
            message, hint = _unknown_key(loc, data)
            if hint:
                suggested.add((*loc[:-1], hint))
        else:
            message = _message(error, loc, data, node_at(node, loc))
            param = _cloudimg_param(loc, node)
            if param:
                message += f" (cloudimg parameter {param})"
        problems.append((GuideError(display, message, line, col, format_loc(where)), missing))
    # "unknown key 'titel' ...; did you mean 'title'?" already says that 'title' is missing.
    kept = [problem for problem, missing in problems if missing not in suggested]
    return sorted(kept, key=lambda p: (p.line or 0, p.col or 0))


def read_text(path: Path, display: str) -> str:
    """The file's text, refusing what is too big or not UTF-8 (before parsing anything)."""
    try:
        size = path.stat().st_size
        if size > MAX_GUIDE_BYTES:
            raise GuideErrors([GuideError(
                display, f"file is too large ({size:,} bytes; the limit is {MAX_GUIDE_BYTES:,})"
            )])
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise GuideErrors([GuideError(display, f"cannot read the file: {reason}")]) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        message = f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        raise GuideErrors([GuideError(display, message, line, col)]) from None


def _unknown_param_warnings(
    guide: Guide, display: str, loaded: LoadedGuide
) -> list[GuideError]:
    """One warning for each cloudimg parameter guidesmith keeps but does not apply."""
    warnings = []
    seen: set[str] = set()
    for index, item in enumerate(guide.steps):
        if not isinstance(item, Step) or item.image is None:
            continue
        for name, value in item.image.params.items():
            if name in seen:
                continue
            seen.add(name)
            line, col = loaded.locate(("steps", index, "image", "params", name))
            warnings.append(GuideError(
                display,
                f"cloudimg parameter {name}={value} is not supported: kept, not applied",
                line, col, format_loc(("steps", index, "image")), "warning",
            ))
    return warnings


def slug_of(path: Path) -> str:
    """The guide's URL slug: its file name without `.yml`."""
    return path.name.removesuffix(".yml").removesuffix(".yaml")


def _parsed(
    text: str, cache_root: Path | None
) -> tuple[Any, Node | None, dict[str, list[int]] | None, bool]:
    """The YAML data of `text` and where its values are written, from the cache when this
    very text was parsed before.

    Composing YAML with positions is the slow part of loading (pure Python); the data it
    yields is plain JSON for any guide, and so are the positions, so both are kept by the
    text's key. The node tree is composed again only when a message needs more than a
    position. Returns (data, node or None, positions or None, whether from the cache).
    """
    store = Store.of(cache_root, PARSED) if cache_root is not None else None
    entry_key = key(PARSED, text)
    if store is not None and (kept := store.read(entry_key, "parsed")) is not None:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            table = json.loads(kept)
            return table["data"], None, table["positions"], True
    data, node = load_yaml(text)
    table = positions(node)
    if store is not None:
        # Dates and the like are not JSON: such a file is simply parsed each time.
        with contextlib.suppress(TypeError, ValueError, OSError):
            store.put(entry_key, "parsed", json.dumps({"data": data, "positions": table},
                                                    ensure_ascii=False))
    return data, node, table, False


def load_guide(
    path: Path, root: Path | None = None, cache_root: Path | None = None, *,
    captures: bool = True,
) -> LoadedGuide:
    """Load and validate one guide; raise GuideErrors with every problem found.

    `cache_root`: the project's cache, where parsed YAML is kept by content (see `_parsed`).
    `captures`: give captured steps their images from the capture record (`guidesmith
    capture` itself loads the guide without, as it is about to write that record).
    """
    display = display_path(path, root)
    text = read_text(path, display)
    try:
        data, node, table, cached = _parsed(text, cache_root)
    except YamlProblem as exc:
        raise GuideErrors([GuideError(display, exc.message, exc.line, exc.col)]) from None
    if cached and not isinstance(data, dict):
        data, node = load_yaml(text)  # an odd document: let the checks below see its nodes
    if data is None:
        raise GuideErrors(
            [GuideError(display, "the file is empty; a guide needs a title and steps")]
        )
    if not isinstance(data, dict):
        got = _got(data, node)
        message = f"expected a mapping with 'title' and 'steps' at the top level, got {got}"
        raise GuideErrors([GuideError(display, message, 1, 1)])
    try:
        guide = Guide.model_validate(data)
    except ValidationError as exc:
        if node is None:
            node = load_yaml(text)[1]
        partial = _without_bad_steps(exc, data)
        if partial is not None:
            partial = _finish(LoadedGuide(partial, path, slug_of(path), display, text,
                                          positions=table), root, captures)
        raise GuideErrors(_errors_from_validation(exc, display, node, data), partial) from None
    loaded = _finish(LoadedGuide(guide, path, slug_of(path), display, text, positions=table),
                     root, captures, node)
    if problems := _capture_problems(loaded):
        raise GuideErrors(problems)
    return loaded


def _finish(
    loaded: LoadedGuide, root: Path | None, captures: bool, node: Node | None = None
) -> LoadedGuide:
    """A validated guide with its warnings and, when asked, its captured images."""
    if node is not None:
        loaded.__dict__["node"] = node  # already composed: keep it (see LoadedGuide.node)
    loaded.warnings.extend(_unknown_param_warnings(loaded.guide, loaded.display, loaded))
    return _with_captures(loaded, root) if captures else loaded


def _without_bad_steps(exc: ValidationError, data: dict[str, Any]) -> Guide | None:
    """The guide with each step that has an error replaced by a plain one, or None when an
    error is outside the steps (the title, `image_defaults`...): what still holds together,
    at the same indexes and step numbers, so its other steps' images can be checked too."""
    bad: set[int] = set()
    for error in exc.errors():
        loc = _clean_loc(error["loc"])
        if len(loc) < 2 or loc[0] != "steps" or not isinstance(loc[1], int):
            return None
        bad.add(loc[1])
    steps = list(data.get("steps") or [])
    for index in bad:
        item = steps[index] if index < len(steps) else None
        is_section = isinstance(item, dict) and "section" in item
        steps[index] = {"section": "-"} if is_section else {"text": "-"}
    try:
        return Guide.model_validate({**data, "steps": steps})
    except ValidationError:
        return None


def _capture_problems(loaded: LoadedGuide) -> list[GuideError]:
    """A step with `capture` in a guide without one: it has no page to be taken on."""
    if loaded.guide.capture is not None:
        return []
    return [
        _step_error(loaded, index, number, "a step with `capture` needs the guide's "
                    "`capture:` with the product's `url`")
        for index, number, step in loaded.guide.indexed_steps()
        if step.capture is not None
    ]


def _step_error(
    loaded: LoadedGuide, index: int, number: int, message: str, severity: str = "error"
) -> GuideError:
    return loaded.problem(("steps", index, "capture"), message, severity, step=number)


def _with_captures(loaded: LoadedGuide, root: Path | None) -> LoadedGuide:
    """The guide with each captured step's image made from the capture record.

    A step the record has no shot of is listed in `uncaptured`; one whose shot was taken
    with another script, or other capture settings, gets a warning.
    """
    if not any(step.capture is not None for _, step in loaded.guide.numbered_steps()):
        return loaded
    path = record_path(loaded.path, loaded.slug)
    record = read_record(path, display_path(path, root))
    guide, uncaptured, stale = merge_shots(loaded.guide, loaded.slug, record)
    again = f"run `guidesmith capture {loaded.display}`"
    warnings = list(loaded.warnings)
    if record is not None and (changes := settings_changes(guide, record)):
        line, col = loaded.locate(("capture",))
        warnings.append(GuideError(
            loaded.display, f"the screenshots were taken with other settings "
            f"({', '.join(changes)}): {again}", line, col, "capture", "warning"))
    warnings += [_step_error(loaded, index, number, f"{message}: {again}", "warning")
                 for index, number, message in stale]
    if record is None:  # never captured: one line says it for every step
        line, col = loaded.locate(("capture",))
        missing = [GuideError(loaded.display, f"never captured ({len(uncaptured)} step(s) with"
                              f" `capture:`): {again}, or build with --placeholders",
                              line, col, "capture")]
    else:
        missing = [_step_error(loaded, index, number, f"not captured yet: {again}")
                   for index, number in uncaptured]
    merged = replace(loaded, guide=guide, warnings=warnings,
                     record=path if record is not None else None, uncaptured=missing)
    if "node" in loaded.__dict__:
        merged.__dict__["node"] = loaded.__dict__["node"]
    return merged
