"""`guidesmith capture`: run guides' capture scripts in a browser; keep what changed.

For each guide with captured steps: load it (its own YAML is never written), read the
`${NAME}` values from the environment, drive the browser through its steps (browser.py),
then, only when every step was taken, write the screenshots whose pixels changed and the
capture record. A failure writes nothing, so the committed screenshots stay whole.

`--check` takes the same screenshots but writes none of them: it compares each with the
committed one and its geometry with the record, says which steps changed and by how
much, and draws a difference picture of each.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PIL import Image as PILImage
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from generator.capture import DEFAULT_THRESHOLD, compare
from generator.capture.browser import (
    BrowserUnavailable,
    Session,
    StepFailure,
    Taken,
    Unreachable,
    launched,
)
from generator.capture.record import (
    Record,
    Shot,
    read_record,
    record_path,
    record_text,
    script_of,
    shot_file,
)
from generator.errors import GuideError, GuideErrors, display_path
from generator.fsutil import atomic_write, cache_dir
from generator.loader import LoadedGuide, load_guide
from generator.markup import plain_text
from generator.model import SECRET, Step, StepCapture
from generator.pipeline import find_guides
from generator.progress import shows_progress

# A step of --check differs when more than this percentage of its pixels changed.
# Geometry (click point, boxes) that moved by at most this many source pixels has not moved.
GEOMETRY_SLACK = 1

# Told of each step before it is taken: (guide, steps done, steps in all, what it is).
StepProgress = Callable[[LoadedGuide, int, int, str], None]


class CaptureError(Exception):
    """A capture that cannot start: no guide to capture, no browser."""


@dataclass(frozen=True)
class CaptureOptions:
    check: bool = False
    browser: Path | None = None
    url: str | None = None  # instead of each guide's `capture.url` (a staging server)
    threshold: float = DEFAULT_THRESHOLD
    diff_dir: Path | None = None  # where --check draws its pictures; default in the cache


@dataclass
class CaptureReport:
    """What a capture did: counts, files written, and each problem or changed step."""

    guides: int = 0
    steps: int = 0
    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    unchanged: int = 0
    changed: list[GuideError] = field(default_factory=list)  # --check: one a changed step
    problems: list[GuideError] = field(default_factory=list)  # steps that could not be taken


@dataclass(frozen=True)
class _Plan:
    """A guide ready to be captured: each captured step with its value, secrets expanded."""

    loaded: LoadedGuide
    steps: list[tuple[int, int, Step, str | None]]
    secrets: list[str]


@dataclass
class _Developed:
    """A screenshot after the browser: the bytes to keep, whether the committed file has
    them already, and (decoded only when a comparison needs them) both images."""

    png: bytes
    unchanged: bool
    committed_png: bytes | None
    _image: PILImage.Image | None = None

    @cached_property
    def image(self) -> PILImage.Image:
        return self._image if self._image is not None else _pixels(self.png)

    @cached_property
    def committed(self) -> PILImage.Image | None:
        """The committed screenshot; None when there is none or it cannot be read."""
        return compare.decode(self.committed_png) if self.committed_png is not None else None

    @cached_property
    def changes(self) -> PILImage.Image | None:
        """compare.changed_mask of the committed and the new screenshot, made once for the
        share that changed and the difference picture."""
        committed = self.committed
        return compare.changed_mask(committed, self.image) if committed is not None else None


def capture(
    paths: list[Path], root: Path, docs_dir: Path | None, options: CaptureOptions, *,
    progress: StepProgress | None = None, browser: Any = None,
) -> CaptureReport:
    """Capture the guides at `paths`, or when there are none, every guide of `docs_dir`
    with captured steps. `browser`: a launched Playwright browser to use, not launch one."""
    guides = _guides(paths, root, docs_dir)
    plans = _plans(guides, os.environ)
    if options.diff_dir is None:
        options = replace(options, diff_dir=cache_dir(root) / "capture-check")
    report = CaptureReport(guides=len(plans))
    # An unreachable url is said once: its first guide's error, naming the others.
    unreachable: dict[str, tuple[GuideError, list[str]]] = {}
    try:
        opened = nullcontext(browser) if browser is not None else launched(options.browser)
        with opened as driver, ThreadPoolExecutor(max_workers=2) as pool:
            for plan in plans:
                _capture_guide(driver, plan, options, pool, report, unreachable, progress)
    except BrowserUnavailable as exc:
        raise CaptureError(str(exc)) from None
    for error, others in unreachable.values():
        also = f" (nor for {', '.join(others)}, which use it too)" if others else ""
        report.problems.append(GuideError(error.path, error.message + also, error.line,
                                          error.col, error.loc))
    return report


def _guides(paths: list[Path], root: Path, docs_dir: Path | None) -> list[LoadedGuide]:
    """The guides to capture, loaded without their records; GuideErrors lists all problems."""
    named = bool(paths)
    assert named or docs_dir is not None
    loaded: list[LoadedGuide] = []
    problems: list[GuideError] = []
    for path in paths or find_guides(docs_dir or root):
        try:
            guide = load_guide(path, root, captures=False)
        except GuideErrors as exc:
            problems += exc.errors
            continue
        if any(step.capture is not None for _, step in guide.guide.numbered_steps()):
            loaded.append(guide)
        elif named:
            problems.append(GuideError(guide.display, "no step has `capture:`: nothing to capture"))
    if problems:
        raise GuideErrors(problems)
    if not loaded:
        raise CaptureError(f"no guide in {display_path(docs_dir or root, root)} has steps with"
                           " `capture:`")
    return loaded


def _plans(guides: list[LoadedGuide], env: Mapping[str, str]) -> list[_Plan]:
    """Each guide's captured steps with their action's value, `${NAME}` read from `env`;
    GuideErrors naming every variable that is not set, before any browser starts."""
    plans: list[_Plan] = []
    problems: list[GuideError] = []
    for loaded in guides:
        steps: list[tuple[int, int, Step, str | None]] = []
        secrets: list[str] = []
        for index, number, step in loaded.guide.indexed_steps():
            if step.capture is None:
                continue
            value = None
            action = step.capture.action
            if action is not None and action[2] is not None:
                value, missing = _expand(action[2], env, secrets)
                for name in missing:
                    problems.append(_problem(
                        loaded, index, number, (action[0], action[1]),
                        f"the environment variable {name} is not set"))
            steps.append((index, number, step, value))
        plans.append(_Plan(loaded, steps, secrets))
    if problems:
        raise GuideErrors(problems)
    return plans


def _expand(
    value: str, env: Mapping[str, str], secrets: list[str]
) -> tuple[str, list[str]]:
    """`value` with each `${NAME}` replaced by its environment value (added to `secrets`),
    and the names that are not set."""
    missing: list[str] = []

    def replace(match: Any) -> str:
        name = match[1]
        if name not in env:
            missing.append(name)
            return ""
        secrets.append(env[name])
        return env[name]

    return SECRET.sub(replace, value), missing


def _problem(
    loaded: LoadedGuide, index: int, number: int, where: tuple[str, ...], message: str,
    severity: str = "error",
) -> GuideError:
    return loaded.problem(("steps", index, "capture", *where), message, severity, step=number)


def _capture_guide(
    driver: Any, plan: _Plan, options: CaptureOptions, pool: ThreadPoolExecutor,
    report: CaptureReport, unreachable: dict[str, tuple[GuideError, list[str]]],
    progress: StepProgress | None,
) -> None:
    loaded = plan.loaded
    settings = loaded.guide.capture
    assert settings is not None  # the loader refuses captured steps without it
    base = options.url or settings.url
    if base in unreachable:
        unreachable[base][1].append(loaded.display)
        return
    directory = record_path(loaded.path, loaded.slug).parent
    taken: list[tuple[int, int, StepCapture, Taken, Future[_Developed]]] = []
    session = Session(driver, settings, base, plan.secrets)
    try:
        try:
            session.open()
        except Unreachable as exc:
            line, col = loaded.locate(("capture", "url"))
            unreachable[base] = (GuideError(
                loaded.display, f"cannot reach {base}: {exc}; nothing was captured", line, col,
                "capture.url"), [])
            return
        for done, (index, number, step, value) in enumerate(plan.steps):
            assert step.capture is not None
            if progress is not None:
                progress(loaded, done, len(plan.steps), f"step {number}: {plain_text(step.text)}")
            try:
                shot = session.take(step.capture, value)
            except StepFailure as exc:
                where = (exc.field,) if exc.field else ()
                report.problems.append(_problem(loaded, index, number, where, exc.message))
                return  # nothing of this guide is written
            committed = directory / shot_file(number)
            taken.append((index, number, step.capture, shot,
                          pool.submit(_develop, shot, committed, options.check)))
        if progress is not None:
            progress(loaded, len(plan.steps), len(plan.steps), "done")
    finally:
        session.close()
    developed = [(index, number, script, shot, future.result())
                 for index, number, script, shot, future in taken]
    report.steps += len(developed)
    shots = [_shot(number, script, shot, base) for _, number, script, shot, _ in developed]
    record = Record(guide=loaded.path.name, viewport=settings.viewport, scale=settings.scale,
                    color_scheme=settings.color_scheme, locale=settings.locale, shots=shots)
    if options.check:
        _check(loaded, developed, shots, options, report)
    else:
        _write(loaded, developed, record, report)


def _develop(shot: Taken, committed: Path, check: bool) -> _Developed:
    """In a thread, while the browser goes on: burn the redactions in, and tell whether the
    committed file has these pixels already.

    Chromium writes the same PNG bytes for the same pixels, so an unchanged screenshot is
    found without decoding anything. A redacted one is decoded, redacted and encoded by
    Pillow, whose bytes are as stable. Other bytes are decoded and compared pixel by pixel
    (another Chromium may encode the same pixels differently): only a change is written.
    """
    image = None
    png = shot.png
    if shot.redact:
        image = compare.burn_in(_pixels(png), shot.redact)
        png = compare.png_bytes(image)
    try:
        old = committed.read_bytes()
    except OSError:
        old = None
    result = _Developed(png, unchanged=old == png, committed_png=old, _image=image)
    if not result.unchanged and old is not None and not check:
        result.unchanged = compare.same(result.committed, result.image)
    return result


def _pixels(png: bytes) -> PILImage.Image:
    image = compare.decode(png)
    assert image is not None, "the browser's screenshots are PNGs"
    return image


def _shot(number: int, script: StepCapture, shot: Taken, base: str) -> Shot:
    return Shot(step=number, file=shot_file(number), url=_relative(shot.url, base),
                script=script_of(script), click=shot.click, crop=shot.crop,
                redact=shot.redact, highlight=shot.highlight)


def _relative(url: str, base: str) -> str:
    """A page's address as the record keeps it: from the server's root when it is on the
    guide's server, so a capture from a staging server (`--url`) records the same."""
    page, home = urlsplit(url), urlsplit(base)
    if (page.scheme, page.netloc) != (home.scheme, home.netloc):
        return url
    return page._replace(scheme="", netloc="").geturl() or "/"


def _write(
    loaded: LoadedGuide, developed: list[tuple[int, int, StepCapture, Taken, _Developed]],
    record: Record, report: CaptureReport,
) -> None:
    """Write the screenshots that changed, then the record; remove screenshots of steps
    that are no longer captured. The record goes last: it names what is there."""
    path = record_path(loaded.path, loaded.slug)
    try:
        old = read_record(path, display_path(path, loaded.path.parent))
    except GuideErrors:
        old = None  # damaged (a merge conflict?): replaced whole
    for _, number, _, _, result in developed:
        if result.unchanged:
            report.unchanged += 1
            continue
        target = path.parent / shot_file(number)
        atomic_write(target, result.png)
        report.written.append(target)
    text = record_text(record, loaded.display)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        atomic_write(path, text)
        report.written.append(path)
    kept = {shot.file for shot in record.shots}
    for shot in old.shots if old is not None else []:
        target = path.parent / shot.file
        if shot.file not in kept and target.is_file():
            target.unlink()
            report.removed.append(target)


def _check(
    loaded: LoadedGuide, developed: list[tuple[int, int, StepCapture, Taken, _Developed]],
    shots: list[Shot], options: CaptureOptions, report: CaptureReport,
) -> None:
    """One finding a step whose screenshot or geometry is not what is committed."""
    path = record_path(loaded.path, loaded.slug)
    try:
        old = read_record(path, display_path(path, loaded.path.parent))
    except GuideErrors:
        old = None
    assert options.diff_dir is not None
    pictures = options.diff_dir / loaded.slug
    shutil.rmtree(pictures, ignore_errors=True)  # the last check's pictures are stale now
    for (index, number, _, _, result), shot in zip(developed, shots, strict=True):
        before = old.shot(number) if old is not None else None
        reasons = _differences(before, shot, result, options.threshold)
        if not reasons:
            report.unchanged += 1
            continue
        picture = pictures / f"step-{number:02d}.png"
        marks = [compare.Marks(shot.crop, shot.click) if shot is not None else compare.Marks()
                 for shot in (before, shot)]
        atomic_write(picture, compare.png_bytes(
            compare.difference_picture(result.committed, result.image, *marks,
                                       mask=result.changes)))
        reasons.append(f"see {display_path(picture)}")
        report.changed.append(_problem(loaded, index, number, (), "; ".join(reasons)))


def _differences(
    before: Shot | None, now: Shot, result: _Developed, threshold: float
) -> list[str]:
    """How a step differs from what is committed, in words; empty when it does not."""
    if before is None or result.committed_png is None:
        return ["not captured before"]
    reasons = []
    if not result.unchanged:
        old, new = result.committed, result.image
        if old is None or old.size != new.size:
            was = f"{old.width}x{old.height}" if old is not None else "unreadable"
            reasons.append(f"the screenshot is {new.width}x{new.height}, was {was}")
        elif (share := compare.share_of(result.changes, now.crop) * 100) > threshold:
            reasons.append(f"{share:.2f}% of the pixels changed")
    if _moved(before.click, now.click):
        reasons.append(f"the marker moved from {_point(before.click)} to {_point(now.click)}")
    if _moved(before.crop, now.crop):
        reasons.append(f"the crop moved from {_point(before.crop)} to {_point(now.crop)}")
    for name in ("highlight", "redact"):
        then, later = getattr(before, name), getattr(now, name)
        if len(then) != len(later) or any(map(_moved, then, later)):
            reasons.append(f"a {name} box moved")
    return reasons


def _moved(a: tuple[int, ...] | None, b: tuple[int, ...] | None) -> bool:
    if a is None or b is None:
        return a != b
    return any(abs(x - y) > GEOMETRY_SLACK for x, y in zip(a, b, strict=True))


def _point(value: tuple[int, ...] | None) -> str:
    return "nothing" if value is None else "(" + ", ".join(map(str, value)) + ")"


@contextmanager
def terminal_progress(console: Console) -> Iterator[StepProgress | None]:
    """A progress bar a guide on a terminal, naming the step being taken; nothing otherwise
    (in a pipe or CI, as the build's bars)."""
    if not shows_progress(console):
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("[dim]{task.fields[step]}"))
    with Progress(*columns, console=console) as bar:
        tasks: dict[str, Any] = {}

        def advance(loaded: LoadedGuide, done: int, total: int, text: str) -> None:
            if loaded.display not in tasks:
                tasks[loaded.display] = bar.add_task(loaded.display, total=total, step="")
            shown = text if len(text) <= 50 else text[:47] + "..."
            bar.update(tasks[loaded.display], completed=done, step=shown)

        yield advance
