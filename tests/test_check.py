"""`guidesmith check`: GitHub annotations, marker geometry warnings, the pre-commit hook."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from generator.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIRST = "guides/10-first-guide.yml"


def check(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["check", "--config-file", str(root / "mkdocs.yml"), *args])
    return result.exit_code, result.stdout, result.stderr


def edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture
def root(project: Callable[[str], Path]) -> Path:
    return project("basic")


def test_a_clean_project_has_nothing_to_say(root: Path) -> None:
    code, out, err = check(root, "--format", "github")
    assert (code, out) == (0, "")
    code, out, err = check(root)
    assert code == 0
    assert err == "2 guide(s), 4 step(s): no errors.\n"


def test_check_says_the_same_after_a_verbose_build_in_the_same_process(root: Path) -> None:
    """`build --verbose` turns MkDocs' messages on; a later command must not inherit them."""
    built = CliRunner().invoke(main, ["build", "--verbose", "--config-file",
                                      str(root / "mkdocs.yml")])
    assert built.exit_code == 0, built.output
    assert "Loading configuration file" in built.stderr

    assert check(root)[2] == "2 guide(s), 4 step(s): no errors.\n"


def test_errors_are_github_annotations_on_stdout(root: Path) -> None:
    edit(root, "guides/05-second-guide.yml", "format: png", "format: gif")
    edit(root, FIRST, "crop: [100, 50, 500, 350]", "crop: [100, 50]")
    code, out, _ = check(root, "--format", "github")
    assert code == 1
    assert out.splitlines() == [
        "::error file=guides/05-second-guide.yml,line=8,col=15::steps[0].image.format: "
        "expected one of: jpeg, png, webp; got 'gif'",
        "::error file=guides/10-first-guide.yml,line=15,col=13::steps[0].image.crop: "
        "expected 4 integers [x1, y1, x2, y2]",
    ]


def test_a_marker_off_its_image_is_a_warning(root: Path) -> None:
    edit(root, FIRST, "marker: {pad: [10, 20]}", "marker: {pad: [500, 20]}")
    code, out, _ = check(root, "--format", "github")
    assert code == 0
    assert out == (
        "::warning file=guides/10-first-guide.yml,line=16,col=21::steps[0].image.marker.pad "
        "(step 1): marker at (500, 20) is entirely outside the 200x150 image\n"
    )
    code, _, err = check(root)
    assert code == 0
    assert err.splitlines()[0] == (
        "guides/10-first-guide.yml:16:21: warning: steps[0].image.marker.pad (step 1): "
        "marker at (500, 20) is entirely outside the 200x150 image"
    )


def test_a_click_outside_the_crop_is_a_warning(root: Path) -> None:
    edit(root, FIRST, "marker: {pad: [10, 20]}", "marker: {click: [5, 5]}")
    code, out, _ = check(root, "--format", "github")
    assert code == 0
    assert out.splitlines() == [
        "::warning file=guides/10-first-guide.yml,line=16,col=23::steps[0].image.marker.click "
        "(step 1): marker click (5, 5) is outside the crop box (100, 50, 500, 350)",
        "::warning file=guides/10-first-guide.yml,line=16,col=23::steps[0].image.marker.click "
        "(step 1): marker at (-84, -59) is entirely outside the 200x150 image",
    ]


def test_a_marker_partly_on_the_image_is_fine(root: Path) -> None:
    # Scribe's markers for clicks near an edge hang over it: (-30, -30) still shows.
    edit(root, FIRST, "marker: {pad: [10, 20]}", "marker: {pad: [-30, -30]}")
    edit(root, FIRST, "    image:\n      src: assets/first/02.png\n      marker: null",
         "    image:\n      src: assets/first/02.png\n      marker: {click: [299, 199]}")
    assert check(root, "--format", "github")[:2] == (0, "")


def test_a_marker_from_image_defaults_is_located_where_it_is_written(root: Path) -> None:
    edit(root, FIRST, "gravity: northwest}", "gravity: northwest, pad: [900, 0]}")
    edit(root, FIRST, "      marker: {pad: [10, 20]}\n", "")
    code, out, _ = check(root, "--format", "github")
    assert code == 0
    assert out == (
        "::warning file=guides/10-first-guide.yml,line=10,col=79::image_defaults.marker.pad "
        "(step 1): marker at (900, 0) is entirely outside the 200x150 image\n"
    )


def test_a_bad_marker_in_image_defaults_is_one_error_at_its_line(root: Path) -> None:
    # Every step with an image inherits it: one error, where it is written.
    edit(root, FIRST, '"builtin:circle#FB923C"', "assets/markers/orange.png")
    code, out, _ = check(root, "--format", "github")
    assert code == 1
    assert out == (
        "::error file=guides/10-first-guide.yml,line=10,col=17::image_defaults.marker.src "
        "(step 1): marker assets/markers/orange.png: local file not found: "
        "guides/assets/markers/orange.png\n"
    )
    edit(root, FIRST, "assets/markers/orange.png", '"builtin:circle#orange"')
    code, out, _ = check(root, "--format", "github")
    assert code == 1
    assert out == (
        "::error file=guides/10-first-guide.yml,line=10,col=17::image_defaults.marker.src: "
        "'#orange' is not a colour: write 6 hex digits (0-9, A-F), as in "
        "builtin:circle#FB923C\n"
    )


def test_github_properties_are_escaped(root: Path) -> None:
    odd = root / "guides/07-a,b.yml"
    odd.write_text("title: Odd\nsteps:\n  - text: x\n    imgae: y\n")
    code, out, _ = check(root, "--format", "github")
    assert code == 1
    assert out.startswith(
        "::error file=guides/07-a%2Cb.yml,line=4,col=5::steps[0].imgae: unknown key 'imgae'")


def test_the_pre_commit_hook_runs_check_on_guides_and_screenshots() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hooks == [{
        "id": "guidesmith-check",
        "name": "guidesmith check",
        "description": hooks[0]["description"],
        "entry": "guidesmith check",
        "language": "python",
        "pass_filenames": False,
        "files": r"\.(ya?ml|png|jpe?g|webp)$",
    }]
    files = re.compile(hooks[0]["files"])
    for name in ("guides/x.yml", "mkdocs.yaml", "a/01.png", "b.jpg", "c.jpeg", "d.webp"):
        assert files.search(name), name
    for name in ("README.md", "guides/x.yml.orig", "e.gif"):
        assert not files.search(name), name


def test_one_run_says_every_problem_of_a_guide_with_a_schema_error_once(root: Path) -> None:
    """A mistake in one step does not hide the others' problems, nor the warnings a build
    would print; and each problem is said once."""
    edit(root, FIRST, "marker: {pad: [10, 20]}", "marker: {pad: [500, 20]}")  # off the image
    edit(root, FIRST, "src: assets/first/02.png", "src: assets/first/02.png\n      sizing: 3")
    code, _, err = check(root)
    assert code == 1
    assert err.splitlines() == [
        "guides/10-first-guide.yml:16:21: warning: steps[0].image.marker.pad (step 1): "
        "marker at (500, 20) is entirely outside the 200x150 image",
        "guides/10-first-guide.yml:24:7: steps[3].image.sizing: unknown key 'sizing' (expected "
        "one of: width, format, quality, marker, src, origin, crop, params, redact, highlight, "
        "arrow, label, zoom)",
    ]
