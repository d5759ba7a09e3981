"""`guidesmith build --engine zensical`: Zensical builds the same site contract, images shown."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import build_ok as build
from conftest import make_project, serving

from generator.cli import main

pytestmark = pytest.mark.skipif(importlib.util.find_spec("zensical") is None,
                                reason="zensical is not installed")
CONTRACT = {
    "10-first-guide/index.html", "10-first-guide/step-01.jpg", "10-first-guide/step-03.jpg",
    "10-first-guide/10-first-guide.html", "10-first-guide/10-first-guide.pdf",
    "05-second-guide/index.html", "05-second-guide/step-01.png",
    "05-second-guide/05-second-guide.html", "05-second-guide/05-second-guide.pdf",
    "handout.pdf", "index.html",
}


def files(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The basic project built by Zensical (module scope: the tests below only read it)."""
    root = make_project(tmp_path_factory.mktemp("zensical"))
    output = build(root, "--engine", "zensical")
    assert "2 guide(s), 3 image(s) rendered" in output
    return root


def test_zensical_writes_the_output_contract_and_no_guide_input(built: Path) -> None:
    site = files(built / "site")
    assert site >= CONTRACT
    assert not any(name.endswith(".yml") or name.startswith("assets/first") for name in site)
    assert not (built / ".guidesmith-zensical.yml").exists()  # lived for the build only


def test_zensical_and_mkdocs_publish_the_same_guide_files(
    built: Path, project: Callable[[str], Path]
) -> None:
    other = project("basic")
    build(other)
    guide_files = {name for name in files(other / "site") if name.split("/")[0] in (
        "10-first-guide", "05-second-guide") or name == "handout.pdf"}
    assert guide_files <= files(built / "site")


def test_a_bad_guide_keeps_the_zensical_site_as_it_was(built: Path, tmp_path: Path) -> None:
    root = tmp_path / "copy"
    shutil.copytree(built, root)
    before = files(root / "site")
    guide = root / "guides/10-first-guide.yml"
    guide.write_text(guide.read_text().replace("crop: [100, 50, 500, 350]", "crop: [1, 2]"))
    result = CliRunner().invoke(main, ["build", "--config-file", str(root / "mkdocs.yml"),
                                       "--engine", "zensical"])
    assert result.exit_code == 1
    assert "guides/10-first-guide.yml:15:13: steps[0].image.crop: expected 4 integers" in (
        result.output)
    assert files(root / "site") == before


@pytest.fixture(scope="module")
def served(built: Path) -> Iterator[str]:
    with serving(built / "site") as url:
        yield url


@pytest.mark.parametrize("slug", ["10-first-guide", "05-second-guide"])
def test_every_step_image_shows_in_chromium(browser: Any, served: str, slug: str) -> None:
    page = browser.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    page.goto(f"{served}{slug}/", wait_until="networkidle")
    images: list[dict[str, Any]] = page.eval_on_selector_all(
        ".gs-step img", "els => els.map(e => ({src: e.currentSrc, w: e.naturalWidth}))")
    downloads = page.eval_on_selector_all("a[download]", "els => els.map(e => e.href)")
    page.close()
    assert images and all(image["w"] > 0 for image in images), images
    assert [url.rsplit("/", 1)[1] for url in downloads] == [f"{slug}.html", f"{slug}.pdf"]
    assert [url for url in failed if served in url] == []
