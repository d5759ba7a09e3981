"""End to end: `guidesmith build` on a small project, as an author runs it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_project, serve_second_screenshot
from PIL import Image
from pypdf import PdfReader

from generator.cli import main


def build(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["build", "--config-file", str(root / "mkdocs.yml"), *args])
    return result.exit_code, result.output


@pytest.fixture
def built(project: Callable[[str], Path]) -> Path:
    root = project("basic")
    code, output = build(root)
    assert code == 0, output
    return root


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build for the tests that only read what it made."""
    root = make_project(tmp_path_factory.mktemp("read-only"))
    code, output = build(root)
    assert code == 0, output
    return root / "site"


def test_pages_images_and_companions_are_where_the_contract_says(site: Path) -> None:
    for slug in ("10-first-guide", "05-second-guide"):
        assert (site / slug / "index.html").is_file()
        assert (site / slug / f"{slug}.html").is_file()
        assert (site / slug / f"{slug}.pdf").read_bytes().startswith(b"%PDF")
    assert (site / "handout.pdf").read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in (site / "10-first-guide").glob("step-*")) == [
        "step-01.jpg", "step-03.jpg"]
    assert [p.name for p in (site / "05-second-guide").glob("step-*")] == ["step-01.png"]


def test_step_images_have_the_cropped_and_resized_size(site: Path) -> None:
    with Image.open(site / "10-first-guide/step-01.jpg") as first:
        assert (first.format, first.size) == ("JPEG", (200, 150))  # crop 400x300 -> width 200
    with Image.open(site / "10-first-guide/step-03.jpg") as second:
        assert second.size == (200, 133)  # no crop: 300x200 -> round(200 * 200 / 300)
    with Image.open(site / "05-second-guide/step-01.png") as png:
        assert (png.format, png.size) == ("PNG", (320, 240))  # no width: unchanged


def test_the_marker_is_drawn_where_the_pad_says(site: Path) -> None:
    with Image.open(site / "10-first-guide/step-01.jpg") as image:
        # Marker 72x72 from (10, 20): its centre (46, 56) is the marker's orange.
        r, g, b = image.convert("RGB").getpixel((46, 56))
        assert r > 200 and 100 < g < 190 and b < 120, (r, g, b)


def test_page_lists_numbered_steps_sections_callouts_and_alt_text(site: Path) -> None:
    html = (site / "10-first-guide/index.html").read_text()
    assert 'id="step-1"' in html and 'id="step-3"' in html and 'id="step-4"' not in html
    assert "Do the thing" in html and "<kbd>Enter</kbd>" in html
    assert 'class="admonition tip"' in html and 'class="admonition danger"' in html
    assert 'src="step-01.jpg"' in html and 'width="200" height="150"' in html
    assert 'alt="Step 1: Open the site"' in html
    assert "Open the original guide" in html and "https://example.com/shared/first-guide" in html
    assert 'href="10-first-guide.pdf"' in html and 'href="10-first-guide.html"' in html


def test_navigation_follows_chapter_and_order(site: Path) -> None:
    html = (site / "index.html").read_text()
    nav = html[html.index('class="md-nav md-nav--primary"'):]
    assert nav.index("Chapter 1: Basics") < nav.index("Second guide") < nav.index("First guide")


def test_the_handout_numbers_every_page_after_the_cover_of_the_total(site: Path) -> None:
    """Its front, page numbers and assembly are jobs of their own, in parallel lanes."""
    pages = [page.extract_text() for page in PdfReader(site / "handout.pdf").pages]
    total = len(pages)
    assert total > 3
    assert [re.findall(r"\b\d+ / \d+\b", text) for text in pages] == [[]] + [
        [f"{number} / {total}"] for number in range(2, total + 1)]


def test_source_screenshots_and_guide_files_are_not_published(site: Path) -> None:
    assert not (site / "assets/first").exists()
    assert not list(site.rglob("*.yml"))


def test_a_second_build_renders_nothing(built: Path) -> None:
    code, output = build(built)
    assert code == 0, output
    assert "0 image(s) rendered" in output


def test_a_changed_crop_renders_one_image(built: Path) -> None:
    guide = built / "guides/10-first-guide.yml"
    guide.write_text(guide.read_text().replace("[100, 50, 500, 350]", "[100, 50, 500, 351]"))
    code, output = build(built)
    assert code == 0, output
    assert "1 image(s) rendered" in output


def test_a_bad_guide_fails_with_its_line_and_keeps_the_previous_site(built: Path) -> None:
    before = (built / "site/10-first-guide/index.html").read_bytes()
    guide = built / "guides/10-first-guide.yml"
    guide.write_text(guide.read_text().replace("crop: [100, 50, 500, 350]", "crop: [100, 50]"))
    code, output = build(built)
    assert code == 1
    assert "guides/10-first-guide.yml:15:13: steps[0].image.crop: expected 4 integers" in output
    assert "Traceback" not in output
    assert (built / "site/10-first-guide/index.html").read_bytes() == before


def test_a_missing_screenshot_names_the_step(built: Path) -> None:
    (built / "guides/assets/first/02.png").unlink()
    code, output = build(built)
    assert code == 1
    assert "steps[3].image.src (step 3): local file not found: guides/assets/first/02.png" in output


def test_placeholders_stand_in_for_missing_screenshots(built: Path) -> None:
    (built / "guides/assets/first/01.png").unlink()
    code, output = build(built, "--placeholders")
    assert code == 0, output
    assert "rendered a placeholder" in output
    with Image.open(built / "site/10-first-guide/step-01.jpg") as image:
        assert image.size == (200, 150)


def test_remote_screenshots_are_downloaded_once(project: Callable[[str], Path], httpserver) -> None:
    root = project("basic")
    serve_second_screenshot(root, httpserver)
    assert build(root)[0] == 0
    assert build(root, "--offline")[0] == 0
    assert len(httpserver.log) == 1
    with Image.open(root / "site/05-second-guide/step-01.png") as image:
        assert image.size == (320, 240)


def test_check_reports_problems_without_writing(project: Callable[[str], Path]) -> None:
    root = project("basic")
    guide = root / "guides/05-second-guide.yml"
    guide.write_text(guide.read_text().replace("format: png", "format: gif"))
    result = CliRunner().invoke(main, ["check", "--config-file", str(root / "mkdocs.yml")])
    assert result.exit_code == 1
    assert (
        "guides/05-second-guide.yml:8:15: steps[0].image.format: "
        "expected one of: jpeg, png, webp; got 'gif'"
    ) in result.output
    assert not (root / "site").exists()


def test_hostile_text_is_shown_never_run_anywhere_in_the_site(
    project: Callable[[str], Path],
) -> None:
    root = project("basic")
    guide = root / "guides/10-first-guide.yml"
    text = guide.read_text()
    text = text.replace("title: First guide", 'title: "</title><script>alert(1)</script> First"')
    text = text.replace('chapter: "Chapter 1: Basics"', 'chapter: "<img src=x onerror=alert(2)>"')
    text = text.replace("section: Do the thing", 'section: "<script>alert(3)</script>"')
    text = text.replace(
        "text: Press [[Enter]]", 'text: "<script>alert(4)</script> [x](javascript:alert(5))"'
    )
    guide.write_text(text)
    code, output = build(root)
    assert code == 0, output
    pages = [p for p in (root / "site").rglob("*.html")]
    assert len(pages) >= 4
    for page in pages:
        html = page.read_text()
        for needle in ("<script>alert", "<img src=x", "javascript:alert", "</title><script>"):
            assert needle not in html, (page, needle)
    page = (root / "site/10-first-guide/index.html").read_text()
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in page  # shown as text


def test_a_javascript_source_link_is_dropped_from_every_page(
    project: Callable[[str], Path],
) -> None:
    root = project("basic")
    guide = root / "guides/10-first-guide.yml"
    guide.write_text(guide.read_text().replace(
        "source: https://example.com/shared/first-guide", "source: javascript:alert(9)"))
    code, output = build(root)
    assert code == 0, output
    for page in ("10-first-guide/index.html", "10-first-guide/10-first-guide.html"):
        html = (root / "site" / page).read_text()
        assert "javascript:alert(9)" not in html
        assert "Open the original guide" not in html


def test_transform_warnings_reach_the_author_on_every_build(
    project: Callable[[str], Path],
) -> None:
    root = project("basic")
    guide = root / "guides/10-first-guide.yml"
    # A click far outside the crop: the transform's geometry tells, cached or not.
    guide.write_text(guide.read_text().replace(
        "marker: {pad: [10, 20]}", "marker: {click: [5000, 5000]}"))
    first = build(root)
    second = build(root)  # from the cache: the warning is not lost
    for code, output in (first, second):
        assert code == 0, output
        assert (
            "guides/10-first-guide.yml:16:23: warning: steps[0].image.marker.click (step 1): "
            "marker click (5000, 5000) is outside the crop box (100, 50, 500, 350)"
        ) in output


def test_screenshots_outside_assets_are_not_published_either(
    project: Callable[[str], Path],
) -> None:
    root = project("basic")
    (root / "guides/shots").mkdir()
    (root / "guides/assets/second/01.png").rename(root / "guides/shots/second.png")
    guide = root / "guides/05-second-guide.yml"
    guide.write_text(guide.read_text().replace("assets/second/01.png", "shots/second.png"))
    code, output = build(root)
    assert code == 0, output
    assert (root / "site/05-second-guide/step-01.png").is_file()
    assert not (root / "site/shots").exists()


def test_the_environment_switches_offline_and_placeholders_on(
    project: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project("basic")
    guide = root / "guides/05-second-guide.yml"
    guide.write_text(guide.read_text().replace(
        "src: assets/second/01.png", "src: https://screenshots.invalid/01.png"))
    monkeypatch.setenv("GUIDESMITH_OFFLINE", "1")  # what `guidesmith serve --offline` sets
    code, output = build(root)
    assert code == 1
    assert "offline: https://screenshots.invalid/01.png is not in the download cache" in output
    monkeypatch.setenv("GUIDESMITH_PLACEHOLDERS", "yes")
    code, output = build(root)
    assert code == 0, output
    assert "rendered a placeholder" in output
