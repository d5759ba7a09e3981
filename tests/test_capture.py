"""`guidesmith capture` end to end: the demo app served on 127.0.0.1, Debian's Chromium.

A guide is captured from the demo app and built; the markers and redactions in the built
images are found by their pixels and compared with the elements' boxes, measured by a
separate visit of the app (getBoundingClientRect, not the capture's code). Then `--check`
against the same app and against a variant with a moved button. One browser and one
server serve the module.
"""

from __future__ import annotations

import io
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import CHROMIUM, serving
from PIL import Image, ImageChops
from rich.console import Console

from generator.annotate import REDACT_FILL
from generator.capture.record import read_record
from generator.capture.run import CaptureError, CaptureOptions, capture, terminal_progress
from generator.cli import main
from generator.errors import GuideErrors

sync_api = pytest.importorskip("playwright.sync_api")


pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "demo"
TOKEN = "orb_test_5b0d3f1c9a"
PASSWORD = "hunter2-but-longer"
VIEWPORT, SCALE, WIDTH = (1000, 700), 2, 1000
MARGIN = 16

GUIDE = """\
# The author's comment, and the blank line after it, stay as they are.

title: Create a project
capture:
  url: {url}
  viewport: [1000, 700]
  scale: 2
image_defaults:
  width: 1000
  format: png
  marker: {{scale: 50}}
steps:
  - text: Open Orbit
    capture: {{goto: /}}
  - text: Type your email
    capture: {{fill: {{"#email": ada@example.com}}}}
  - text: Type your password
    capture: {{fill: {{"#password": "${{TEST_PASSWORD}}"}}}}
  - text: Sign in
    capture: {{click: "#sign-in"}}
  - text: Click **New project**
    capture: {{click: "#new-project"}}
  - text: Name it
    capture: {{fill: {{"#project-name": demo}}, crop: "#new-project-dialog"}}
  - text: Create it
    capture: {{click: "#create", crop: "#new-project-dialog"}}
  - text: It is listed
    capture: {{wait_for: "text=demo", highlight: ".project-row:has-text('demo')", crop: .projects}}
  - text: Open the settings
    capture: {{click: "#settings"}}
  - text: Paste your token
    capture: {{fill: {{"#token": "${{TEST_TOKEN}}"}}}}
  - text: Save it
    capture: {{click: "#save-token"}}
  - text: Saved
    capture: {{wait_for: "text=Token saved", crop: "#token-form"}}
"""
# step -> (the element the reader acts on, the page state it is measured in)
TARGETS = {
    2: ("#email", "signin"), 3: ("#password", "signin"), 4: ("#sign-in", "signin"),
    5: ("#new-project", "projects"), 6: ("#project-name", "dialog"), 7: ("#create", "dialog"),
    9: ("#settings", "projects"), 10: ("#token", "settings"), 11: ("#save-token", "settings"),
}
CROPS = {6: ("#new-project-dialog", "dialog"), 7: ("#new-project-dialog", "dialog"),
         12: ("#token-form", "settings")}
# Steps whose screenshot shows the token field after it was filled: redacted.
REDACTED = {11: ("#token", "settings"), 12: ("#token", "settings")}
MOVED_BUTTON_CSS = "\n#save-token { margin-left: 160px; }\n"




@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    with serving(DEMO / "app") as url:
        yield url




@pytest.fixture(autouse=True)
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_TOKEN", TOKEN)
    monkeypatch.setenv("TEST_PASSWORD", PASSWORD)


def make_project(root: Path, url: str, guide: str = GUIDE) -> Path:
    """A project with the capture guide (not captured yet)."""
    shutil.copytree(REPO / "tests/fixtures/projects/captured", root)
    shutil.rmtree(root / "guides/assets")
    (root / "guides/01-sign-in.yml").unlink()
    (root / "guides/10-create.yml").write_text(guide.format(url=url), encoding="utf-8")
    return root


def run_capture(root: Path, browser: Any, **options: Any) -> Any:
    return capture([], root, root / "guides", CaptureOptions(**options), browser=browser)


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory, app_url: str, browser: Any) -> Path:
    """The project, captured once from the demo app and built."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TEST_TOKEN", TOKEN)
        patch.setenv("TEST_PASSWORD", PASSWORD)
        root = make_project(tmp_path_factory.mktemp("capture") / "project", app_url)
        report = run_capture(root, browser)
    assert report.problems == [] and report.steps == 12
    result = CliRunner().invoke(main, ["build", "--config-file", str(root / "mkdocs.yml")])
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="module")
def boxes(app_url: str, browser: Any) -> dict[tuple[str, str], tuple[float, float, float, float]]:
    """Each element's box (CSS pixels, x1 y1 x2 y2) in each page state, measured apart from
    the capture: getBoundingClientRect in a page of our own."""
    context = browser.new_context(viewport=dict(zip(("width", "height"), VIEWPORT, strict=True)),
                                  device_scale_factor=SCALE)
    page = context.new_page()
    measure = ("s => { const r = document.querySelector(s).getBoundingClientRect();"
               " return [r.left, r.top, r.right, r.bottom]; }")
    found: dict[tuple[str, str], tuple[float, float, float, float]] = {}

    def take(state: str, *selectors: str) -> None:
        for selector in selectors:
            found[(selector, state)] = tuple(page.evaluate(measure, selector))

    page.goto(app_url)
    take("signin", "#email", "#password", "#sign-in")
    page.fill("#email", "ada@example.com")
    page.fill("#password", "x")
    page.click("#sign-in")
    take("projects", "#new-project", "#settings")
    page.click("#new-project")
    take("dialog", "#project-name", "#create", "#new-project-dialog")
    page.keyboard.press("Escape")
    page.goto(app_url + "#/settings")
    take("settings", "#token", "#save-token", "#token-form")
    context.close()
    return found


def built(root: Path, number: int) -> Image.Image:
    with Image.open(root / f"site/10-create/step-{number:02d}.png") as opened:
        return opened.convert("RGB")


def to_output(point: tuple[float, float], crop: tuple[int, int, int, int] | None,
              size: tuple[int, int]) -> tuple[float, float]:
    """A CSS point of the page -> output pixels of the built image."""
    x1, y1, x2, y2 = crop or (0, 0, VIEWPORT[0] * SCALE, VIEWPORT[1] * SCALE)
    return ((point[0] * SCALE - x1) * size[0] / (x2 - x1),
            (point[1] * SCALE - y1) * size[1] / (y2 - y1))


def orange_mask(image: Image.Image) -> Image.Image:
    """Where the image is the marker's orange (the demo app has none): red high, green
    middling, blue low."""
    red, green, blue = image.split()
    return ImageChops.multiply(
        ImageChops.multiply(red.point(lambda v: 255 if v > 200 else 0),
                            green.point(lambda v: 255 if 100 < v < 190 else 0)),
        blue.point(lambda v: 255 if v < 110 else 0))


def marker_centre(image: Image.Image) -> tuple[float, float]:
    """The centroid of the orange marker's pixels."""
    mask = orange_mask(image)
    box = mask.getbbox()
    assert box is not None, "no marker in the image"
    region = mask.crop(box)
    points = [(i % region.width, i // region.width)
              for i, value in enumerate(region.get_flattened_data()) if value]
    return (box[0] + sum(x for x, _ in points) / len(points) + 0.5,
            box[1] + sum(y for _, y in points) / len(points) + 0.5)


def test_every_marker_is_on_its_elements_centre(captured: Path, boxes: dict) -> None:
    record = read_record(captured / "guides/assets/10-create/capture.yml", "record")
    assert record is not None
    for number, (selector, state) in TARGETS.items():
        image = built(captured, number)
        x1, y1, x2, y2 = boxes[(selector, state)]
        shot = record.shot(number)
        assert shot is not None
        expected = to_output(((x1 + x2) / 2, (y1 + y2) / 2), shot.crop, image.size)
        found = marker_centre(image)
        assert abs(found[0] - expected[0]) <= 2 and abs(found[1] - expected[1]) <= 2, (
            number, selector, found, expected)
    for number in (1, 12):  # nothing to act on: no marker (and no orange highlight)
        assert orange_mask(built(captured, number)).getbbox() is None, number


def test_crops_are_the_named_elements_with_the_margin(captured: Path, boxes: dict) -> None:
    record = read_record(captured / "guides/assets/10-create/capture.yml", "record")
    assert record is not None
    for number, (selector, state) in CROPS.items():
        x1, y1, x2, y2 = boxes[(selector, state)]
        expected = ((x1 - MARGIN) * SCALE, (y1 - MARGIN) * SCALE,
                    (x2 + MARGIN) * SCALE, (y2 + MARGIN) * SCALE)
        shot = record.shot(number)
        assert shot is not None and shot.crop is not None
        assert all(abs(a - b) <= 1 for a, b in zip(shot.crop, expected, strict=True)), number


def test_every_redaction_covers_its_element_in_the_source_and_the_build(
    captured: Path, boxes: dict
) -> None:
    record = read_record(captured / "guides/assets/10-create/capture.yml", "record")
    assert record is not None
    for number, (selector, state) in REDACTED.items():
        x1, y1, x2, y2 = boxes[(selector, state)]
        with Image.open(captured / f"guides/assets/10-create/{number:02d}.png") as opened:
            source = opened.convert("RGB")
        # Burnt into the committed screenshot: the token's pixels are nowhere.
        inside = source.crop((round(x1 * SCALE), round(y1 * SCALE),
                              round(x2 * SCALE), round(y2 * SCALE)))
        assert set(inside.get_flattened_data()) == {REDACT_FILL}, number
        image = built(captured, number)
        shot = record.shot(number)
        assert shot is not None
        left, top = to_output((x1, y1), shot.crop, image.size)
        right, bottom = to_output((x2, y2), shot.crop, image.size)
        # Inside by 3 output pixels: resampling blends the box's edge with its neighbours.
        covered = image.crop((int(left) + 3, int(top) + 3, int(right) - 3, int(bottom) - 3))
        assert set(covered.get_flattened_data()) == {REDACT_FILL}, number


def test_secrets_are_written_nowhere_and_the_guide_is_untouched(captured: Path) -> None:
    guide = (captured / "guides/10-create.yml").read_text(encoding="utf-8")
    assert guide.startswith("# The author's comment, and the blank line after it, stay")
    assert "\n\ntitle: Create a project\n" in guide and "capture.yml" not in guide
    for path in [*(captured / "guides").rglob("*"), *(captured / "site").rglob("*")]:
        if path.is_file():
            data = path.read_bytes()
            assert TOKEN.encode() not in data and PASSWORD.encode() not in data, path
    record = (captured / "guides/assets/10-create/capture.yml").read_text(encoding="utf-8")
    assert "'${TEST_TOKEN}'" in record


def test_check_is_quiet_on_the_same_app_and_names_the_moved_steps(
    captured: Path, browser: Any, tmp_path: Path
) -> None:
    same = run_capture(captured, browser, check=True, diff_dir=tmp_path / "same")
    assert same.problems == [] and same.changed == [] and same.unchanged == 12
    assert not (tmp_path / "same").exists()
    variant = tmp_path / "variant"
    shutil.copytree(DEMO / "app", variant)
    with (variant / "app.css").open("a", encoding="utf-8") as css:
        css.write(MOVED_BUTTON_CSS)
    folder = captured / "guides/assets/10-create"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with serving(variant) as moved_url:
        moved = run_capture(captured, browser, check=True, url=moved_url,
                            diff_dir=tmp_path / "diff")
    assert moved.problems == []
    assert [error.loc for error in moved.changed] == [
        "steps[9].capture (step 10)", "steps[10].capture (step 11)",
        "steps[11].capture (step 12)"]
    assert "of the pixels changed; the marker moved from" in moved.changed[1].message
    assert sorted(p.name for p in (tmp_path / "diff/10-create").iterdir()) == [
        "step-10.png", "step-11.png", "step-12.png"]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # --check writes none


def test_click_points_follow_the_scroll_in_the_viewport_and_on_the_whole_page(
    tmp_path: Path, browser: Any, app_url: str
) -> None:
    """A window too short for the sign-in form: the button is scrolled to (viewport) or
    taken where the whole page has it (page). Either way the click point is on its blue."""
    guide = ("title: T\ncapture: {{url: {url}, viewport: [800, 300]}}\nsteps:\n"
             "  - text: The whole page\n"
             "    capture: {{scroll_to: '#email', crop: page, highlight: '#sign-in'}}\n"
             "  - text: Click the button below the fold\n"
             "    capture: {{click: '#sign-in'}}\n")
    root = make_project(tmp_path / "p", app_url, guide)
    report = run_capture(root, browser)
    assert report.problems == []
    record = read_record(root / "guides/assets/10-create/capture.yml", "record")
    assert record is not None
    blue = (37, 99, 235)
    with Image.open(root / "guides/assets/10-create/01.png") as whole:
        assert whole.height > 300  # the whole page, taller than the window
        x1, y1, x2, y2 = record.shots[0].highlight[0]
        # The button's blue at its box's left and right ends (its label is white).
        for x in (x1 + 4, x2 - 5):
            assert whole.convert("RGB").getpixel((x, (y1 + y2) // 2)) == blue
    with Image.open(root / "guides/assets/10-create/02.png") as window:
        assert window.size == (800, 300)
        click = record.shots[1].click
        assert click is not None and 0 <= click[1] < 300
        for x in (click[0] - 150, click[0] + 150):  # the 318-pixel-wide button, either side
            assert window.convert("RGB").getpixel((x, click[1])) == blue


def test_a_failed_capture_writes_nothing(captured: Path, browser: Any, app_url: str) -> None:
    guide = captured / "guides/10-create.yml"
    folder = captured / "guides/assets/10-create"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    text = guide.read_text(encoding="utf-8")
    try:
        guide.write_text(text.replace('{click: "#settings"}', '{click: "#setings"}')
                         .replace("scale: 2\n", "scale: 2\n  timeout: 0.5\n"), encoding="utf-8")
        report = run_capture(captured, browser)
    finally:
        guide.write_text(text, encoding="utf-8")
    assert [p.text() for p in report.problems] == [
        f"guides/10-create.yml:31:22: steps[8].capture.click (step 9): '#setings' matches"
        f" nothing visible within 0.5 s on {app_url}#/projects"]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_selector_that_names_several_elements_is_refused(
    tmp_path: Path, browser: Any, app_url: str
) -> None:
    guide = ("title: T\ncapture: {{url: {url}}}\nsteps:\n  - text: Click a button\n"
             "    capture: {{click: input}}\n")
    root = make_project(tmp_path / "p", app_url, guide)
    report = run_capture(root, browser)
    assert [p.text() for p in report.problems] == [
        f"guides/10-create.yml:5:22: steps[0].capture.click (step 1): 'input' matches 2"
        f" visible elements on {app_url}: make it name one"]
    assert not (root / "guides/assets").exists()


def test_a_secret_shown_outside_the_redactions_is_refused(
    tmp_path: Path, browser: Any, app_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signed in with a secret email address, Orbit shows it in its top bar, in the clear."""
    monkeypatch.setenv("TEST_EMAIL", "secret.agent@example.com")
    guide = ("title: T\ncapture: {{url: {url}}}\nsteps:\n"
             "  - text: Email\n    capture: {{fill: {{'#email': '${{TEST_EMAIL}}'}}}}\n"
             "  - text: Password\n    capture: {{fill: {{'#password': x}}}}\n"
             "  - text: Sign in\n    capture: {{click: '#sign-in'}}\n"
             "  - text: Signed in\n    capture: {{wait_for: '#view-projects'}}\n")
    root = make_project(tmp_path / "p", app_url, guide)
    report = run_capture(root, browser)
    assert len(report.problems) == 1
    problem = report.problems[0].text()
    assert problem.startswith("guides/10-create.yml:11:14: steps[3].capture.redact (step 4):"
                              " the page shows a ${NAME} value at (")
    assert problem.endswith("outside every redaction: add a selector that covers it to"
                            " `redact`")
    assert "secret.agent" not in problem
    assert not (root / "guides/assets").exists()


def test_an_unreachable_url_is_said_once(tmp_path: Path, browser: Any) -> None:
    with socket.socket() as probe:  # a port nothing listens on once this closes
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    root = make_project(tmp_path / "p", closed)
    shutil.copy(root / "guides/10-create.yml", root / "guides/20-again.yml")
    report = run_capture(root, browser)
    assert [p.text() for p in report.problems] == [
        f"guides/10-create.yml:5:8: capture.url: cannot reach {closed}:"
        " net::ERR_CONNECTION_REFUSED; nothing was captured (nor for guides/20-again.yml,"
        " which use it too)"]


def test_the_command_captures_checks_and_exits_1_on_changes(
    tmp_path: Path, app_url: str
) -> None:
    """The command as a user runs it: its own process, its own browser (`--browser`)."""
    guide = ("title: T\ncapture: {{url: {url}, viewport: [800, 600]}}\nsteps:\n"
             "  - text: Open it\n    capture: {{goto: /}}\n"
             "  - text: Sign in\n    capture: {{click: '#sign-in'}}\n")
    root = make_project(tmp_path / "p", app_url, guide)

    def guidesmith(*args: str) -> subprocess.CompletedProcess[str]:
        command = [str(Path(sys.executable).with_name("guidesmith")), "capture", *args]
        return subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)

    missing = guidesmith("--browser", str(tmp_path / "no-chromium"))
    assert (missing.returncode, missing.stderr) == (
        1, f"Error: --browser {tmp_path / 'no-chromium'}: no such file\n")
    first = guidesmith()  # Playwright's own Chromium when installed, else the system's
    assert first.returncode == 0, first.stderr
    assert first.stderr == "Captured 1 guide(s), 2 step(s): 2 screenshot(s) written, 0 unchanged.\n"
    folder = root / "guides/assets/10-create"
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    again = guidesmith("--browser", str(CHROMIUM))  # the same pixels: nothing written again
    assert (again.returncode, again.stderr) == (
        0, "Captured 1 guide(s), 2 step(s): 0 screenshot(s) written, 2 unchanged.\n")
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    (folder / "02.png").unlink()
    changed = guidesmith("--check", "--format", "github", "--browser", str(CHROMIUM))
    assert changed.returncode == 1
    assert changed.stdout == (
        "::error file=guides/10-create.yml,line=7,col=14::steps[1].capture (step 2): not"
        " captured before; see .cache/guidesmith/capture-check/10-create/step-02.png\n")
    assert changed.stderr == "Checked 1 guide(s), 2 step(s): 1 changed.\n"
    assert (root / ".cache/guidesmith/capture-check/10-create/step-02.png").is_file()


def test_the_sample_guide_matches_the_demo_app(
    browser: Any, app_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The repository's captured guide is what `make capture` would take today."""
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    monkeypatch.setenv("DEMO_TOKEN", TOKEN)
    report = capture([REPO / "guides/03-create-a-project.yml"], REPO, REPO / "guides",
                     CaptureOptions(check=True, url=app_url, diff_dir=tmp_path), browser=browser)
    assert report.problems == []
    assert [error.text() for error in report.changed] == []


def test_missing_secrets_are_named_before_any_browser_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEST_TOKEN")
    root = make_project(tmp_path / "p", "http://127.0.0.1:9/")
    with pytest.raises(GuideErrors) as info:
        run_capture(root, browser=object())  # never used: nothing gets that far
    assert [e.text() for e in info.value.errors] == [
        "guides/10-create.yml:32:32: steps[9].capture.fill['#token'] (step 10): the"
        " environment variable TEST_TOKEN is not set"]


def test_without_playwright_the_command_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(tmp_path / "p", "http://127.0.0.1:9/")
    monkeypatch.setitem(sys.modules, "playwright", None)
    result = CliRunner().invoke(main, ["capture", "--config-file", str(root / "mkdocs.yml")])
    assert result.exit_code == 1
    assert result.output == ("Error: guidesmith capture needs Playwright, which is not installed:"
                             " pip install 'guidesmith[capture]'\n")


def test_no_guide_to_capture_is_said(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", "http://127.0.0.1:9/",
                        "title: T\nsteps:\n  - text: x\n")
    with pytest.raises(CaptureError, match="no guide in guides has steps with `capture:`"):
        run_capture(root, browser=object())


def test_progress_shows_on_a_terminal_and_nowhere_else(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    shown = io.StringIO()
    guide = SimpleNamespace(display="guides/10-create.yml")
    with terminal_progress(Console(file=shown, force_terminal=True, width=120)) as advance:
        assert advance is not None
        advance(guide, 0, 2, "step 1: Open Orbit")
        advance(guide, 2, 2, "done")
    assert "guides/10-create.yml" in shown.getvalue() and "2/2" in shown.getvalue()
    with terminal_progress(Console(file=io.StringIO(), force_terminal=False)) as advance:
        assert advance is None  # piped or in CI: quiet, the summary line only
    monkeypatch.setenv("CI", "true")
    with terminal_progress(Console(file=io.StringIO(), force_terminal=True)) as advance:
        assert advance is None
