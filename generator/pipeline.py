"""The one hub of a build: a project's guides -> images -> views -> pages and files.

Every front end is a thin loop over `Build`: the MkDocs plugin (under MkDocs 1.x or
ProperDocs), `guidesmith markdown --out` (and through it the Zensical engine) and
`guidesmith check`. What is the same for all of them is decided here, once: which guides
there are and in which order, what each page says, which files are made for the site, and
what of the docs folder is published.

    build = Build(project, options)
    plan = build.start()               # load, plan images and companions, start the work
    build.nav(pages)                   # the series navigation (chapters, order)
    build.pages(directory_urls=...)    # each guide's Markdown page
    build.outputs()                    # the files made for the site: images, companions
    build.is_published(uri, path)      # whether a docs file is copied as it is
    result = build.finish()            # wait; every problem at once, or the counts
    build.close()
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.cache import PAGES, Store, key
from generator.capture.record import uncaptured_steps
from generator.companions import (
    CompanionSettings,
    Scheduled,
    plan_companions,
    schedule,
)
from generator.errors import GuideError, GuideErrors, display_path
from generator.fetch import Fetcher, FetchSettings
from generator.fontcheck import font_warnings
from generator.hints import secret_hints
from generator.images import ImagePlan, ImagePlanner, Running, collect_images, submit_images
from generator.loader import LoadedGuide, load_guide, slug_of
from generator.present import guide_view
from generator.printimages import paper_named
from generator.progress import QUIET, Meter
from generator.render.markdown import (
    SeriesLinks,
    page_links,
    problems_page,
    render_page,
    render_series,
    with_problems,
)
from generator.render.palette import PALETTE_CSS, render_palette
from generator.theme import DEFAULT_THEME, Theme
from generator.views import Companion, GuideView
from generator.workers import Workers

GUIDE_SUFFIXES = (".yml", ".yaml")
# Where a docs page (the home page, say) wants the series listed, kept current every build.
SERIES_MARK = "<!-- guidesmith:series -->"
# `guidesmith serve --offline` and CI runs of plain `mkdocs build` switch these on.
OFFLINE_ENV = "GUIDESMITH_OFFLINE"
PLACEHOLDERS_ENV = "GUIDESMITH_PLACEHOLDERS"


def env_flag(name: str) -> bool:
    """An on/off switch from the environment (`1`, `true`, `yes`, `on`)."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Project:
    """Where a project's guides are, where its cache is, and the site they are part of."""

    root: Path
    docs_dir: Path
    cache_root: Path
    site_name: str = ""
    site_url: str | None = None
    theme: Theme = DEFAULT_THEME  # the site's colours and language (mkdocs.yml's theme)


@dataclass(frozen=True)
class BuildOptions:
    """What a build produces and how it may fetch."""

    offline: bool = False
    placeholders: bool = False
    standalone: bool = True
    pdf: bool = True
    handout: bool = True
    paper: str = "a4"
    workers: int | None = None


@dataclass(frozen=True)
class BuildPlan:
    """What a started build will make: plain data, read by the front ends and `check`."""

    guides: tuple[LoadedGuide, ...]
    images: ImagePlan
    views: tuple[GuideView, ...]
    companions: tuple[Companion, ...]
    warnings: tuple[GuideError, ...]
    # Under `serve`: guides whose file has errors, by slug: (their path, the errors).
    broken: dict[str, tuple[str, list[GuideError]]] = field(default_factory=dict)
    palette: Path | None = None  # the site's palette stylesheet, in the cache
    inputs: frozenset[Path] = frozenset()  # the local files the guides read (inputs_of)


@dataclass(frozen=True)
class Page:
    """A generated page: its path in the docs folder and its Markdown."""

    uri: str
    markdown: str


@dataclass(frozen=True)
class Output:
    """A file the build makes for the site: its path in the site and its cache entry."""

    uri: str
    path: Path


@dataclass(frozen=True)
class BuildResult:
    """What a finished build did."""

    guides: int
    images: int  # step images rendered (the rest came from the cache)
    files: int  # standalone pages and PDFs made
    warnings: tuple[GuideError, ...]
    remade: tuple[str, ...] = ()  # the guides (their files) that anything was made for

    def said(self) -> str:
        """What the build made, for a person watching `serve` rebuild."""
        if not self.images and not self.files:
            return "nothing to remake: every image, page and PDF came from the cache"
        which = ", ".join(self.remade[:3]) + (f" and {len(self.remade) - 3} more"
                                               if len(self.remade) > 3 else "")
        return (f"remade {self.images} step image(s) and {self.files} page(s)/PDF(s) of "
                f"{which}; the rest came from the cache")


def find_guides(docs_dir: Path) -> list[Path]:
    """The guide files of a docs folder: its top-level YAML files."""
    if not docs_dir.is_dir():
        return []
    return sorted(p for p in docs_dir.iterdir() if p.suffix in GUIDE_SUFFIXES and p.is_file())


def series_order(guides: Iterable[LoadedGuide]) -> list[LoadedGuide]:
    """The series as readers meet it, in the navigation and in the handout alike.

    Guides with an `order` first, by it; the rest by slug. A chapter's guides stay together,
    where its first guide is: a guide of another chapter (or of none) ordered between two of
    them does not split it in two.
    """
    ordered = sorted(guides, key=_order_key)
    series: list[LoadedGuide] = []
    placed: set[str] = set()
    for loaded in ordered:
        chapter = loaded.guide.chapter
        if chapter is None:
            series.append(loaded)
        elif chapter not in placed:
            placed.add(chapter)
            series += [other for other in ordered if other.guide.chapter == chapter]
    return series


def _order_key(loaded: LoadedGuide) -> tuple[int, float, str]:
    order = loaded.guide.order
    return (0 if order is not None else 1, order if order is not None else 0, loaded.slug)


def escape_nav_title(title: str) -> str:
    """A guide's title made safe for the theme, which puts nav titles into HTML unescaped.

    Material also un-escapes them once (`striptags`) for <title>, so entities for < and >
    would come back as markup there: angle brackets become look-alike quotes instead.
    """
    return title.replace("&", "&amp;").replace("<", "\u2039").replace(">", "\u203a")


class Build:
    """One build of a project's guides; the plugin keeps one across `serve` rebuilds."""

    def __init__(self, project: Project, options: BuildOptions, meter: Meter = QUIET) -> None:
        self.project = project
        self.options = options
        self.meter = meter  # where the long phases say how far they have got
        self.fetcher = Fetcher(project.cache_root, project.root,
                               FetchSettings(offline=options.offline))
        self.workers = Workers(options.workers)
        self.images = ImagePlanner(
            self.fetcher, project.cache_root, placeholders=options.placeholders,
            print_box=paper_named(options.paper).image_box_px() if options.pdf else None,
            meter=meter,
        )
        # Under `serve`: each guide's last version that loaded, kept across rebuilds.
        self._last_good: dict[str, LoadedGuide] = {}
        self._plan: BuildPlan | None = None
        self._running: Running = {}
        self._scheduled = Scheduled()

    @property
    def plan(self) -> BuildPlan:
        if self._plan is None:
            raise RuntimeError("Build.start() has not run")
        return self._plan

    # -- start ---------------------------------------------------------------------------

    def start(self, *, keep_last_good: bool = False, render: bool = True) -> BuildPlan:
        """Load every guide, plan its images and companions, and start making them.

        Warnings: the loader's, hints (a secret shown in an unredacted screenshot), characters
        no installed font can print, then the images' (geometry, stand-ins).

        Raises GuideErrors with every problem of every guide (loading, then images: the
        jobs already started are waited for, so one run reports them all). With
        `keep_last_good` (`serve`), a guide with errors is shown as it last loaded, its
        errors kept in `plan.broken`. With `render=False` (`check`), sources and markers are
        decoded in full instead of rendered, and nothing is written but the caches' indexes.
        """
        guides, load_errors, partial = self._load()
        broken: dict[str, tuple[str, list[GuideError]]] = {}
        if keep_last_good:
            partial = []  # a guide with errors shows as it last loaded, not in part
            broken = _by_guide(load_errors, self.project.root)
            self._last_good.update((loaded.slug, loaded) for loaded in guides)
            shown = {loaded.slug for loaded in guides}
            guides += [self._last_good[slug] for slug in broken
                       if slug in self._last_good and slug not in shown]
            load_errors = []
        guides = series_order(guides)
        checked = guides + partial  # a guide in part is checked, and makes nothing
        warnings = [w for loaded in checked for w in loaded.warnings]
        warnings += [hint for loaded in checked for hint in secret_hints(loaded)]
        try:  # steps to capture that never were: errors, or with placeholders, warnings
            warnings += uncaptured_steps([e for loaded in checked for e in loaded.uncaptured],
                                         self.options.placeholders)
        except GuideErrors as exc:
            load_errors += exc.errors
        if self.options.pdf:  # characters no installed font can print in the PDFs
            warnings += font_warnings(checked)
        self.fetcher.begin_build()
        images = self.images.plan(checked)
        self._running = submit_images(images, self.workers, verify=not render,
                                      meter=self.meter)
        warnings += [p for p in images.problems if p.severity == "warning"]
        if load_errors or images.errors:  # every problem at once, warnings too, then stop
            problems = load_errors + images.errors + warnings
            problems += collect_images(images, self._running, self.workers)
            self._running = {}
            raise GuideErrors(_in_series_order(problems, checked))
        views = tuple(guide_view(g.loaded, g.images) for g in images.guides)
        companions: tuple[Companion, ...] = ()
        palette = None
        if render:
            companions = plan_companions(views, self.project.cache_root, self._companion_settings())
            palette = self._palette()
        self._scheduled = schedule(companions, self._running, self.workers, self.meter)
        self._plan = BuildPlan(tuple(guides), images, views, companions, tuple(warnings), broken,
                               palette, inputs_of(guides))
        return self._plan

    def _load(self) -> tuple[list[LoadedGuide], list[GuideError], list[LoadedGuide]]:
        """Every guide that loads, the problems of those that do not, and what of those
        still holds together without its faulty steps (to check their images too)."""
        guides: list[LoadedGuide] = []
        problems: list[GuideError] = []
        partial: list[LoadedGuide] = []
        for path in find_guides(self.project.docs_dir):
            try:
                guides.append(load_guide(path, self.project.root, self.project.cache_root))
            except GuideErrors as exc:
                problems += exc.errors
                if isinstance(exc.partial, LoadedGuide):
                    partial.append(exc.partial)
        return guides, problems, partial

    def _palette(self) -> Path:
        """The site's palette stylesheet (the theme's shades as Material's variables)."""
        store = Store.of(self.project.cache_root, PAGES)
        entry_key = key(PAGES, {"kind": "palette", "theme": self.project.theme})
        store.get_or_make(entry_key, "css", lambda: render_palette(self.project.theme).encode())
        return store.path(entry_key, "css")

    def _companion_settings(self) -> CompanionSettings:
        options = self.options
        return CompanionSettings(
            standalone=options.standalone, pdf=options.pdf, handout=options.handout,
            paper=options.paper, site_name=self.project.site_name,
            site_url=self.project.site_url, theme=self.project.theme,
        )

    # -- what the front ends ask ---------------------------------------------------------

    def nav(self, pages: Iterable[str]) -> list[Any]:
        """An MkDocs `nav`: the home page, the other Markdown pages, then the guides in
        series order, grouped by chapter; a guide with errors (under `serve`) last."""
        pages = sorted(pages)
        nav: list[Any] = [page for page in pages if page == "index.md"]
        nav += [page for page in pages if page != "index.md"]
        chapters: dict[str, list[Any]] = {}
        for loaded in self.plan.guides:
            entry = {escape_nav_title(loaded.guide.title): f"{loaded.slug}.md"}
            chapter = loaded.guide.chapter
            if chapter is None:
                nav.append(entry)
                continue
            if chapter not in chapters:
                chapters[chapter] = []
                nav.append({escape_nav_title(chapter): chapters[chapter]})
            chapters[chapter].append(entry)
        shown = {loaded.slug for loaded in self.plan.guides}
        nav += [{f"{slug} (errors)": f"{slug}.md"} for slug in self.plan.broken
                if slug not in shown]
        return nav

    def pages(self, *, directory_urls: bool) -> list[Page]:
        """Each guide's page, linking its images and companions relative to the page's URL
        (`directory_urls`: `X/`, else `X.html`); under `serve`, a guide's errors on its page.
        """
        options = self.options
        pages = []
        for view in self.plan.views:
            links = page_links(view.slug, directory_urls, options.standalone, options.pdf)
            markdown = render_page(view, links)
            if view.slug in self.plan.broken:
                path, errors = self.plan.broken[view.slug]
                markdown = with_problems(markdown, path, [e.text() for e in errors])
            pages.append(Page(f"{view.slug}.md", markdown))
        shown = {view.slug for view in self.plan.views}
        for slug, (path, errors) in self.plan.broken.items():
            if slug not in shown:  # broken since `serve` started: its errors alone
                pages.append(Page(f"{slug}.md",
                                  problems_page(slug, path, [e.text() for e in errors])))
        return pages

    def fill_page(self, src_uri: str, markdown: str) -> str:
        """A docs page with the series listed where it says SERIES_MARK: every guide by
        chapter, in series order, with its step count, standalone page and PDF."""
        if SERIES_MARK not in markdown:
            return markdown
        options = self.options
        links = SeriesLinks(options.standalone, options.pdf, options.pdf and options.handout)
        base = "../" * src_uri.count("/")
        # Blank lines around it, whatever surrounds the mark: the list is blocks of its own.
        listing = "\n\n" + render_series(self.plan.views, links, base).strip() + "\n\n"
        return markdown.replace(SERIES_MARK, listing)

    def outputs(self) -> list[Output]:
        """The files the build makes for the site, each with the cache entry it will be."""
        files = [
            Output(f"{guide.loaded.slug}/{planned.image.filename}", planned.image.path)
            for guide in self.plan.images.guides
            for planned in guide.planned
        ]
        files += [Output(c.uri, c.path) for c in self.plan.companions]
        if self.plan.palette is not None:  # the theme override links it
            files.append(Output(PALETTE_CSS, self.plan.palette))
        return files

    def is_published(self, src_uri: str, abs_src_path: str | Path | None = None) -> bool:
        """Whether a file of the docs folder is copied into the site as it is.

        Guide files and the screenshots and markers guides use are inputs: never published,
        by any front end. Every other file is (theme images, a logo, a favicon, downloads).
        """
        if "/" not in src_uri and src_uri.endswith(GUIDE_SUFFIXES):
            return False
        if abs_src_path is None:
            abs_src_path = self.project.docs_dir / src_uri
        return Path(abs_src_path).resolve() not in self.plan.inputs

    def inputs(self) -> frozenset[Path]:
        """The local files the guides read (see `inputs_of`)."""
        return self.plan.inputs

    # -- finish --------------------------------------------------------------------------

    def finish(self) -> BuildResult:
        """Wait for every image and companion; raise GuideErrors with every failure."""
        plan = self.plan
        problems = collect_images(plan.images, self._running, self.workers)
        self._running = {}
        if problems:
            raise GuideErrors(problems)
        self._scheduled.wait(self.workers)
        made = self._scheduled.made
        slugs = {g.loaded.slug for g in plan.images.guides if g.jobs} | {
            view.slug for companion, _ in self._scheduled.jobs for view in companion.views
            if companion.kind != "handout"}
        if any(companion.kind == "handout" for companion, _ in self._scheduled.jobs):
            slugs.add("handout.pdf")
        remade = tuple(g.display for g in plan.guides if g.slug in slugs) + (
            ("the handout",) if "handout.pdf" in slugs else ())
        self._scheduled = Scheduled()
        return BuildResult(len(plan.guides), plan.images.jobs, made, plan.warnings, remade)

    def close(self) -> None:
        self.workers.close()
        self.fetcher.close()


def inputs_of(guides: Iterable[LoadedGuide]) -> frozenset[Path]:
    """The local files guides read: screenshots and markers (not URLs), and the capture
    records that say how captured screenshots are cropped and marked. Resolved, once a
    build: the site asks of every file of the docs folder whether it is one."""
    found = set()
    for loaded in guides:
        if loaded.record is not None:
            found.add(loaded.record.resolve())
        for _, step in loaded.guide.numbered_steps():
            if step.image is None:
                continue
            marker = step.image.marker.src if step.image.marker else ""
            for src in (step.image.src, marker):
                if src and "://" not in src and not src.startswith("builtin:"):
                    found.add((loaded.base_dir / src).resolve())
    return frozenset(found)


def _by_guide(
    problems: list[GuideError], root: Path
) -> dict[str, tuple[str, list[GuideError]]]:
    """Problems grouped by the guide file they are in, by its slug."""
    grouped: dict[str, tuple[str, list[GuideError]]] = {}
    for problem in problems:
        slug = slug_of(Path(problem.path))
        grouped.setdefault(slug, (display_path(root / problem.path, root), []))[1].append(problem)
    return grouped


def _in_series_order(problems: list[GuideError], guides: list[LoadedGuide]) -> list[GuideError]:
    """Problems by guide (series order; files that did not load first, by name), by line."""
    order = {loaded.display: index for index, loaded in enumerate(guides)}
    return sorted(problems, key=lambda p: (
        order.get(p.path, -1), "" if p.path in order else p.path, p.line or 0))
