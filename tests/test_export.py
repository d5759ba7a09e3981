"""`guidesmith markdown`: the guides as plain docs files that MkDocs and Zensical build."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin

import pytest
from click.testing import CliRunner
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config

from generator.cli import main
from generator.export import MARKER_FILE

GUIDES = {"10-first-guide": ["step-01.jpg", "step-03.jpg"], "05-second-guide": ["step-01.png"]}
# A site without the plugin: the export is all the docs there are.
PLAIN_CONFIG = """\
site_name: Exported
docs_dir: {docs}
site_dir: {site}
theme:
  name: material
markdown_extensions:
  - admonition
  - attr_list
"""


def export(root: Path, out: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["markdown", "--config-file", str(root / "mkdocs.yml"), "--out", str(out), *args]
    )
    return result.exit_code, result.output


def plain_site(tmp_path: Path, docs: Path) -> Path:
    """A config beside the export (Zensical wants docs_dir relative to it)."""
    config = tmp_path / "plain.yml"
    config.write_text(PLAIN_CONFIG.format(docs=docs.relative_to(tmp_path), site="site"))
    return config


def assert_every_guide_page_shows_its_images(site: Path) -> None:
    """Each guide's page exists, and every image and download it links to is in the site."""
    for slug, images in GUIDES.items():
        page = site / slug / "index.html"
        html = page.read_text()
        base = page.relative_to(site).as_posix()
        shown = re.findall(r'<img src="([^"]+)"', html)
        links = re.findall(r'href="([^"]+\.(?:pdf|html))" download', html)
        resolved = {urljoin(base, url) for url in shown + links}
        assert resolved == {f"{slug}/{name}" for name in images} | {
            f"{slug}/{slug}.html", f"{slug}/{slug}.pdf"}, (slug, shown, links)
        for rel in resolved:
            assert (site / rel).is_file(), rel
    assert (site / "handout.pdf").read_bytes().startswith(b"%PDF")


@pytest.fixture
def root(project: Callable[[str], Path]) -> Path:
    root = project("basic")
    (root / "guides/about.md").write_text("# About\n\nA page of our own.\n")
    (root / "guides/assets/logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    return root


def test_the_export_holds_pages_images_companions_and_other_docs(
    root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code, output = export(root, out, "--for", "mkdocs")
    assert code == 0, output
    assert "2 guide page(s), 3 image(s), 5 standalone page(s)/PDF(s), 3 other file(s)" in output
    found = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert found == sorted([
        MARKER_FILE, "index.md", "about.md", "assets/logo.svg", "handout.pdf",
        "assets/stylesheets/guidesmith-palette.css",  # the site's palette, as the plugin's
        "05-second-guide.md", "05-second-guide/step-01.png",
        "05-second-guide/05-second-guide.html", "05-second-guide/05-second-guide.pdf",
        "10-first-guide.md", "10-first-guide/step-01.jpg", "10-first-guide/step-03.jpg",
        "10-first-guide/10-first-guide.html", "10-first-guide/10-first-guide.pdf",
    ])
    page = (out / "10-first-guide.md").read_text()
    assert page.startswith("# First guide\n")
    assert '<img src="step-01.jpg"' in page  # as the plugin writes it for MkDocs


def test_plain_mkdocs_builds_the_export(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert export(root, out, "--for", "mkdocs")[0] == 0
    mkdocs_build(load_config(str(plain_site(tmp_path, out))))
    site = tmp_path / "site"
    assert_every_guide_page_shows_its_images(site)
    assert (site / "about/index.html").is_file()
    assert not list(site.rglob("*.yml"))


@pytest.mark.skipif(importlib.util.find_spec("zensical") is None,
                    reason="zensical is not installed")
def test_zensical_builds_the_export(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, output = export(root, out)  # --for zensical is the default
    assert code == 0, output
    assert '<img src="10-first-guide/step-01.jpg"' in (out / "10-first-guide.md").read_text()
    zensical = Path(sys.executable).parent / "zensical"
    done = subprocess.run(
        [str(zensical), "build", "--config-file", str(plain_site(tmp_path, out))],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    site = tmp_path / "site"
    assert_every_guide_page_shows_its_images(site)
    assert (site / "about/index.html").is_file()


def test_a_second_export_replaces_the_first(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert export(root, out)[0] == 0
    (root / "guides/05-second-guide.yml").unlink()
    code, output = export(root, out)
    assert code == 0, output
    assert not (out / "05-second-guide.md").exists()
    assert not (out / "05-second-guide").exists()
    assert (out / "10-first-guide.md").is_file()


def test_a_folder_it_did_not_write_is_refused(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.md").write_text("keep me")
    code, output = export(root, out)
    assert code == 1
    assert (f"Error: {out} is not empty and was not written by `guidesmith markdown`: "
            "choose a new or empty folder") in output
    assert (out / "notes.md").read_text() == "keep me"
    code, output = export(root, root / "guides/out")
    assert code == 1
    assert "overlaps the docs folder" in output


def test_a_bad_guide_leaves_the_export_as_it_was(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert export(root, out)[0] == 0
    before = (out / "10-first-guide.md").read_text()
    guide = root / "guides/10-first-guide.yml"
    guide.write_text(guide.read_text().replace("crop: [100, 50, 500, 350]", "crop: [100, 50]"))
    code, output = export(root, out)
    assert code == 1
    assert "guides/10-first-guide.yml:15:13: steps[0].image.crop: expected 4 integers" in output
    assert f"Error: 1 error(s); {out} was left as it was" in output
    assert (out / "10-first-guide.md").read_text() == before
