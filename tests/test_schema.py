"""The JSON Schema: in sync with the models, and accepting what authors write."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from generator.cli import main
from generator.errors import GuideErrors
from generator.loader import load_guide
from generator.schema import PACKAGED_SCHEMA, PROJECT_SCHEMA, SCHEMA_ID, guide_schema, schema_text
from generator.yamlwriter import SCHEMA_URL

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
GUIDE_FILES = [
    ROOT / "guides/02-generate-a-pat.yml",
    ROOT / "guides/03-create-a-project.yml",
    *sorted((FIXTURES / "projects/basic/guides").glob("*.yml")),
    FIXTURES / "scribe/05-reset-the-lab-router.yml",
]


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(PACKAGED_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def problems(data: Any) -> list[str]:
    return sorted(error.message for error in validator().iter_errors(data))


def test_the_committed_schema_is_what_the_models_give() -> None:
    assert PACKAGED_SCHEMA.read_text(encoding="utf-8") == schema_text(), (
        "generator/schema/guide.schema.json is out of date: "
        "run `guidesmith schema -o generator/schema/guide.schema.json`"
    )


def test_the_schema_names_itself_and_its_dialect() -> None:
    schema = guide_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID
    assert schema["title"] == "guidesmith guide"
    assert schema["description"]
    assert schema["required"] == ["title", "steps"]


@pytest.mark.parametrize("path", GUIDE_FILES, ids=lambda p: p.name)
def test_real_guides_are_valid(path: Path) -> None:
    assert problems(yaml.safe_load(path.read_text(encoding="utf-8"))) == []


def test_the_sample_names_the_committed_schema() -> None:
    first = (ROOT / "guides/02-generate-a-pat.yml").read_text(encoding="utf-8").splitlines()[0]
    target = first.removeprefix("# yaml-language-server: $schema=")
    assert (ROOT / "guides" / target).resolve() == PACKAGED_SCHEMA


SHORTHANDS = """
title: Every shorthand
image_defaults:
  width: 1120.0
  marker: {src: "builtin:circle#FB923C", pad: 5, scale: 50p}
steps:
  - text: A URL image
    image: "https://tok.cloudimg.io/https://example.com/a.png?tl_px=1,2&br_px=30,40&width=20"
  - text: Pads in every form
    image: {src: a.png, crop: [0, null, 10, null], marker: {pad: "10,-4"}}
  - text: A percentage pad pair
    image: {src: a.png, marker: {pad: ["5p", -8], click: [3, 4], opacity: 0.5}}
  - text: One pad in a list
    image: {src: a.png, marker: {pad: [12]}}
  - text: No marker
    image: {src: a.png, marker: null}
  - section: A heading
"""


CAPTURE_SHORTHANDS = """
title: Every capture shorthand
capture: {url: "http://127.0.0.1:8765/", viewport: [1280, 800], scale: 1.5, timeout: 2.5}
steps:
  - text: One selector, one key
    capture: {goto: /, wait_for: "#app", press: Escape, redact: "#token", highlight: ".row"}
  - text: Lists of them
    capture: {wait_for: ["#a", "#b"], press: [Tab, Enter], redact: ["#c"], crop: page}
  - text: A number typed, a secret typed
    capture: {fill: {"#age": 42}}
  - text: A secret
    capture: {fill: {"#token": "${DEMO_TOKEN}"}, crop: "#form"}
  - text: Choose and tick
    capture: {select: {"#region": eu-west}}
  - text: Tick
    capture: {check: "#private", hover: "#help", scroll_to: "#footer"}
"""


@pytest.mark.parametrize("text", [SHORTHANDS, CAPTURE_SHORTHANDS], ids=["image", "capture"])
def test_shorthand_forms_are_valid_for_the_schema_and_the_loader(
    tmp_path: Path, text: str
) -> None:
    assert problems(yaml.safe_load(text)) == []
    path = tmp_path / "guide.yml"
    path.write_text(text, encoding="utf-8")
    load_guide(path, tmp_path)  # the models agree


def innermost(data: Any) -> list[str]:
    """Every error message, down into anyOf/oneOf branches, as an editor can show them."""
    found: list[str] = []
    stack = list(validator().iter_errors(data))
    while stack:
        error = stack.pop()
        found.append(error.message)
        stack.extend(error.context or [])
    return found


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"imgae": "x"}, "Additional properties are not allowed ('imgae' was unexpected)"),
        ({"image": {"src": "a.png", "crop": [1, 2]}}, "[1, 2] is too short"),
        ({"image": {"src": "a.png", "format": "gif"}},
         "'gif' is not one of ['jpeg', 'png', 'webp']"),
        ({"image": {"src": "a.png", "marker": {"pad": "far"}}}, "'far' is not of type 'number'"),
        ({"image": {"src": "a.png", "marker": {"gravity": "up"}}},
         "'up' is not one of ['north', 'south', 'east', 'west', 'northeast', 'northwest', "
         "'southeast', 'southwest', 'center']"),
        ({"image": {"src": "a.png", "quality": 0}}, "0 is less than the minimum of 1"),
        ({"image": {"src": "a.png", "marker": {"scale": "big"}}}, "'big' is not of type 'number'"),
        ({"capture": {"clik": "#a"}}, "Additional properties are not allowed ('clik' was"
         " unexpected)"),
        ({"capture": {"fill": {"#a": "b", "#c": "d"}}},
         "{'#a': 'b', '#c': 'd'} has too many properties"),
    ],
)
def test_mistakes_are_invalid(change: dict[str, Any], message: str) -> None:
    guide = {"title": "T", "steps": [{"text": "A step", **change}]}
    assert problems(guide)
    assert message in innermost(guide)


@pytest.mark.parametrize(
    ("src", "valid"),
    [
        ("builtin:circle#FB923C", True),
        ("builtin:circle#fb923c", True),
        ("builtin:circle00FF7F", True),
        ("BUILTIN:Circle#123ABC", True),
        (" builtin:circle#123abc ", True),
        ("assets/markers/builtin-orange.png", True),
        ("https://example.com/watermarks/FB923C_standard.png", True),
        ("builtin:circle#FB923", False),
        ("builtin:circle#orange", False),
        ("builtin:circle", False),
        ("builtin:square#FB923C", False),
        ("Builtin:circle#FB923C0", False),
    ],
)
def test_the_schema_and_the_loader_agree_on_marker_sources(
    src: str, valid: bool, tmp_path: Path
) -> None:
    guide = {"title": "T", "steps": [{"text": "x", "image": {"src": "a.png",
                                                             "marker": {"src": src}}}]}
    assert (problems(guide) == []) is valid
    path = tmp_path / "g.yml"
    path.write_text(yaml.safe_dump(guide))
    try:
        load_guide(path, tmp_path)
        loaded = True
    except GuideErrors:
        loaded = False
    assert loaded is valid


def test_schema_command_prints_and_writes(tmp_path: Path) -> None:
    printed = CliRunner().invoke(main, ["schema"])
    assert printed.exit_code == 0, printed.output
    assert printed.output == schema_text()
    out = tmp_path / "nested" / "guide.schema.json"
    written = CliRunner().invoke(main, ["schema", "-o", str(out)])
    assert written.exit_code == 0, written.output
    assert out.read_text(encoding="utf-8") == schema_text()


def test_imported_guides_point_at_the_project_copy_of_the_schema(tmp_path: Path) -> None:
    export = tmp_path / "exports" / "05.reset_the_lab_router.md"
    export.parent.mkdir()
    shutil.copy(FIXTURES / "scribe/05.reset_the_lab_router.md", export)
    project = tmp_path / "project"
    project.mkdir()
    result = CliRunner().invoke(
        main, ["import", str(export), "--guides-dir", str(project / "guides")]
    )
    assert result.exit_code == 0, result.output
    guide = next((project / "guides").glob("*.yml"))
    first = guide.read_text(encoding="utf-8").splitlines()[0]
    assert first == f"# yaml-language-server: $schema={SCHEMA_URL}"
    assert (guide.parent / SCHEMA_URL).resolve() == (project / PROJECT_SCHEMA).resolve()
    assert (project / PROJECT_SCHEMA).read_text(encoding="utf-8") == schema_text()
