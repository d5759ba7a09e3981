"""The companion files of a build: each guide's standalone page and PDF, the handout.

Each is keyed by everything it shows (the guide, its images' cache keys, the options and
the generator's version) and kept in `.cache/guidesmith/outputs/` with its sha256 beside
it (as the step images are), so a rebuild redoes only the guides that changed, and a
damaged file is made again rather than published. They are planned with the images, when
the build starts, and each is made in the worker processes as soon as the images it shows
are (schedule): a guide's standalone page and PDF after its images, the handout after
every guide PDF, assembled from their cached sections (see render/handout.py), so an edited
guide is laid out once, not twice. MkDocs renders the site's pages meanwhile.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from generator import __version__
from generator.errors import GuideError, GuideErrors
from generator.images import CACHE_VERSION, GuideImages
from generator.pipeline import Build
from generator.render.companions import Companion, lay_out_section, make_companion
from generator.render.context import GuideView
from generator.render.environment import templates_digest
from generator.theme import DEFAULT_THEME, Theme
from generator.workers import POOL_BROKEN, DependencyFailed, Workers

HANDOUT_NAME = "handout.pdf"


def _key(kind: str, views: list[GuideView], build: Build, extra: dict[str, object]) -> str:
    sources = build.sources
    content = {
        "kind": kind,
        "v": CACHE_VERSION,
        "generator": __version__,
        "guides": [
            {
                "slug": view.slug,
                "guide": sources[view.slug][0].guide.model_dump(mode="json"),
                "images": {n: img.path.name for n, img in sorted(sources[view.slug][1].items())},
            }
            for view in views
        ],
        "paper": build.options.paper,
        "templates": templates_digest(),
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH"),
        **extra,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def plan_companions(
    build: Build, site_name: str, site_url: str | None, *, handout: bool = True,
    theme: Theme = DEFAULT_THEME,
) -> list[Companion]:
    """The standalone pages, PDFs and handout this build should have, in the site's `theme`."""
    cache = build.cache_root / "outputs"
    options = build.options
    views = build.views()
    common = {
        "paper": options.paper, "site_name": site_name, "site_url": site_url,
        "sections": cache / "sections", "theme": theme,
    }
    look = {"theme": dataclasses.asdict(theme)}
    planned: list[Companion] = []
    if options.pdf and handout and views:
        key = _key("handout", views, build,
                   {"site_url": site_url, "site_name": site_name, **look})
        planned.append(Companion(HANDOUT_NAME, cache / f"{key}.pdf", "handout", tuple(views),
                                 **common))
    for view in views:
        if options.standalone:
            key = _key("html", [view], build, look)
            planned.append(Companion(f"{view.slug}/{view.slug}.html", cache / f"{key}.html",
                                     "html", (view,), **common))
        if options.pdf:
            key = _key("pdf", [view], build, {"site_url": site_url, **look})
            planned.append(Companion(f"{view.slug}/{view.slug}.pdf", cache / f"{key}.pdf",
                                     "pdf", (view,), **common))
    return planned


@dataclass
class Scheduled:
    """The companions a build makes, each with the futures of its jobs (a PDF has two)."""

    jobs: list[tuple[Companion, Future[None]]]
    workers: Workers | None = None

    def wait(self) -> int:
        """Block until all are in the cache; how many were made. Raises GuideErrors.

        A job skipped because an image it needed failed says nothing: that image's
        problem is what the build reports (Build.wait_images, called first).
        """
        problems: list[GuideError] = []
        for companion, future in self.jobs:
            try:
                future.result()
            except DependencyFailed:
                continue
            except BrokenProcessPool:
                if self.workers is not None:
                    self.workers.close()  # a later build (under `serve`) starts a fresh pool
                raise GuideErrors([GuideError(companion.uri, POOL_BROKEN)]) from None
            except Exception as exc:  # reported per file, never as a traceback
                guides = ", ".join(v.slug for v in companion.views[:3])
                problems.append(GuideError(companion.uri, f"cannot make it from {guides}: {exc}"))
        if problems:
            raise GuideErrors(problems)
        return len({companion.uri for companion, _ in self.jobs})


def schedule(
    companions: list[Companion], planned: list[GuideImages], workers: Workers
) -> Scheduled:
    """Start making every companion the cache lacks, each as soon as what it shows is ready.

    A guide's page waits for that guide's images only. Its PDF is its section, laid out
    as soon as the images are there, numbered then; the handout waits for every image and
    for the sections being laid out, which it reuses, not for their numbering.
    """
    missing = [c for c in companions if c.missing]
    images = {g.loaded.slug: g.jobs() for g in planned}
    pdfs = [c for c in missing if c.kind == "pdf"]
    submit = workers.submit_for(
        len(missing) + len(pdfs) + sum(map(len, images.values()))
    )
    jobs: list[tuple[Companion, Future[None]]] = []
    sections: list[Future[None]] = []
    for companion in (c for c in missing if c.kind != "handout"):
        needs = images.get(companion.views[0].slug, [])
        if companion.kind == "pdf":
            sections.append(workers.after(needs, submit, lay_out_section, companion))
            jobs.append((companion, sections[-1]))  # its failure is said as the PDF's
            needs = [sections[-1]]
        jobs.append((companion, workers.after(needs, submit, make_companion, companion)))
    for companion in (c for c in missing if c.kind == "handout"):
        needs = [f for slug_jobs in images.values() for f in slug_jobs] + sections
        jobs.append((companion, workers.after(needs, submit, make_companion, companion)))
    return Scheduled(jobs, workers)
