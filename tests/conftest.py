"""Shared fixtures: small projects copied to tmp_path, screenshots drawn with Pillow."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw

from generator.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = FIXTURES.parents[1]


def cli(*args: str) -> tuple[int, list[str]]:
    """`guidesmith ARGS` in this process: its exit code and the lines it printed."""
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output.splitlines()


def cli_ok(*args: str) -> str:
    """`guidesmith ARGS`, which must succeed: what it printed."""
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def build_ok(root: Path, *args: str) -> str:
    """`guidesmith build` of the project at `root`, which must succeed: what it printed."""
    return cli_ok("build", "--config-file", str(root / "mkdocs.yml"), *args)


def draw_screenshot(path: Path, size: tuple[int, int], colour: str = "#3B82F6") -> Path:
    """A screenshot-like PNG: white page, a coloured top bar, a grid of grey boxes."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.rectangle((0, 0, width, max(4, height // 12)), fill=colour)
    for x in range(width // 10, width, width // 4):
        for y in range(height // 5, height, height // 4):
            draw.rectangle((x, y, x + width // 6, y + height // 8), fill="#D1D5DB")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def make_project(where: Path, name: str = "basic") -> Path:
    """Copy tests/fixtures/projects/NAME into `where` and draw the screenshots it uses."""
    root = where / name
    shutil.copytree(FIXTURES / "projects" / name, root)
    if name == "basic":
        draw_screenshot(root / "guides/assets/first/01.png", (640, 400))
        draw_screenshot(root / "guides/assets/first/02.png", (300, 200), "#10B981")
        draw_screenshot(root / "guides/assets/second/01.png", (320, 240), "#F59E0B")
    return root


@pytest.fixture
def project(tmp_path: Path) -> Callable[[str], Path]:
    """Copy tests/fixtures/projects/NAME to tmp_path and draw the screenshots it uses."""
    return lambda name="basic": make_project(tmp_path, name)


SECOND_GUIDE = "guides/05-second-guide.yml"
SECOND_SHOT = "assets/second/01.png"


def serve_second_screenshot(root: Path, httpserver, *, rewrite: bool = True) -> tuple[str, bytes]:
    """Serve the basic project's second-guide screenshot at /shot.png and (unless told
    not to) point that guide at the URL; return the URL and the bytes served."""
    served = (root / "guides" / SECOND_SHOT).read_bytes()
    httpserver.expect_request("/shot.png").respond_with_data(served, content_type="image/png")
    url = httpserver.url_for("/shot.png")
    if rewrite:
        guide = root / SECOND_GUIDE
        guide.write_text(guide.read_text().replace(f"src: {SECOND_SHOT}", f"src: {url}"))
    return url, served


@pytest.fixture(scope="session")
def clean_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a clone holds for building guidesmith, copied: builds write into it, and must
    not write into the repository (nor find a stale egg-info there)."""
    copy = tmp_path_factory.mktemp("clone") / "guidesmith"
    copy.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, copy / name)
    shutil.copytree(ROOT / "generator", copy / "generator",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return copy


# -- a browser, and folders served on loopback, for the tests that look in Chromium ----------

CHROMIUM = Path("/usr/bin/chromium")  # Debian's: nothing here can download a browser build
REPO = Path(__file__).resolve().parents[1]


def load_script(path: Path, name: str) -> Any:
    """A script of the repository (demo/, scripts/: not packages) loaded as module `name`."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# demo/serve.py serves a folder on 127.0.0.1 (for the demo app, and for sites).
demo_serve = load_script(REPO / "demo" / "serve.py", "demo_serve")
serving = demo_serve.serving  # serving(folder) -> a context yielding its http://127.0.0.1 URL


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for one test module (Playwright's sync API: one at a time)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        launched.close()
