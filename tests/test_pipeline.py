"""pipeline.Build: the one hub. Every front end publishes the same files, in the same order."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import cli_ok as run
from conftest import draw_screenshot
from pypdf import PdfReader

import generator
from generator.loader import load_guide
from generator.pipeline import series_order

SECRET = "shots/secret.png"
# Files of the docs folder that are not guide inputs: theme images, a logo, a page.
PUBLISHED = {
    "assets/images/favicon.png", "assets/logo.png", "index.md", "about.md", "assets/notes.yml",
}


@pytest.fixture
def root(project: Callable[[str], Path]) -> Path:
    """The basic project, its second guide's screenshot outside assets/, and other files."""
    root = project("basic")
    guides = root / "guides"
    (guides / "assets/second/01.png").unlink()
    draw_screenshot(guides / SECRET, (320, 240), "#F59E0B")
    guide = guides / "05-second-guide.yml"
    guide.write_text(guide.read_text().replace("assets/second/01.png", SECRET))
    draw_screenshot(guides / "assets/images/favicon.png", (32, 32))
    draw_screenshot(guides / "assets/logo.png", (64, 32))
    (guides / "about.md").write_text("# About\n")
    (guides / "assets/notes.yml").write_text("not: a guide\n")
    return root


def docs_files_in(out: Path, root: Path) -> set[str]:
    """Which files of the docs folder (other than guides) are in an output folder."""
    docs = root / "guides"
    found = set()
    for path in docs.rglob("*"):
        uri = path.relative_to(docs).as_posix()
        if path.is_file() and (out / uri).is_file():
            found.add(uri)
    return found


def test_build_and_markdown_publish_the_same_docs_files(root: Path, tmp_path: Path) -> None:
    run("build", "--config-file", str(root / "mkdocs.yml"))
    run("markdown", "--config-file", str(root / "mkdocs.yml"), "--out", str(tmp_path / "md"))
    site = docs_files_in(root / "site", root)
    exported = docs_files_in(tmp_path / "md", root)
    assert SECRET not in exported and SECRET not in site
    assert exported == PUBLISHED
    assert site == PUBLISHED - {"index.md", "about.md"}  # MkDocs makes pages of them


def test_the_handout_and_the_navigation_agree_on_the_order(
    project: Callable[[str], Path],
) -> None:
    root = project("basic")
    # A guide without a chapter, ordered between the two guides of "Chapter 1: Basics".
    loose = "title: Loose guide\norder: 7\nsteps:\n  - text: Hi\n"
    (root / "guides/07-loose.yml").write_text(loose)
    run("build", "--config-file", str(root / "mkdocs.yml"))
    outline = PdfReader(root / "site/handout.pdf").outline
    top = [item.title for item in outline if not isinstance(item, list)]
    assert top == ["Chapter 1: Basics", "Loose guide"]  # the chapter is not split in two
    chapter = [item.title for item in outline[1] if not isinstance(item, list)]
    assert chapter == ["Second guide", "First guide"]
    html = (root / "site/index.html").read_text()
    nav = html[html.index('class="md-nav__list"'):]
    places = [nav.index(title) for title in ("Chapter 1: Basics", "Second guide",
                                              "First guide", "Loose guide")]
    assert places == sorted(places)


def test_series_order_keeps_a_chapter_together_where_its_first_guide_is(tmp_path: Path) -> None:
    def guide(name: str, order: int, chapter: str | None) -> Path:
        path = tmp_path / f"{name}.yml"
        path.write_text(f"title: {name}\norder: {order}\n"
                        + (f"chapter: {chapter}\n" if chapter else "")
                        + "steps:\n  - text: x\n")
        return path

    paths = [guide("a", 1, "One"), guide("b", 2, None), guide("c", 3, "Two"),
             guide("d", 4, "One"), guide("e", 5, "Two"), guide("f", 6, None)]
    order = [g.slug for g in series_order(load_guide(p, tmp_path) for p in paths)]
    assert order == ["a", "d", "b", "c", "e", "f"]


def test_an_edited_template_remakes_the_pages_and_pdfs_it_lays_out(
    project: Callable[[str], Path], tmp_path: Path
) -> None:
    """As after an upgrade of guidesmith: the cache never serves a page of the old template."""
    root = project("basic")
    package = tmp_path / "installed"
    shutil.copytree(Path(generator.__file__).parent, package / "generator",
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(package)}

    def build() -> str:
        done = subprocess.run(
            [sys.executable, "-c", "from generator.launch import main; main()", "build"],
            cwd=root, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stderr

    build()
    page = root / "site/10-first-guide/10-first-guide.html"
    pdf = root / "site/10-first-guide/10-first-guide.pdf"
    before = page.read_text(), pdf.read_bytes()
    with (package / "generator/templates/standalone.css").open("a") as css:
        css.write("\n.gs-edited-template { color: red; }\n")
    with (package / "generator/templates/print.css").open("a") as css:
        css.write("\nh1 { letter-spacing: 2pt; }\n")
    assert "0 image(s) rendered" in build()
    assert ".gs-edited-template" in page.read_text() and page.read_text() != before[0]
    assert pdf.read_bytes() != before[1]


def test_the_home_page_lists_every_guide_by_chapter_on_every_build(
    project: Callable[[str], Path], tmp_path: Path
) -> None:
    root = project("basic")
    home = root / "guides/index.md"
    home.write_text("# Fixture site\n\nRight before it.<!-- guidesmith:series -->The end.\n")
    (root / "guides/07-loose.yml").write_text(
        "title: Loose <guide>\norder: 7\nsteps:\n  - text: Hi\n")
    run("build", "--config-file", str(root / "mkdocs.yml"))
    html = (root / "site/index.html").read_text()
    body = html[html.index("<h1"):html.index("The end.")]
    assert "guidesmith:series" not in html
    assert '<p>Right before it.</p>' in body and '<h2 id="chapter-1-basics">' in body
    # Chapter 1's two guides (order 5, 10), then the loose one, each with its files.
    assert [body.index(text) for text in ("Chapter 1: Basics", "Second guide", "First guide",
                                          "Loose &lt;guide&gt;")] == sorted(
        body.index(text) for text in ("Chapter 1: Basics", "Second guide", "First guide",
                                      "Loose &lt;guide&gt;"))
    assert 'href="10-first-guide/">First guide</a> · 3 steps' in body, body
    assert 'href="10-first-guide/10-first-guide.pdf">PDF</a>' in body
    assert 'href="05-second-guide/05-second-guide.html">standalone page</a>' in body
    assert 'href="handout.pdf">handout (PDF)</a>' in body
    # Kept current: a new guide is listed on the next build, here and in the export.
    (root / "guides/20-new.yml").write_text("title: Brand new\norder: 20\nsteps:\n  - text: x\n")
    run("build", "--config-file", str(root / "mkdocs.yml"))
    assert "Brand new</a> · 1 step" in (root / "site/index.html").read_text()
    run("markdown", "--config-file", str(root / "mkdocs.yml"), "--out", str(tmp_path / "md"))
    exported = (tmp_path / "md/index.md").read_text()
    assert "- [Brand new](20-new.md) · 1 step · [standalone page](20-new/20-new.html)" in exported
