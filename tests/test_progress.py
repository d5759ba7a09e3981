"""generator.progress: a build says how far it has got; bars only for a person at a terminal."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from generator.pipeline import Build, BuildOptions, Project
from generator.progress import QUIET, Advance, terminal_meter


class Recorder:
    """A Meter that remembers each phase's total and how much of it got done."""

    def __init__(self) -> None:
        self.phases: dict[str, list[int]] = {}
        self.lock = threading.Lock()

    def phase(self, name: str, total: int) -> Advance:
        self.phases[name] = [total, 0]

        def advance(done: int) -> None:
            with self.lock:
                self.phases[name][1] += done

        return advance


def test_a_cold_build_counts_every_phase_to_its_end(project: Callable[[str], Path]) -> None:
    root = project("basic")
    meter = Recorder()
    build = Build(Project(root, root / "guides", root / ".cache/guidesmith", "Site"),
                  BuildOptions(workers=1), meter)
    try:
        build.start()
        build.finish()
    finally:
        build.close()
    assert meter.phases == {
        "Reading screenshots": [3, 3],
        "Rendering step images": [3, 3],
        "Laying out pages and PDFs": [5, 5],  # 2 standalone pages, 2 PDFs, the handout
    }


def test_bars_show_on_a_terminal_and_nowhere_else(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    out = io.StringIO()
    with terminal_meter(Console(file=out, force_terminal=True, width=80)) as meter:
        assert meter is not QUIET
        advance = meter.phase("Rendering step images", 2)
        advance(2)
    assert "Rendering step images" in out.getvalue()
    with terminal_meter(Console(file=io.StringIO(), force_terminal=False)) as meter:
        assert meter is QUIET  # a pipe, a log file
    monkeypatch.setenv("CI", "true")
    with terminal_meter(Console(file=io.StringIO(), force_terminal=True)) as meter:
        assert meter is QUIET  # a CI job's log
