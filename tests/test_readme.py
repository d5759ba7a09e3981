"""The README tells the truth about the guide format: every key, and the annotation picture."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from conftest import load_script
from PIL import Image, ImageChops, ImageStat
from pydantic import BaseModel

from generator.model import Arrow, Guide, Highlight, Label, Marker, Redaction, Section, Step, Zoom
from generator.model import Image as ImageModel

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def example_script() -> Any:
    return load_script(ROOT / "scripts" / "make_annotation_example.py",
                       "make_annotation_example")


def documented_keys() -> set[str]:
    """The keys of the README's "Every key" table (first column)."""
    table = README[README.index("Every key:"):README.index("A cloudimg URL is taken apart")]
    first_cells = re.findall(r"^\| ([^|]+) \|", table, flags=re.MULTILINE)
    return {key for cell in first_cells for key in re.findall(r"`([a-z_]+)`", cell)}


def fields(*models: type[BaseModel]) -> set[str]:
    return {info.alias or name for model in models for name, info in model.model_fields.items()}


def test_every_key_of_the_format_is_in_the_readme_s_table() -> None:
    keys = fields(Guide, Step, Section, ImageModel, Marker)
    assert keys - documented_keys() == set()


def test_the_annotation_keys_are_explained_with_each_of_their_own_keys() -> None:
    section = README[README.index("| `redact` | image |"):README.index("A cloudimg URL")]
    for model in (Redaction, Highlight, Arrow, Label, Zoom):
        for key in fields(model):
            assert f"{key}:" in section, (model.__name__, key)


def test_the_readme_shows_the_example_that_the_picture_renders() -> None:
    example = (ROOT / "docs/annotations.yml").read_text(encoding="utf-8")
    steps = example[example.index("steps:"):]
    assert f"```yaml\n{steps}```" in README
    assert "](docs/annotations.png)" in README


def test_the_picture_is_what_guidesmith_renders_from_the_example() -> None:
    script = example_script()
    with Image.open(ROOT / "docs/annotations-screen.png") as committed:
        assert _close(committed, script.draw_screen())
    with Image.open(ROOT / "docs/annotations.png") as committed:
        rendered = script.render_example()
        assert committed.size == rendered.size == (800, 467)
        assert _close(committed, rendered)


def _close(a: Image.Image, b: Image.Image) -> bool:
    """The same picture, up to what another Pillow or FreeType may round differently."""
    difference = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    return max(ImageStat.Stat(difference).mean) < 1.0
