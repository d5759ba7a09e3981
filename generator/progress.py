"""How far a long command has got: counts for a person at a terminal, nothing anywhere else.

A build reports its long phases (screenshots read or downloaded, step images rendered, pages
and PDFs laid out) to a Meter as counts. The commands show them as rich progress bars only
on an interactive terminal outside CI; a pipe, a log file or a CI job gets no bars, and the
bars leave nothing behind when they are done. `guidesmith capture` asks the same question
before it draws its own bars.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

# Called with how many more are done; safe to call from any thread.
Advance = Callable[[int], None]


class Meter(Protocol):
    """Where a command says how far it has got."""

    def phase(self, name: str, total: int) -> Advance:
        """A phase of `total` things to do; returns what to call as they get done."""
        ...


class Quiet:
    """Says nothing: the meter of a build nobody watches."""

    def phase(self, name: str, total: int) -> Advance:
        return _nothing


def _nothing(done: int) -> None:
    return None


QUIET = Quiet()


def shows_progress(console: Console) -> bool:
    """Whether progress bars are for this output: an interactive terminal, not CI."""
    return console.is_terminal and not os.environ.get("CI")


class _Bars:
    """A Meter drawn as one rich bar a phase."""

    def __init__(self, bars: Progress) -> None:
        self.bars = bars

    def phase(self, name: str, total: int) -> Advance:
        if total <= 0:
            return _nothing
        task = self.bars.add_task(name, total=total)
        return lambda done: self.bars.advance(task, done)  # rich's advance takes its lock


@contextmanager
def terminal_meter(console: Console) -> Iterator[Meter]:
    """Bars on `console` while the block runs, when it is a terminal; else Quiet."""
    if not shows_progress(console):
        yield QUIET
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bars:
        yield _Bars(bars)
