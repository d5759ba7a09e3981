"""A project as plain docs files: the guides' pages, step images and companions, no plugin.

`guidesmith markdown --out DIR` writes what the plugin would hand MkDocs (the same page
Markdown, the same rendered images, the standalone pages and PDFs) plus the project's other
published docs files into DIR, so any site generator that reads a folder of Markdown builds
the guides: MkDocs without the plugin, or Zensical, which runs no MkDocs plugins. It is a
loop over Build, as the plugin is: the same pages, files and publishing rule.

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

from generator.fsutil import atomic_write, inside, publish, swap_in
from generator.pipeline import Build, BuildOptions, BuildResult, Project
from generator.progress import QUIET, Meter

# Written into every export, so a later export knows the folder is its own to replace.
MARKER_FILE = ".guidesmith-markdown"


class ExportError(Exception):
    """An output folder that cannot be used."""


@dataclass(frozen=True)
class ExportResult:
    out_dir: Path
    built: BuildResult  # what the build made (rendered images, pages/PDFs), its warnings
    images: int  # step images written into out_dir
    companions: int
    other_files: int
    nav: list[object]


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


def export_markdown(
    config: MkDocsConfig, project: Project, options: BuildOptions, out_dir: Path, *,
    source_relative: bool = False, meter: Meter = QUIET,
) -> ExportResult:
    """Write the project of `config` as plain docs files into `out_dir` (replacing it).

    Pages link their images and companions as the plugin's pages do: relative to the page's
    URL, which MkDocs keeps as written in raw HTML. Zensical instead resolves every relative
    URL against the Markdown file and rewrites it, so for it (`source_relative`) the links
    are relative to X.md: `X/step-01.jpg`.
    """
    out_dir = out_dir.resolve()
    _check_out_dir(out_dir, project.docs_dir)
    build = Build(project, options, meter)
    staging = out_dir.with_name(f".{out_dir.name}.new-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        build.start()
        docs = [file for file in get_files(config) if not file.inclusion.is_excluded()]
        nav = build.nav(file.src_uri for file in docs if "/" not in file.src_uri
                        and file.src_uri.endswith(".md"))
        staging.mkdir(parents=True)
        directory_urls = config.use_directory_urls and not source_relative
        pages = build.pages(directory_urls=directory_urls)
        for page in pages:
            atomic_write(staging / page.uri, page.markdown)
        result = build.finish()
        outputs = build.outputs()
        for output in outputs:
            publish(output.path, staging / output.uri)
        others = 0
        for file in docs:
            if file.abs_src_path is None or not build.is_published(file.src_uri, file.abs_src_path):
                continue
            if (staging / file.src_uri).exists():
                continue  # a generated page or file wins over a docs file of the same name
            if file.src_uri.endswith(".md"):  # the series listed where the page asks for it
                text = Path(file.abs_src_path).read_text(encoding="utf-8")
                atomic_write(staging / file.src_uri, build.fill_page(file.src_uri, text))
            else:
                _copy(Path(file.abs_src_path), staging / file.src_uri)
            others += 1
        atomic_write(staging / MARKER_FILE, "Written by `guidesmith markdown`; replaced whole "
                     "by the next run.\n")
        swap_in(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        build.close()
    images = sum(len(guide.planned) for guide in build.plan.images.guides)
    return ExportResult(out_dir, result, images, len(build.plan.companions), others, nav)


def _copy(source: Path, target: Path) -> None:
    """A docs file into the export: a copy, never a link to the author's file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
