"""A Guide -> stable, readable YAML text, as an author would write it by hand.

Keys come in a fixed natural order, short lists (crop, pad) sit on one line, multi-line
text is a `|` block scalar, and a step's image says only what differs from
`image_defaults`. The same Guide always gives the same bytes, and the text loads back
(generator.loader.load_guide) to an equal Guide.
"""

from __future__ import annotations

from typing import Any

import yaml

from generator.model import Guide, Image, ImageSettings, Length, Marker, Section, Step, merge_image
from generator.schema import PROJECT_SCHEMA

# Guides live in guides/ beside mkdocs.yml, and the project keeps its copy of the schema in
# .guidesmith/ (written by `guidesmith init`, `new` and `import`): a relative reference
# works in every editor, offline, and always matches the installed guidesmith.
SCHEMA_URL = f"../{PROJECT_SCHEMA}"

_GUIDE_KEYS = ("description", "source", "order", "chapter")
_SETTINGS_KEYS = ("width", "format", "quality")
_MARKER_KEYS = ("src", "opacity", "gravity", "pad", "scale", "click")
# Long Markdown lines stay on one line: wrapping them would only make diffs noisy.
_NO_WRAP = 1 << 30


class _Flow(list[Any]):
    """A short list written on one line: `[90, 0, 2842, 1538]`."""


class _FlowMap(dict[str, Any]):
    """A short mapping written on one line: `{pad: [1059, -8]}`."""


class _Dumper(yaml.SafeDumper):
    """Block style with indented sequences, no anchors (the loader refuses them)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_flow(dumper: yaml.SafeDumper, value: _Flow) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_Dumper.add_representer(str, _represent_str)
def _represent_flow_map(dumper: yaml.SafeDumper, value: _FlowMap) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=True)


_Dumper.add_representer(_Flow, _represent_flow)
_Dumper.add_representer(_FlowMap, _represent_flow_map)
# Public names for other writers of guide-style YAML (the capture record).
Flow, FlowMap = _Flow, _FlowMap


def _length(length: Length) -> int | float | str:
    """1059, 12.5 or '5p': the way an author writes a Length."""
    if length.percent:
        return str(length)
    return int(length.value) if length.value.is_integer() else length.value


def _value(name: str, value: Any) -> Any:
    if name == "pad":
        return _Flow(_length(v) for v in value)
    if name == "scale":
        return _length(value)
    if name in ("crop", "click"):
        return _Flow(value)
    return value


def _marker_data(marker: Marker, reference: Marker, always: tuple[str, ...] = ()) -> dict[str, Any]:
    """The marker's fields that differ from `reference` (what the loader would fill in)."""
    return {
        name: _value(name, getattr(marker, name))
        for name in _MARKER_KEYS
        if name in always or getattr(marker, name) != getattr(reference, name)
    }


def settings_data(settings: ImageSettings) -> dict[str, Any]:
    """`image_defaults` as plain data: the fields that were set or differ from the defaults."""
    data: dict[str, Any] = {}
    for name in _SETTINGS_KEYS:
        value = getattr(settings, name)
        if name in settings.model_fields_set or value != ImageSettings.model_fields[name].default:
            data[name] = value
    if settings.marker is not None:
        marker = settings.marker
        data["marker"] = _marker_data(marker, Marker(), always=tuple(marker.model_fields_set))
    return data


def image_data(image: Image, defaults: ImageSettings | None) -> dict[str, Any]:
    """A step's image as plain data: src, crop, and whatever `defaults` would not fill in.

    `image` is the merged image (as in a loaded Guide), so each field is compared with what
    merging `defaults` under an image that says nothing would give.
    """
    bare = Image(src=image.src)
    base = merge_image(defaults, bare) if defaults is not None else bare
    data: dict[str, Any] = {"src": image.src}
    if image.origin is not None:
        data["origin"] = image.origin
    if image.crop is not None:
        data["crop"] = _value("crop", image.crop)
    for name in _SETTINGS_KEYS:
        value = getattr(image, name)
        if value != getattr(base, name):
            data[name] = value
    if image.marker is None:
        if base.marker is not None:
            data["marker"] = None
    else:
        reference = base.marker if base.marker is not None else Marker()
        marker = _marker_data(image.marker, reference, always=("pad",))
        # A step's marker is mostly just its pad: keep it on the step's line unless it names
        # its own marker image (a long URL).
        data["marker"] = marker if "src" in marker else _FlowMap(marker)
    if image.params:
        data["params"] = dict(image.params)
    return data


def _step_data(step: Step, defaults: ImageSettings | None) -> dict[str, Any]:
    data: dict[str, Any] = {"text": step.text}
    if step.tip is not None:
        data["tip"] = step.tip
    if step.alert is not None:
        data["alert"] = step.alert
    if step.image is not None:
        data["image"] = image_data(step.image, defaults)
    return data


def guide_data(guide: Guide) -> dict[str, Any]:
    """The guide as plain data in the written key order; validates back to an equal Guide."""
    data: dict[str, Any] = {"title": guide.title}
    for name in _GUIDE_KEYS:
        value = getattr(guide, name)
        if value is not None:
            data[name] = value
    defaults = guide.image_defaults
    if defaults is not None and (settings := settings_data(defaults)):
        data["image_defaults"] = settings
    data["steps"] = [
        {"section": item.section} if isinstance(item, Section) else _step_data(item, defaults)
        for item in guide.steps
    ]
    return data


def schema_line(schema: str = SCHEMA_URL) -> str:
    """The first line of a guide file: editors (yaml-language-server) validate against it."""
    return f"# yaml-language-server: $schema={schema}"


def dump_yaml(data: Any) -> str:
    """Plain data as guide-style YAML (block style, short lists on one line)."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=_NO_WRAP,
    )


def dump_guide(guide: Guide, header_comment: str = "", schema: str = SCHEMA_URL) -> str:
    """The guide file's text: the schema line, the header comment, then the YAML."""
    comments = [schema_line(schema)]
    comments += [f"# {line}".rstrip() for line in header_comment.splitlines()]
    return "\n".join(comments) + "\n" + dump_yaml(guide_data(guide))
