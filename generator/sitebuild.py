"""A whole-site build that never leaves site/ half-written.

MkDocs writes into a fresh folder beside site/; only when everything (pages, images,
standalone pages, PDFs) is there does it take site/'s place, by rename. A lock file keeps
two builds of one project from interleaving, and each build first tidies what a killed
one left behind: its folders beside site/ and the temp files of its cache writes.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config.defaults import MkDocsConfig

from generator.errors import GuideError
from generator.fsutil import cache_dir, swap_in, sweep_temp_files
from generator.mkdocsconfig import project_of
from generator.pipeline import BuildResult


class BuildLocked(Exception):
    """Another build of the same project is running."""


@dataclass(frozen=True)
class SiteBuilt:
    site_dir: Path
    seconds: float
    guides: int
    rendered: int
    warnings: tuple[GuideError, ...] = ()  # those not already said by the engine


@contextmanager
def project_lock(root: Path) -> Iterator[None]:
    """Hold `.cache/guidesmith/build.lock` for the duration, or fail at once."""
    lock_path = cache_dir(root) / "build.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildLocked(
                f"another guidesmith build is running in this project ({lock_path} is locked); "
                "wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _alive(pid: int) -> bool:
    """Whether process `pid` exists (it may belong to someone else: then it is alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(target: Path, cache: Path) -> None:
    """Tidy up after a build that was killed; call it holding the project's lock.

    Its `.site.new-PID` (a half-made site) and `.site.old-PID` folders are removed once PID
    is gone. Killed between `swap_in`'s two renames, it left no site/ at all but a complete
    old one: that is put back first, so a failing build cannot lose it.
    """
    prefix = f".{target.name}."
    leftovers: list[tuple[str, Path]] = []
    if target.parent.is_dir():
        for sibling in target.parent.iterdir():
            kind, _, pid = sibling.name.removeprefix(prefix).partition("-")
            if (
                sibling.name.startswith(prefix) and kind in ("new", "old") and pid.isdigit()
                and not _alive(int(pid)) and sibling.is_dir()
            ):
                leftovers.append((kind, sibling))
    olds = sorted((p for kind, p in leftovers if kind == "old"), key=lambda p: p.stat().st_mtime)
    if olds and not target.exists():
        os.replace(olds[-1], target)
    for _, leftover in leftovers:
        shutil.rmtree(leftover, ignore_errors=True)
    sweep_temp_files(cache)


# An engine builds the project of a config into a folder; returns the build's counts.
Engine = Callable[[MkDocsConfig, Path], "BuildResult | None"]


def build_site(config: MkDocsConfig, *, clean: bool = False, engine: Engine | None = None
               ) -> SiteBuilt:
    """Build the project of `config` into its site_dir, atomically, with `engine` (MkDocs
    and the plugin by default)."""
    root = Path(config.config_file_path).resolve().parent
    target = Path(config.site_dir)
    started = time.monotonic()
    cache = project_of(config).cache_root
    with project_lock(root):
        recover(target, cache)
        if clean:
            shutil.rmtree(target, ignore_errors=True)
            for entry in cache.iterdir() if cache.is_dir() else ():
                if entry.name != "build.lock":
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        staging = target.with_name(f".{target.name}.new-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        try:
            result = (engine or build_with_mkdocs)(config, staging)
            swap_in(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    guides, rendered = (result.guides, result.images) if result else (0, 0)
    warnings = result.warnings if result else ()
    return SiteBuilt(target, time.monotonic() - started, guides, rendered, warnings)


def build_with_mkdocs(config: MkDocsConfig, site_dir: Path) -> BuildResult | None:
    """MkDocs (or ProperDocs) with the plugin, into `site_dir`; the plugin logs warnings."""
    target, config.site_dir = config.site_dir, str(site_dir)
    plugin = config.plugins["guidesmith"]
    try:
        mkdocs_build(config)
    finally:
        config.site_dir = target
        plugin.close()
    result = plugin.result
    return replace(result, warnings=()) if result else None  # said as MkDocs logged them
