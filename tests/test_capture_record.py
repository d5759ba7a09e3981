"""The capture record: read, written, merged into captured steps, and built with no browser."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, make_project
from PIL import Image, ImageDraw

from generator.annotate import REDACT_FILL
from generator.capture.record import (
    Record,
    Shot,
    read_record,
    record_text,
    uncaptured_steps,
)
from generator.cli import main
from generator.errors import GuideError, GuideErrors
from generator.loader import load_guide
from generator.model import Marker

GUIDE = "guides/01-sign-in.yml"
RECORD = "guides/assets/01-sign-in/capture.yml"
FIELD = (150, 260, 650, 340)  # the token field, as the fixture's record redacts it
FIELD_COLOUR = (16, 185, 129)


def draw_shot(path: Path) -> None:
    """An 800x600 capture (400x300 CSS pixels at scale 2): a form with a green field."""
    image = Image.new("RGB", (800, 600), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((100, 100, 699, 499), outline=(209, 213, 219), width=4)
    draw.rectangle((FIELD[0], FIELD[1], FIELD[2] - 1, FIELD[3] - 1), fill=FIELD_COLOUR)
    draw.rectangle((300, 390, 499, 449), fill=(37, 99, 235))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


@pytest.fixture
def captured(tmp_path: Path) -> Path:
    """The `captured` fixture project, its three screenshots drawn."""
    root = make_project(tmp_path, "captured")
    for number in (1, 2, 3):
        draw_shot(root / f"guides/assets/01-sign-in/{number:02d}.png")
    return root


def run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "--config-file", str(root / "mkdocs.yml")])
    return result.exit_code, result.output


def test_the_record_reads_back_to_the_same_bytes() -> None:
    path = FIXTURES / "projects/captured" / RECORD
    record = read_record(path, RECORD)
    assert record is not None
    assert record_text(record, GUIDE) == path.read_text(encoding="utf-8")
    assert record.shot(3) == Shot(
        step=3, file="03.png", url="/",
        script={"click": "#sign-in", "highlight": ["#sign-in"], "crop": "#form"},
        click=(400, 420), crop=(100, 100, 700, 500), redact=[FIELD],
        highlight=[(300, 390, 500, 450)],
    )


def test_captured_steps_get_their_images_from_the_record(captured: Path) -> None:
    loaded = load_guide(captured / GUIDE, captured)
    (_, first), (_, second), (_, third) = loaded.guide.numbered_steps()
    assert first.image is not None and second.image is not None and third.image is not None
    assert first.image.src == "assets/01-sign-in/01.png"
    assert first.image.marker is None  # nothing to act on: no marker
    assert first.image.crop is None and first.image.width == 400
    assert third.image.crop == (100, 100, 700, 500)
    # The click point from the record, the rest of the marker from image_defaults.
    assert third.image.marker == Marker(click=(400, 420), opacity=0.8)
    assert [r.box for r in third.image.redact] == [FIELD]
    assert [h.box for h in third.image.highlight] == [(300, 390, 500, 450)]
    assert loaded.record == captured / RECORD
    assert loaded.uncaptured == []
    assert loaded.warnings == []


def test_build_renders_the_recorded_geometry_with_no_browser(captured: Path) -> None:
    code, output = run(captured, "build")
    assert code == 0, output
    with Image.open(captured / "site/01-sign-in/step-03.png") as opened:
        step = opened.convert("RGB")
    assert step.size == (400, 267)  # the 600x400 crop at width 400
    # The click point (400, 420) lands at output (200, 213): the orange marker is there.
    red, green, blue = step.getpixel((200, 213))
    assert red > 200 and 100 < green < 190 and blue < 120, step.getpixel((200, 213))
    # The token field is under the redaction, whatever the screenshot showed there.
    field_centre = ((400 - 100) * 400 // 600, (300 - 100) * 267 // 400)
    assert step.getpixel(field_centre) == REDACT_FILL
    assert not (captured / "site/assets/01-sign-in").exists()  # no screenshot, no record


OTHER_COMMANDS = ("playwright", "generator.capture.run", "generator.capture.browser",
                  "generator.importer", "generator.scaffold", "generator.provenance",
                  "generator.download", "generator.explain", "slugify")


def test_build_imports_neither_playwright_nor_the_other_commands(captured: Path) -> None:
    """A build (a rebuild that changes nothing takes about a second) pays for no module that
    only capture, import, init, new, download or explain use."""
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from generator.cli import main\n"
        f"result = CliRunner().invoke(main, ['build', '--config-file', {str(captured)!r}"
        " + '/mkdocs.yml'])\n"
        "assert result.exit_code == 0, result.output\n"
        f"print(sorted(m for m in sys.modules if m.startswith({OTHER_COMMANDS!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False, cwd=captured)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_record_is_not_published_by_markdown_out_either(captured: Path) -> None:
    out = captured / "out"
    code, output = run(captured, "markdown", "--out", str(out))
    assert code == 0, output
    assert (out / "01-sign-in/step-01.png").is_file()
    assert not (out / "assets/01-sign-in").exists()


def test_a_guide_never_captured_is_one_error_naming_the_command(captured: Path) -> None:
    (captured / RECORD).unlink()
    code, output = run(captured, "build")
    assert code == 1
    assert output.startswith(
        "guides/01-sign-in.yml:4:3: capture: never captured (3 step(s) with `capture:`): run"
        " `guidesmith capture guides/01-sign-in.yml`, or build with --placeholders\n"
    ), output
    code, output = run(captured, "check")
    assert code == 1
    assert "capture: never captured (3 step(s) with `capture:`)" in output


def test_placeholders_stand_in_for_steps_never_captured(captured: Path) -> None:
    (captured / RECORD).unlink()
    for number in (1, 2, 3):
        (captured / f"guides/assets/01-sign-in/{number:02d}.png").unlink()
    code, output = run(captured, "build", "--placeholders")
    assert code == 0, output
    assert ("guides/01-sign-in.yml:4:3: warning: capture: never captured (3 step(s) with"
            " `capture:`): run `guidesmith capture guides/01-sign-in.yml`\n") in output
    # Sized as the capture will be: the viewport at its scale, at the width of image_defaults.
    with Image.open(captured / "site/01-sign-in/step-01.png") as placeholder:
        assert placeholder.size == (400, 300)


def test_a_step_added_after_the_capture_is_named(captured: Path) -> None:
    guide = captured / GUIDE
    guide.write_text(guide.read_text() + "  - text: Sign out\n    capture: {click: '#out'}\n")
    code, output = run(captured, "build")
    assert code == 1
    assert ("guides/01-sign-in.yml:20:14: steps[4].capture (step 4): not captured yet: run"
            " `guidesmith capture guides/01-sign-in.yml`\n") in output


def test_a_step_whose_script_changed_since_its_capture_is_a_warning(captured: Path) -> None:
    guide = captured / GUIDE
    guide.write_text(guide.read_text().replace('{goto: /}', '{goto: /home}'))
    loaded = load_guide(guide, captured)
    assert [w.text() for w in loaded.warnings] == [
        "guides/01-sign-in.yml:13:14: warning: steps[0].capture (step 1): the screenshot was"
        " taken with `capture: {goto: /}`, the step now says `capture: {goto: /home}`: run"
        " `guidesmith capture guides/01-sign-in.yml`"
    ]


def test_other_capture_settings_are_a_warning(captured: Path) -> None:
    guide = captured / GUIDE
    guide.write_text(guide.read_text().replace("scale: 2", "scale: 1"))
    loaded = load_guide(guide, captured)
    assert [w.text() for w in loaded.warnings] == [
        "guides/01-sign-in.yml:4:3: warning: capture: the screenshots were taken with other"
        " settings (scale 2 -> 1): run `guidesmith capture guides/01-sign-in.yml`"
    ]


def test_a_damaged_record_is_located_in_the_record(captured: Path) -> None:
    record = captured / RECORD
    record.write_text(record.read_text().replace("click: [400, 420]", "click: [400]"))
    with pytest.raises(GuideErrors) as info:
        load_guide(captured / GUIDE, captured)
    assert [e.text() for e in info.value.errors] == [
        "guides/assets/01-sign-in/capture.yml:24:12: shots[2].click: expected 2 integers"
        " [x, y]; run `guidesmith capture` to write it again"
    ]
    record.write_text("<<<<<<< HEAD\nversion: 1\n")
    with pytest.raises(GuideErrors) as info:
        load_guide(captured / GUIDE, captured)
    assert info.value.errors[0].path == "guides/assets/01-sign-in/capture.yml"


def test_capture_itself_loads_the_guide_without_its_record(captured: Path) -> None:
    (captured / RECORD).write_text("not: [a record")
    loaded = load_guide(captured / GUIDE, captured, captures=False)
    assert all(step.image is None for _, step in loaded.guide.numbered_steps())


def test_the_secret_hint_trusts_steps_whose_capture_handled_the_secret(captured: Path) -> None:
    from generator.hints import secret_hints

    guide = captured / GUIDE
    # Step 2 types ${TOKEN}; step 3 had it hidden. Only an unrelated step is hinted at.
    guide.write_text(guide.read_text().replace("Open the app", "Copy the token you see"))
    loaded = load_guide(guide, captured)
    assert [h.loc for h in secret_hints(loaded)] == ["steps[0].image (step 1)"]


def test_placeholders_turn_uncaptured_errors_into_warnings() -> None:
    missing = [GuideError("g.yml", "never captured (2 step(s) with `capture:`): run x, or build"
                          " with --placeholders", 3, 3, "capture")]
    with pytest.raises(GuideErrors):
        uncaptured_steps(missing, placeholders=False)
    assert [w.text() for w in uncaptured_steps(missing, placeholders=True)] == [
        "g.yml:3:3: warning: capture: never captured (2 step(s) with `capture:`): run x"]
    assert uncaptured_steps([], placeholders=False) == []


def test_a_record_names_its_settings() -> None:
    record = Record(guide="x.yml", viewport=(1280, 800), scale=2, color_scheme="dark",
                    locale="en-GB", shots=[])
    assert record_text(record, "guides/x.yml").splitlines()[3:9] == [
        "version: 1", "guide: x.yml", "viewport: [1280, 800]", "scale: 2",
        "color_scheme: dark", "locale: en-GB",
    ]
