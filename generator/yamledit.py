"""Small edits to a YAML file's text that leave every other byte as the author wrote it.

Rewriting a guide by loading and dumping it would lose its comments, blank lines, quoting
and key order. These functions instead splice new text in at the positions of the nodes
that change (PyYAML's marks, from yamlsource), so a diff shows exactly the values that
changed. Pure: text and nodes in, edits out; `apply` puts them together.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, ScalarNode

from generator.yamlwriter import dump_yaml

# What may be written as a plain scalar without quotes: paths and URLs of safe characters.
_PLAIN = re.compile(r"^[A-Za-z0-9_./][A-Za-z0-9_./:?&=%+~-]*$")


@dataclass(frozen=True)
class Edit:
    """Replace text[start:end] with `text` (an insertion when start == end)."""

    start: int
    end: int
    text: str


def scalar_text(value: str) -> str:
    """`value` as a YAML scalar: plain when that reads back as the same string, else a
    double-quoted string (JSON's escaping is YAML's)."""
    if _PLAIN.match(value) and not value.endswith(":") and ": " not in value and " #" not in value:
        return value
    return json.dumps(value, ensure_ascii=False)


def newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def replace_scalar(node: ScalarNode, value: str) -> Edit:
    """The scalar written at `node` becomes `value`."""
    return Edit(node.start_mark.index, node.end_mark.index, scalar_text(value))


def add_key_after(
    text: str, mapping: MappingNode, after: Node, key: str, value: str
) -> Edit:
    """`key: value` in `mapping`, right after the entry whose value is `after`.

    Block style: a line of its own below that entry (below any comment on its line), at
    the entry's indentation. Flow style (`{src: x, crop: [...]}`): `, key: value` after it.
    """
    entry = scalar_text(value)
    if mapping.flow_style:
        return Edit(after.end_mark.index, after.end_mark.index, f", {key}: {entry}")
    key_node = next(k for k, v in mapping.value if v is after)
    indent = " " * key_node.start_mark.column
    newline = newline_of(text)
    line_end = text.find("\n", after.end_mark.index)
    if line_end < 0:  # the last line of a file without a final newline
        return Edit(len(text), len(text), f"{newline}{indent}{key}: {entry}")
    return Edit(line_end + 1, line_end + 1, f"{indent}{key}: {entry}{newline}")


def replace_with_mapping(text: str, key: ScalarNode, value: Node, data: dict[str, object]) -> Edit:
    """The value of `key` (a scalar on the key's line) becomes the block mapping `data`,
    indented two spaces more than the key, in the guide writer's style."""
    dumped = dump_yaml(data).splitlines()
    indent = " " * (key.start_mark.column + 2)
    newline = newline_of(text)
    block = newline.join(indent + line for line in dumped)
    return Edit(key.end_mark.index, value.end_mark.index, f":{newline}{block}")


def apply(text: str, edits: list[Edit]) -> str:
    """The text with every edit made; edits must not overlap."""
    out = text
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        out = out[: edit.start] + edit.text + out[edit.end :]
    return out
