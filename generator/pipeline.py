"""The one orchestration: a project's guides -> images -> outputs.

The MkDocs plugin and the CLI both drive this module, so neither repeats the other.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.capture.record import uncaptured_steps
from generator.errors import GuideError, GuideErrors
from generator.fetch import Fetcher, FetchSettings
from generator.hints import secret_hints
from generator.images import GuideImages, ImageBuilder, StepImage
from generator.loader import LoadedGuide, load_guide
from generator.render.context import GuideView, guide_view
from generator.render.markdown import page_links, render_page
from generator.render.printimages import paper_named
from generator.workers import Workers

GUIDE_SUFFIXES = (".yml", ".yaml")
# `guidesmith serve --offline` and CI runs of plain `mkdocs build` switch these on.
OFFLINE_ENV = "GUIDESMITH_OFFLINE"
PLACEHOLDERS_ENV = "GUIDESMITH_PLACEHOLDERS"


def env_flag(name: str) -> bool:
    """An on/off switch from the environment (`1`, `true`, `yes`, `on`)."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class BuildOptions:
    """What a build produces and how it may fetch."""

    offline: bool = False
    placeholders: bool = False
    standalone: bool = True
    pdf: bool = True
    paper: str = "a4"
    workers: int | None = None


def find_guides(docs_dir: Path) -> list[Path]:
    """The guide files of a docs folder: its top-level YAML files."""
    if not docs_dir.is_dir():
        return []
    return sorted(p for p in docs_dir.iterdir() if p.suffix in GUIDE_SUFFIXES and p.is_file())


def series_key(loaded: LoadedGuide) -> tuple[int, float, str]:
    """Series order: guides with an `order` first, by it; the rest by title."""
    order = loaded.guide.order
    return (0 if order is not None else 1, order if order is not None else 0, loaded.slug)


def load_guides(
    paths: Iterable[Path], root: Path, cache: Path | None = None
) -> tuple[list[LoadedGuide], list[GuideError]]:
    """Every guide, in series order, and their warnings; GuideErrors lists all problems.

    `cache`: where parsed YAML is kept by content, so unchanged guides load fast.
    """
    loaded: list[LoadedGuide] = []
    problems: list[GuideError] = []
    for path in paths:
        try:
            loaded.append(load_guide(path, root, cache))
        except GuideErrors as exc:
            problems.extend(exc.errors)
    if problems:
        raise GuideErrors(problems)
    loaded.sort(key=series_key)
    return loaded, [w for guide in loaded for w in guide.warnings]


def series_nav(guides: list[LoadedGuide], pages: list[str]) -> list[Any]:
    """An MkDocs `nav`: the other pages, then the guides grouped by chapter in order."""
    nav: list[Any] = [page for page in pages if page == "index.md"]
    nav += [page for page in pages if page != "index.md"]
    chapters: dict[str, list[Any]] = {}
    for loaded in guides:
        entry = {escape_nav_title(loaded.guide.title): f"{loaded.slug}.md"}
        if loaded.guide.chapter:
            if loaded.guide.chapter not in chapters:
                chapters[loaded.guide.chapter] = []
                nav.append({escape_nav_title(loaded.guide.chapter): chapters[loaded.guide.chapter]})
            chapters[loaded.guide.chapter].append(entry)
        else:
            nav.append(entry)
    return nav


def escape_nav_title(title: str) -> str:
    """A guide's title made safe for the theme, which puts nav titles into HTML unescaped.

    Material also un-escapes them once (`striptags`) for <title>, so entities for < and >
    would come back as markup there: angle brackets become look-alike quotes instead.
    """
    return title.replace("&", "&amp;").replace("<", "\u2039").replace(">", "\u203a")


class Build:
    """One build of a project's guides; the plugin keeps one across `serve` rebuilds."""

    def __init__(self, root: Path, docs_dir: Path, cache_root: Path, options: BuildOptions) -> None:
        self.root = root
        self.docs_dir = docs_dir
        self.cache_root = cache_root
        self.options = options
        self.fetcher = Fetcher(
            cache_root, root, FetchSettings(offline=options.offline)
        )
        self.workers = Workers(options.workers)
        self.images = ImageBuilder(
            self.fetcher, cache_root, placeholders=options.placeholders, workers=self.workers,
            print_box=paper_named(options.paper).image_box_px() if options.pdf else None,
        )
        self.guides: list[LoadedGuide] = []
        self.planned: list[GuideImages] = []
        self.warnings: list[GuideError] = []

    @property
    def parsed_cache(self) -> Path:
        """Where parsed guide files are kept by content (see loader.load_guide)."""
        return self.cache_root / "parsed"

    def load(self) -> list[LoadedGuide]:
        """Load every guide of the docs folder (raises GuideErrors with all problems).

        Warnings: the loader's, then hints (a secret shown in an unredacted screenshot).
        """
        self.guides, self.warnings = load_guides(
            find_guides(self.docs_dir), self.root, self.parsed_cache
        )
        self.warnings += [hint for loaded in self.guides for hint in secret_hints(loaded)]
        self.warnings += uncaptured_steps(
            [error for loaded in self.guides for error in loaded.uncaptured],
            self.options.placeholders,
        )
        return self.guides

    def local_sources(self) -> list[Path]:
        """The local files the guides use as screenshots and markers (not URLs), and their
        capture records."""
        return [
            loaded.base_dir / src
            for loaded in self.guides
            for _, step in loaded.guide.numbered_steps()
            if step.image is not None
            for src in (step.image.src, step.image.marker.src if step.image.marker else "")
            if src and "://" not in src and not src.startswith("builtin:")
        ] + [loaded.record for loaded in self.guides if loaded.record is not None]

    def plan_images(self) -> list[GuideImages]:
        """Fetch sources and submit render jobs; image sizes are known when this returns."""
        self.images.rendered = 0
        self.planned = self.images.plan(self.guides)
        self.warnings += self.images.notes
        return self.planned

    def wait_images(self) -> list[GuideError]:
        """Wait for the rendering; return its warnings (they are in `warnings` too)."""
        said = len(self.images.notes)
        self.images.wait(self.planned)
        late = self.images.notes[said:]
        self.warnings += late
        return late

    def views(self) -> list[GuideView]:
        """Every guide as the templates see it, in series order."""
        return [guide_view(p.loaded, p.images) for p in self.planned]

    @property
    def sources(self) -> dict[str, tuple[LoadedGuide, dict[int, StepImage]]]:
        """Each guide's loaded file and rendered images, by slug."""
        return {p.loaded.slug: (p.loaded, p.images) for p in self.planned}

    def page_markdown(self, planned: GuideImages, directory_urls: bool) -> str:
        links = page_links(
            planned.loaded.slug, directory_urls, self.options.standalone, self.options.pdf
        )
        return render_page(guide_view(planned.loaded, planned.images), links)

    def close(self) -> None:
        self.workers.close()
        self.fetcher.close()
