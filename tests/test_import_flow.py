"""`guidesmith init` then `guidesmith import`, as the README's headline flow: the untouched
example gives way to the imported series, `import --init DIR` makes the project first, and
every line import prints is ours and says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import cli

from generator.scaffold import EXAMPLE_SLUG

SERIES = Path(__file__).parent / "fixtures" / "scribe" / "series"
IMPORTED = ["00-get-the-code.yml", "01-install-the-tools.yml", "10-first-lab.yml",
            "bonus-lab-extra.yml"]


@pytest.fixture
def new_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "workshop"
    assert cli("init", str(root))[0] == 0
    monkeypatch.chdir(root)
    return root


def guide_names(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "guides").glob("*.yml"))


def test_an_import_replaces_the_untouched_example(new_project: Path) -> None:
    code, lines = cli("import", str(SERIES))

    assert code == 0, lines
    assert guide_names(new_project) == IMPORTED
    assert not (new_project / "guides" / "assets" / EXAMPLE_SLUG).exists()
    assert f"{EXAMPLE_SLUG}.md" not in (new_project / "guides" / "index.md").read_text()
    assert (
        f"Removed the example guide guides/{EXAMPLE_SLUG}.yml: "
        "it was unchanged since `guidesmith init`, and the imported guides take its place."
    ) in lines


def test_every_line_import_prints_says_what_happened_and_what_next(new_project: Path) -> None:
    code, lines = cli("import", str(SERIES))

    assert code == 0
    assert "README.md: left out: no numbered steps, so not a Scribe export (nothing to do, " \
           "unless it should be one: export it from Scribe as Markdown)" in lines
    assert "lab_index.md: read as the series index: chapters and order for 4 guides" in lines
    assert "Imported 10.first_lab.md -> guides/10-first-lab.yml (2 steps)" in lines
    assert not any(line.startswith("Skipped") or "skipped:" in line for line in lines)
    assert lines[-1] == (
        "Next: `guidesmith build` builds the site; its screenshots are on Scribe's servers: "
        "`guidesmith download` copies them into the project once, and "
        "`guidesmith build --offline --placeholders` builds without them.")


@pytest.mark.parametrize("touch", ["guide", "screenshot"])
def test_an_example_the_author_changed_stays(new_project: Path, touch: str) -> None:
    if touch == "guide":
        example = new_project / "guides" / f"{EXAMPLE_SLUG}.yml"
        example.write_text(example.read_text() + "# mine now\n")
    else:
        shot = new_project / "guides" / "assets" / EXAMPLE_SLUG / "01.png"
        shot.write_bytes(shot.read_bytes() + b"\0")

    code, lines = cli("import", str(SERIES))

    assert code == 0
    assert guide_names(new_project) == sorted([*IMPORTED, f"{EXAMPLE_SLUG}.yml"])
    assert not any("example" in line for line in lines)


def test_the_example_stays_when_it_is_not_the_only_guide(new_project: Path) -> None:
    assert cli("new", "My own guide")[0] == 0

    assert cli("import", str(SERIES))[0] == 0

    assert f"{EXAMPLE_SLUG}.yml" in guide_names(new_project)


def test_import_init_makes_the_project_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    monkeypatch.chdir(tmp_path)

    code, lines = cli("import", str(SERIES), "--init", "workshop")

    assert code == 0, lines
    root = tmp_path / "workshop"
    assert lines[0] == "Created a guidesmith project in workshop."
    assert (root / "mkdocs.yml").is_file() and (root / "Makefile").is_file()
    assert guide_names(root) == IMPORTED
    assert lines[-1].startswith("Next: `cd workshop && guidesmith build` builds the site")
    # Again: the project is there, the guides too.
    code, lines = cli("import", str(SERIES), "--init", "workshop")
    assert code == 1
    assert lines[0] == "workshop is a guidesmith project already: importing into it."
    assert lines[-1].startswith("Error: refusing to overwrite guide files that exist: ")


def test_import_outside_a_project_says_how_to_make_one(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    code, lines = cli("import", str(SERIES))

    assert code == 1
    assert lines == [
        f"Error: {tmp_path} is not a guidesmith project (no mkdocs.yml): "
        f"`guidesmith import {SERIES} --init DIR` makes one in DIR and imports into it; "
        "or run this where mkdocs.yml is"]
    assert not (tmp_path / "guides").exists()
