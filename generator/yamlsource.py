"""Safe YAML loading that keeps node positions, so errors can say file:line:col.

A guide is plain data, so the loader accepts plain data only, and refuses the rest while
composing, before anything is constructed:

- tags other than YAML's own scalar and collection tags (`!!python/...` and friends);
- anchors and aliases (they are how "billion laughs" documents expand);
- duplicate keys, which PyYAML would otherwise resolve silently to the last one;
- keys that are lists or mappings, and nesting deeper than any guide needs.

Mapping keys are always read as the text the author wrote (`1:` is the key "1", `yes:` is
"yes"), so every key can be named, located and matched against the format's field names.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent, CollectionStartEvent, NodeEvent, ScalarEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# A guide is at most six levels deep (steps -> step -> image -> marker -> pad); anything
# much deeper is a mistake or an attack on the parser's recursion.
MAX_DEPTH = 32
_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = frozenset(
    _CORE + name for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
)


class YamlProblem(Exception):
    """A document that is not acceptable YAML; line and col are 1-based."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


def _at(mark: Any) -> tuple[int | None, int | None]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (None, None)


def _shown_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag


class _GuideLoader(yaml.SafeLoader):
    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            raise YamlProblem(
                f"aliases (*{event.anchor}) are not supported in guides; write the value out",
                *_at(event.start_mark),
            )
        if isinstance(event, NodeEvent) and event.anchor is not None:
            raise YamlProblem(
                f"anchors (&{event.anchor}) are not supported in guides; write the value out",
                *_at(event.start_mark),
            )
        if isinstance(event, ScalarEvent | CollectionStartEvent):
            tag = event.tag
            if tag is not None and tag != "!" and tag not in _ALLOWED_TAGS:
                raise YamlProblem(
                    f"the YAML tag '{_shown_tag(tag)}' is not allowed: a guide holds only"
                    " text, numbers, lists and mappings",
                    *_at(event.start_mark),
                )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise YamlProblem(
                    f"nested too deeply (more than {MAX_DEPTH} levels)", *_at(event.start_mark)
                )
            node = Composer.compose_node(self, parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, MappingNode):
            _check_keys(node)
        return node

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[str, Any]:
        # Keys as written: guides have only text keys, and the author's spelling is what an
        # error message must show. (`<<` merge keys are then plain unknown keys.)
        assert isinstance(node, MappingNode)
        return {
            key.value: self.construct_object(value, deep=deep) for key, value in node.value
        }

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            # A scalar that looks like a date or a number but is not one (2024-13-45,
            # `!!int abc`, a 5000-digit number): keep the author's text; the model says
            # whether text is acceptable there.
            if isinstance(node, ScalarNode):
                self.recursive_objects.pop(node, None)
                return node.value
            raise YamlProblem(f"cannot read this value: {exc}", *_at(node.start_mark)) from None


def _text(loader: _GuideLoader, node: ScalarNode) -> str:
    return str(loader.construct_scalar(node))


# Implicitly resolved tags that SafeLoader cannot construct: a value `<<` or `=` is text.
_GuideLoader.add_constructor(_CORE + "merge", _text)
_GuideLoader.add_constructor(_CORE + "value", _text)


def _check_keys(node: MappingNode) -> None:
    seen: dict[str, Node] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, ScalarNode):
            raise YamlProblem(
                "a key must be a plain name, not a list or a mapping", *_at(key_node.start_mark)
            )
        if key_node.value in seen:
            first = seen[key_node.value].start_mark.line + 1
            raise YamlProblem(
                f"duplicate key '{key_node.value}' (first defined on line {first})",
                *_at(key_node.start_mark),
            )
        seen[key_node.value] = key_node


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str) -> YamlProblem:
    """PyYAML's wording, made plainer for the mistakes authors actually make."""
    problem, context = exc.problem or "", exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    lines = text.splitlines()
    if "found character '\\t'" in problem:
        message = _tab_problem(lines, mark)
    elif "mapping values are not allowed here" in problem:
        message, mark = _colon_problem(lines, mark)
    elif "quoted scalar" in context and "end of stream" in problem:
        message, mark = "a quoted value is never closed", exc.context_mark or mark
    elif "expected <block end>" in problem:
        message = "this line does not line up with the lines above it; check its indentation"
    elif "while parsing a flow" in context and exc.context_mark is not None:
        opening = "[" if "sequence" in context else "{"
        closing = "]" if opening == "[" else "}"
        message = (
            f"the '{opening}' opened on line {exc.context_mark.line + 1} is not closed"
            f" with '{closing}' (or a ',' is missing)"
        )
    elif "expected a single document" in context:
        message = "a guide file holds one YAML document; remove the second '---'"
    elif context and problem:
        message = f"{problem} ({context})"
    else:
        message = problem or context or "invalid YAML"
    return YamlProblem(f"YAML syntax error: {message}", *_at(mark))


# A line that is a mapping key, as the author wrote it: indentation, list dashes, the key.
_KEY_LINE = re.compile(r"( *)((?:- +)*)([^\s#'\"{\[,:-][^:#]*?) *:(?: |$)")


def _tab_problem(lines: list[str], mark: Any) -> str:
    """Tabs in the indentation are the common case; a tab after `key:` is another."""
    before = lines[mark.line][: mark.column] if mark is not None and mark.line < len(lines) else ""
    if before.strip(" \t") == "":
        return "a tab character; YAML indentation must use spaces"
    if key := re.search(r"([^\s{}\[\],]+:)[ \t]*$", before):
        return f"a tab after '{key[1]}'; put a space between a key's ':' and its value"
    return "a tab character; YAML separates the parts of a line with spaces only"


def _colon_problem(lines: list[str], mark: Any) -> tuple[str, Any]:
    """A key indented deeper than the key above it reads as more of that key's value, so
    the ':' after it is "unexpected": say which key to line it up with, and point at it."""
    quote = "unexpected ':' in a value; put the value in quotes if it contains ': '"
    if mark is None or mark.line >= len(lines):
        return quote, mark
    here = _KEY_LINE.match(lines[mark.line])
    if here is None or here.end() - 1 < mark.column or lines[mark.line][mark.column] != ":":
        return quote, mark  # the ':' is inside a value on the line: `title: Step one: log in`
    column = len(here[1]) + len(here[2])
    for number in range(mark.line - 1, -1, -1):
        above = lines[number]
        if not above.strip() or above.lstrip().startswith("#"):
            continue
        key = _KEY_LINE.match(above)
        if key is None:
            break
        deeper = column - len(key[1]) - len(key[2])
        if deeper <= 0:
            break
        spaces = "space" if deeper == 1 else "spaces"
        message = (
            f"'{here[3]}:' is indented {deeper} {spaces} more than '{key[3]}:' on line "
            f"{number + 1}, so YAML reads it as part of that value; line the two keys up"
        )
        return message, yaml.Mark(mark.name, 0, mark.line, column, None, None)
    return quote, mark


def line_col(text: str, offset: int) -> tuple[int, int]:
    """The 1-based (line, column) of the character at `offset` in `text`."""
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _reader_problem(exc: yaml.reader.ReaderError, text: str) -> YamlProblem:
    line, col = line_col(text, exc.position)
    code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or " ")
    return YamlProblem(
        f"a control character (U+{code:04X}) is not allowed in YAML; remove it", line, col
    )


def load_yaml(text: str) -> tuple[Any, Node | None]:
    """Parse one YAML document into plain data and its node tree."""
    try:
        loader = _GuideLoader(text)
    except yaml.reader.ReaderError as exc:  # the reader checks every character up front
        raise _reader_problem(exc, text) from None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        raise _syntax_problem(exc, text) from None
    except yaml.reader.ReaderError as exc:
        raise _reader_problem(exc, text) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML error: {exc}") from None
    finally:
        loader.dispose()
    return data, node


def _walk(node: Node, loc: tuple[int | str, ...]) -> tuple[Node, bool]:
    """The deepest node along a pydantic `loc` path, and whether the whole path was found.

    Parts that name no node (fields that are missing, fields of an image written as a URL)
    stop the walk, so the answer is the nearest place the author can look at.
    """
    current = node
    for part in loc:
        found: Node | None = None
        if isinstance(current, MappingNode) and isinstance(part, str):
            found = next((v for k, v in current.value if k.value == part), None)
        elif (
            isinstance(current, SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(current.value)
        ):
            found = current.value[part]
        if found is None:
            return current, False
        current = found
    return current, True


def _position(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def positions(node: Node | None) -> dict[str, list[int]]:
    """The (line, col) of every value in the tree, by its path ("steps/3/image/src"):
    what `locate` answers, kept as plain JSON beside a parsed guide (see loader._parsed)."""
    table: dict[str, list[int]] = {}
    stack: list[tuple[Node, tuple[int | str, ...]]] = [(node, ())] if node is not None else []
    while stack:
        current, loc = stack.pop()
        table[path_key(loc)] = list(_position(current))
        if isinstance(current, MappingNode):
            stack += [(v, (*loc, k.value)) for k, v in current.value if isinstance(k.value, str)]
        elif isinstance(current, SequenceNode):
            stack += [(v, (*loc, i)) for i, v in enumerate(current.value)]
    return table


def locate_in(table: dict[str, list[int]], loc: tuple[int | str, ...]) -> tuple[int, int] | None:
    """`locate` from a positions table: the value at `loc` or its nearest written ancestor."""
    for end in range(len(loc), -1, -1):
        found = table.get(path_key(loc[:end]))
        if found is not None:
            return found[0], found[1]
    return None


def path_key(loc: tuple[int | str, ...]) -> str:
    return "/".join(map(str, loc))


def node_at(node: Node | None, loc: tuple[int | str, ...]) -> Node | None:
    """The node written exactly at `loc`, or None when the path leaves the YAML."""
    if node is None:
        return None
    found, complete = _walk(node, loc)
    return found if complete else None


def locate(node: Node | None, loc: tuple[int | str, ...]) -> tuple[int | None, int | None]:
    """The 1-based (line, col) of the value at `loc`, or of its nearest written ancestor."""
    return (None, None) if node is None else _position(_walk(node, loc)[0])


def key_position(node: Node | None, loc: tuple[int | str, ...]) -> tuple[int | None, int | None]:
    """Where the key at the end of `loc` is written (for unknown keys)."""
    if node is None or not loc:
        return locate(node, loc)
    parent, complete = _walk(node, loc[:-1])
    if complete and isinstance(parent, MappingNode):
        for key_node, _ in parent.value:
            if key_node.value == loc[-1]:
                return _position(key_node)
    return _position(parent)
