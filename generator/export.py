"""A project as plain docs files: the guides' pages, step images and companions, no plugin.

`guidesmith markdown --out DIR` writes what the plugin would hand MkDocs (the same page
Markdown, the same rendered images, the standalone pages and PDFs) plus the project's other
docs files into DIR, so any site generator that reads a folder of Markdown builds the
guides: MkDocs without the plugin, or Zensical, which runs no MkDocs plugins.

DIR is filled beside itself and swapped in by rename, as site/ is, so it is never half
written; a folder that guidesmith did not write is never replaced.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import get_files

from generator.capture.record import RECORD_NAME
from generator.errors import GuideError
from generator.fsutil import atomic_write, inside, publish, swap_in
from generator.outputs import plan_companions, schedule
from generator.pipeline import GUIDE_SUFFIXES, Build, BuildOptions

# The same rule as the plugin's: guide files and source screenshots are not published.
SOURCE_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
# Written into every export, so a later export knows the folder is its own to replace.
MARKER_FILE = ".guidesmith-markdown"


class ExportError(Exception):
    """An output folder that cannot be used."""


@dataclass(frozen=True)
class ExportResult:
    out_dir: Path
    guides: int
    images: int
    companions: int
    other_files: int
    warnings: list[GuideError]


def is_published(src_uri: str) -> bool:
    """Whether a docs file is copied as it is: not a guide, not a source screenshot, not a
    capture record."""
    if "/" not in src_uri and src_uri.endswith(GUIDE_SUFFIXES):
        return False
    if src_uri.startswith("assets/") and src_uri.endswith(f"/{RECORD_NAME}"):
        return False  # a capture record: the geometry of captured screenshots
    return not (src_uri.startswith("assets/") and src_uri.lower().endswith(SOURCE_IMAGE_SUFFIXES))


def _check_out_dir(out_dir: Path, docs_dir: Path) -> None:
    if inside(out_dir, docs_dir) or inside(docs_dir, out_dir):
        raise ExportError(
            f"{out_dir} overlaps the docs folder {docs_dir}: choose a folder outside it"
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir} is a file, not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER_FILE).exists():
        raise ExportError(
            f"{out_dir} is not empty and was not written by `guidesmith markdown`: "
            "choose a new or empty folder"
        )


def _copy(source: Path, target: Path) -> None:
    """A docs file into the export: a copy, never a link to the author's file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def export_markdown(
    config: MkDocsConfig, out_dir: Path, options: BuildOptions, *, cache_root: Path,
    handout: bool = True, source_relative: bool = False,
) -> ExportResult:
    """Write the project of `config` as plain docs files into `out_dir` (replacing it).

    Pages link their images and companions as the plugin's pages do: relative to the page's
    URL, which MkDocs keeps as written in raw HTML. Zensical instead resolves every relative
    URL against the Markdown file and rewrites it, so for it (`source_relative`) the links
    are relative to X.md: `X/step-01.jpg`.
    """
    root = Path(config.config_file_path).resolve().parent
    docs_dir = Path(config.docs_dir)
    out_dir = out_dir.resolve()
    _check_out_dir(out_dir, docs_dir)
    build = Build(root, docs_dir, cache_root, options)
    staging = out_dir.with_name(f".{out_dir.name}.new-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        build.load()
        planned = build.plan_images()
        companions = plan_companions(build, config.site_name, config.site_url, handout=handout)
        scheduled = schedule(companions, planned, build.workers)
        build.wait_images()
        scheduled.wait()
        staging.mkdir(parents=True)
        images = 0
        for guide_images in planned:
            slug = guide_images.loaded.slug
            directory_urls = config.use_directory_urls and not source_relative
            markdown = build.page_markdown(guide_images, directory_urls)
            atomic_write(staging / f"{slug}.md", markdown)
            for step_image in guide_images.images.values():
                publish(step_image.path, staging / slug / step_image.filename)
                images += 1
        for companion in companions:
            publish(companion.path, staging / companion.uri)
        others = 0
        for file in get_files(config):
            if file.inclusion.is_excluded() or not is_published(file.src_uri):
                continue
            if file.abs_src_path is None or (staging / file.src_uri).exists():
                continue  # a generated page wins over a docs file of the same name
            _copy(Path(file.abs_src_path), staging / file.src_uri)
            others += 1
        atomic_write(staging / MARKER_FILE, "Written by `guidesmith markdown`; replaced whole "
                     "by the next run.\n")
        swap_in(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        build.close()
    return ExportResult(out_dir, len(planned), images, len(companions), others, build.warnings)
