"""The companion files of a build: each guide's standalone page and PDF, and the handout.

Each is keyed by everything it shows (its views, which name their images by content, and
the settings that change it; cache.key folds in the templates and guidesmith's version),
so a rebuild remakes only the guides that changed. They are planned as the build starts,
and each is made in the workers as soon as what it shows is ready (`schedule`): a guide's
standalone page and PDF after its images, the handout after every image and every guide's
laid-out section, which it reuses (render/handout.py). MkDocs renders pages meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from generator.cache import PAGES, SECTIONS, Store, key
from generator.errors import GuideError, GuideErrors
from generator.fsutil import read_checked
from generator.images import Running
from generator.progress import QUIET, Meter
from generator.render.dates import build_date
from generator.render.jobs import lay_out_front, lay_out_numbers, lay_out_section, make_companion
from generator.theme import DEFAULT_THEME, Theme
from generator.views import Companion, GuideView
from generator.workers import POOL_BROKEN, DependencyFailed, Workers

HANDOUT_NAME = "handout.pdf"


@dataclass(frozen=True)
class CompanionSettings:
    """Which companions a build makes, and what besides the guides they show."""

    standalone: bool = True
    pdf: bool = True
    handout: bool = True
    paper: str = "a4"
    site_name: str = ""
    site_url: str | None = None
    theme: Theme = DEFAULT_THEME  # the site's colours and language, which they take


def plan_companions(
    views: Sequence[GuideView], cache_root: Path, settings: CompanionSettings
) -> tuple[Companion, ...]:
    """The standalone pages, PDFs and handout of these guides, each at its cache entry."""
    pages = Store.of(cache_root, PAGES)
    sections = Store.of(cache_root, SECTIONS).directory
    date = build_date()
    # Each view is in its page's key, its PDF's and the handout's: serialised once, here.
    digests = {view.slug: key(PAGES, view) for view in views}

    def companion(
        uri: str, kind: Literal["html", "pdf", "handout"], shown: Sequence[GuideView],
        **decides: object,
    ) -> Companion:
        ext = "html" if kind == "html" else "pdf"
        entry_key = key(PAGES, {"kind": kind, "views": [digests[view.slug] for view in shown],
                                "theme": settings.theme, **decides})
        return Companion(uri, pages.path(entry_key, ext), kind, tuple(shown), settings.paper,
                         settings.site_name, settings.site_url, sections, settings.theme)

    planned: list[Companion] = []
    print_settings = {"paper": settings.paper, "site_url": settings.site_url, "date": date}
    if settings.pdf and settings.handout and views:
        planned.append(companion(HANDOUT_NAME, "handout", views, site_name=settings.site_name,
                                 **print_settings))
    for view in views:
        if settings.standalone:
            planned.append(companion(f"{view.slug}/{view.slug}.html", "html", [view]))
        if settings.pdf:
            planned.append(companion(f"{view.slug}/{view.slug}.pdf", "pdf", [view],
                                     **print_settings))
    return tuple(planned)


def is_missing(companion: Companion) -> bool:
    """Not in the cache, or damaged there (then dropped): it must be made."""
    return read_checked(companion.path) is None


@dataclass(frozen=True)
class Scheduled:
    """The companions a build makes, each with the futures of its jobs (a PDF has two, the
    handout one for its front, one a worker for its page numbers and the last)."""

    jobs: tuple[tuple[Companion, Future[None]], ...] = ()

    @property
    def made(self) -> int:
        """How many files are being made."""
        return len({companion.uri for companion, _ in self.jobs})

    def wait(self, workers: Workers) -> None:
        """Block until all are in the cache. Raises GuideErrors.

        A job skipped because an image it needed failed says nothing: that image's
        problem is what the build reports.
        """
        problems: list[GuideError] = []
        for companion, future in self.jobs:
            try:
                future.result()
            except DependencyFailed:
                continue
            except BrokenProcessPool:
                workers.close()  # a later build (under `serve`) starts a fresh pool
                raise GuideErrors([GuideError(companion.uri, POOL_BROKEN)]) from None
            except Exception as exc:  # reported per file, never as a traceback
                guides = ", ".join(v.slug for v in companion.views[:3])
                problems.append(GuideError(companion.uri, f"cannot make it from {guides}: {exc}"))
        if problems:
            raise GuideErrors(problems)


def schedule(
    companions: Sequence[Companion], images: Running, workers: Workers, meter: Meter = QUIET
) -> Scheduled:
    """Start making every companion the cache lacks, each as soon as what it shows is ready.

    A guide's page waits for that guide's images only. Its PDF is its section, laid out
    as soon as the images are there, numbered then; the handout waits for every image and
    for the sections being laid out, which it reuses, not for their numbering. Its front and
    page numbers are jobs of their own, so every worker has work after the last section.
    """
    missing = [c for c in companions if is_missing(c)]
    needs_of = {slug: [future for _, future in running] for slug, running in images.items()}
    pdfs = [c for c in missing if c.kind == "pdf"]
    handouts = [c for c in missing if c.kind == "handout"]
    submit = workers.submit_for(
        len(missing) + len(pdfs) + len(handouts) * (1 + workers.count)
        + sum(map(len, needs_of.values()))
    )
    jobs: list[tuple[Companion, Future[None]]] = []
    sections: list[Future[None]] = []
    for companion in (c for c in missing if c.kind != "handout"):
        needs: list[Future[object]] = list(needs_of.get(companion.views[0].slug, []))
        if companion.kind == "pdf":
            sections.append(workers.after(needs, submit, lay_out_section, companion))
            jobs.append((companion, sections[-1]))  # its failure is said as the PDF's
            needs = [sections[-1]]
        jobs.append((companion, workers.after(needs, submit, make_companion, companion)))
    for companion in handouts:
        needs = [f for slug_jobs in needs_of.values() for f in slug_jobs] + sections
        jobs += _handout_jobs(companion, needs, submit, workers)
    finals = {companion.uri: future for companion, future in jobs}  # each file's last job
    done = meter.phase("Laying out pages and PDFs", len(finals))
    for future in finals.values():
        future.add_done_callback(lambda _: done(1))
    return Scheduled(tuple(jobs))


def _handout_jobs(
    companion: Companion, needs: list[Future[object]], submit: Callable[..., Future[object]],
    workers: Workers,
) -> list[tuple[Companion, Future[None]]]:
    """The handout's jobs: its front once `needs` are done, then its page numbers in one
    lane per worker, side by side, then the handout put together from them.

    The end of the build waits for them one after the other: each goes before the guides'
    PDFs still waiting to start, which fill the workers they leave free.
    """
    front = workers.after(needs, submit, lay_out_front, companion, first=True)
    lanes = [
        workers.after([front], submit, lay_out_numbers, companion, lane, workers.count,
                      first=True)
        for lane in range(workers.count)
    ]
    made = workers.after(lanes, submit, make_companion, companion, first=True)
    return [(companion, future) for future in (front, *lanes, made)]
