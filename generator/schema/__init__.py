"""The guide format's JSON Schema, derived from generator.model, for editors to complete keys.

pydantic derives the schema from the models; what it cannot see are the shorthand forms
that the models' `mode="before"` validators accept (a length written `12` or `'5p'`, a pad
given as one value or `'x,y'`, an image given as a whole cloudimg URL). `guide_schema`
describes those forms as an author writes them, so an editor accepts every valid guide.

The schema is committed at generator/schema/guide.schema.json (tests keep it in sync) and
copied into each user project as `.guidesmith/guide.schema.json`, which guides created by
`guidesmith init`, `new` and `import` name on their first line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from generator.fsutil import atomic_write
from generator.model import _LENGTH, Guide, Length, Marker

SCHEMA_ID = "urn:guidesmith:schema:guide:v1"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
PACKAGED_SCHEMA = Path(__file__).with_name("guide.schema.json")
# Where a user project keeps its copy, relative to the project root (beside mkdocs.yml).
PROJECT_SCHEMA = ".guidesmith/guide.schema.json"

_LENGTH_BODY = _LENGTH.pattern.removeprefix("^").removesuffix("$")


def _length_schema() -> dict[str, Any]:
    return {
        "description": Length.__doc__,
        "anyOf": [
            {"type": "number"},
            {"type": "string", "pattern": _LENGTH.pattern},
        ],
    }


def _author_form(length: Length) -> int | float | str:
    """A Length default as an author writes it: 100, 12.5 or '5p'."""
    if length.percent:
        return str(length)
    return int(length.value) if length.value.is_integer() else length.value


def guide_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a guide file, as authors write it."""
    schema = Guide.model_json_schema(mode="validation")
    defs = schema["$defs"]
    defs["Length"] = _length_schema()

    marker = defs["Marker"]["properties"]
    default = Marker()
    marker["pad"] = {
        "description": marker["pad"]["description"],
        "default": [_author_form(length) for length in default.pad],
        "anyOf": [
            {"$ref": "#/$defs/Length", "description": "One value for both axes"},
            {"type": "array", "minItems": 1, "maxItems": 2, "items": {"$ref": "#/$defs/Length"}},
            {"type": "string", "pattern": f"^{_LENGTH_BODY},{_LENGTH_BODY}$"},
        ],
    }
    marker["scale"]["default"] = _author_form(default.scale)

    image = defs["Step"]["properties"]["image"]
    image["anyOf"].insert(1, {"type": "string", "description": "A whole cloudimg URL"})

    return {
        "$schema": DIALECT,
        "$id": SCHEMA_ID,
        "$comment": "Generated from generator/model.py by `guidesmith schema`; do not edit.",
        "title": "guidesmith guide",
        "description": (
            "A step-by-step guide for guidesmith: title, optional metadata, and a list of "
            "steps (Markdown text, a screenshot rendered as a cloudimg URL describes it) "
            "and section headings."
        ),
        **{key: value for key, value in schema.items() if key not in ("title", "description")},
    }


def schema_text() -> str:
    """The schema as committed: stable key order, two-space indent, one final newline."""
    return json.dumps(guide_schema(), indent=2, ensure_ascii=False) + "\n"


def write_project_schema(root: Path) -> Path:
    """Write (or refresh) the project's copy of the schema; its path."""
    path = root / PROJECT_SCHEMA
    text = schema_text()
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        atomic_write(path, text)
    return path
