"""The MkDocs plugin: the same site from `mkdocs build`, from ProperDocs, and its options."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main

BIN = Path(sys.executable).parent
CONTRACT = {
    "10-first-guide/index.html", "10-first-guide/step-01.jpg", "10-first-guide/step-03.jpg",
    "10-first-guide/10-first-guide.html", "10-first-guide/10-first-guide.pdf",
    "05-second-guide/index.html", "05-second-guide/step-01.png", "handout.pdf",
}


def site_files(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}


@pytest.mark.parametrize("engine", ["mkdocs", "properdocs"])
def test_the_plugin_builds_the_contract_under_each_host(
    project: Callable[[str], Path], engine: str
) -> None:
    if not (BIN / engine).exists():
        pytest.skip(f"{engine} is not installed")
    root = project("basic")
    done = subprocess.run([str(BIN / engine), "build", "-f", "mkdocs.yml"], cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "remade 3 step image(s) and 5 page(s)/PDF(s) of " in done.stderr
    files = site_files(root / "site")
    assert files >= CONTRACT
    assert not [name for name in files if name.endswith(".yml") or "assets/first" in name]


def test_a_bad_option_is_one_clear_line(project: Callable[[str], Path]) -> None:
    root = project("basic")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text().replace("  - guidesmith", "  - guidesmith:\n"
                                                 "      paper: a5"))
    result = CliRunner().invoke(main, ["build", "--config-file", str(config)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {config}: 'plugins': Plugin 'guidesmith' option 'paper': Expected one of: "
        "('a4', 'letter') but received: 'a5'; fix it in mkdocs.yml\n")
