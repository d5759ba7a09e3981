"""Safe YAML loading that keeps node positions, so errors can say file:line:col.

Only the safe constructors are used; anchors and aliases are refused outright (they are
how "billion laughs" documents expand), and so are duplicate keys, which PyYAML would
otherwise resolve silently to the last one.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode


class YamlProblem(Exception):
    """A document that is not acceptable YAML; line and col are 1-based."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


class _GuideLoader(yaml.SafeLoader):
    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise YamlProblem(
                "anchors and aliases (*name) are not supported in guides",
                event.start_mark.line + 1,
                event.start_mark.column + 1,
            )
        node = Composer.compose_node(self, parent, index)
        if isinstance(node, MappingNode):
            _check_duplicate_keys(node)
        return node


def _check_duplicate_keys(node: MappingNode) -> None:
    seen: dict[Any, Node] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, ScalarNode):
            continue
        if key_node.value in seen:
            first = seen[key_node.value].start_mark.line + 1
            raise YamlProblem(
                f"duplicate key '{key_node.value}' (first defined on line {first})",
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
        seen[key_node.value] = key_node


def load_yaml(text: str) -> tuple[Any, Node | None]:
    """Parse one YAML document into plain data and its node tree."""
    loader = _GuideLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if "found character '\\t'" in problem:
            problem = "a tab character; YAML indentation must use spaces"
        elif exc.context and exc.problem:
            problem = f"{exc.problem} ({exc.context})"
        raise YamlProblem(
            f"YAML syntax error: {problem}",
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML error: {exc}") from None
    finally:
        loader.dispose()
    return data, node


def _walk(node: Node, loc: tuple[int | str, ...]) -> Node:
    """The deepest node along a pydantic `loc` path.

    Parts that name no node (pydantic's union tags, fields that are missing) are skipped,
    so the answer is the nearest place the author can look at.
    """
    current = node
    for part in loc:
        if isinstance(current, MappingNode) and isinstance(part, str):
            current = next(
                (v for k, v in current.value if getattr(k, "value", None) == part), current
            )
        elif isinstance(current, SequenceNode) and isinstance(part, int):
            if 0 <= part < len(current.value):
                current = current.value[part]
    return current


def _position(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def locate(node: Node | None, loc: tuple[int | str, ...]) -> tuple[int | None, int | None]:
    """The 1-based (line, col) of the value at `loc`, or of its nearest written ancestor."""
    return (None, None) if node is None else _position(_walk(node, loc))


def key_position(node: Node | None, loc: tuple[int | str, ...]) -> tuple[int | None, int | None]:
    """Where the key at the end of `loc` is written (for unknown keys)."""
    if node is None or not loc:
        return locate(node, loc)
    parent = _walk(node, loc[:-1])
    if isinstance(parent, MappingNode):
        for key_node, _ in parent.value:
            if getattr(key_node, "value", None) == loc[-1]:
                return _position(key_node)
    return _position(parent)
