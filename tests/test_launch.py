"""The `guidesmith` command as installed: its output and exit code survive the quick exit."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

GUIDESMITH = Path(sys.executable).parent / "guidesmith"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(GUIDESMITH), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_a_build_prints_its_summary_and_exits_zero(project: Callable[[str], Path]) -> None:
    root = project("basic")
    done = run("build", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "Built " in done.stdout + done.stderr
    assert (root / "site/handout.pdf").is_file()
    assert (root / "site/10-first-guide/step-01.jpg").is_file()


def test_a_failing_command_exits_one_with_its_message_and_no_traceback(tmp_path: Path) -> None:
    done = run("build", "--config-file", "missing.yml", cwd=tmp_path)
    assert done.returncode == 1
    assert "missing.yml not found" in done.stderr
    assert "Traceback" not in done.stderr


def test_version_goes_to_standard_output(tmp_path: Path) -> None:
    done = run("--version", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.startswith("guidesmith, version ")


def test_a_build_with_its_output_closed_still_builds_and_exits_zero(
    project: Callable[[str], Path],
) -> None:
    root = project("basic")
    done = subprocess.run(["sh", "-c", f"'{GUIDESMITH}' build >&-"], cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert (root / "site/handout.pdf").is_file()
