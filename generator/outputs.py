"""The companion files of a build: each guide's standalone page and PDF, the handout.

Each is keyed by everything it shows (the guide, its images' cache keys, the options and
the generator's version) and kept in `.cache/guidesmith/outputs/` with its sha256 beside
it (as the step images are), so a rebuild redoes only the guides that changed, and a
damaged file is made again rather than published. They are planned when MkDocs gathers
files (so pages may link to them) and made in the worker processes once the images are
ready, before MkDocs copies files: the print images first, then the standalone pages
and guide PDFs, then the handout, which is assembled from the guide PDFs' cached sections
(see render/handout.py), so an edited guide is laid out once, not twice.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from generator import __version__
from generator.errors import GuideError, GuideErrors
from generator.fsutil import read_checked, write_checked
from generator.images import CACHE_VERSION, POOL_BROKEN
from generator.pipeline import Build
from generator.render.context import GuideView

HANDOUT_NAME = "handout.pdf"
Submit = Callable[..., Future[Any]]
SubmitFor = Callable[[int], Submit]


@dataclass(frozen=True)
class Companion:
    """One output file: where it goes in the site, where it is cached, what it shows."""

    uri: str
    path: Path
    kind: Literal["html", "pdf", "handout"]
    views: tuple[GuideView, ...]
    paper: str
    site_name: str
    site_url: str | None
    sections: Path

    @property
    def missing(self) -> bool:
        """Not in the cache, or damaged there (then dropped): it must be made."""
        return read_checked(self.path) is None


def make_companion(companion: Companion) -> None:
    """Render one companion into the cache (runs in a worker process)."""
    # Imported here: WeasyPrint takes half a second to import, which a rebuild that finds
    # everything in the cache should not pay.
    from generator.render.handout import PdfStore, build_handout, guide_pdf
    from generator.render.html import render_standalone

    if companion.kind == "html":
        data: bytes | str = render_standalone(companion.views[0])
    elif companion.kind == "pdf":
        data = guide_pdf(
            companion.views[0], paper=companion.paper, site_url=companion.site_url,
            cache=PdfStore(companion.sections),
        )
    else:
        data = build_handout(
            list(companion.views), site_name=companion.site_name, paper=companion.paper,
            site_url=companion.site_url, cache=PdfStore(companion.sections),
        )
    write_checked(companion.path, data)


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
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH"),
        **extra,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def plan_companions(
    build: Build, site_name: str, site_url: str | None, *, handout: bool = True
) -> list[Companion]:
    """The standalone pages, PDFs and handout this build should have."""
    cache = build.cache_root / "outputs"
    options = build.options
    views = build.views()
    common = {
        "paper": options.paper, "site_name": site_name, "site_url": site_url,
        "sections": cache / "sections",
    }
    planned: list[Companion] = []
    if options.pdf and handout and views:
        key = _key("handout", views, build, {"site_url": site_url, "site_name": site_name})
        planned.append(Companion(HANDOUT_NAME, cache / f"{key}.pdf", "handout", tuple(views),
                                 **common))
    for view in views:
        if options.standalone:
            key = _key("html", [view], build, {})
            planned.append(Companion(f"{view.slug}/{view.slug}.html", cache / f"{key}.html",
                                     "html", (view,), **common))
        if options.pdf:
            key = _key("pdf", [view], build, {"site_url": site_url})
            planned.append(Companion(f"{view.slug}/{view.slug}.pdf", cache / f"{key}.pdf",
                                     "pdf", (view,), **common))
    return planned


def make_missing(companions: list[Companion], submit_for: SubmitFor) -> int:
    """Make every companion the cache lacks, in parallel; return how many were made.

    `submit_for(n)` says where n jobs run (ImageBuilder.submit_for).
    """
    missing = [c for c in companions if c.missing]
    # The print images of the guide PDFs to lay out, made ahead in parallel (the handout
    # reuses those guides' laid-out sections, so it needs none of its own).
    printed = sorted({
        step.image.path
        for c in missing if c.kind == "pdf"
        for step in c.views[0].steps if step.image is not None
    })
    if printed:
        from generator.render.pdf import prepare_print_images  # see make_companion

        paper = next(c.paper for c in missing if c.kind == "pdf")
        workers = max(1, os.cpu_count() or 1)
        chunks = [chunk for i in range(workers) if (chunk := printed[i::workers])]
        submit = submit_for(len(chunks))
        for future in [submit(prepare_print_images, chunk, paper) for chunk in chunks]:
            future.result()
    problems: list[GuideError] = []
    for wave in (
        [c for c in missing if c.kind != "handout"],
        [c for c in missing if c.kind == "handout"],
    ):
        _run_wave(wave, submit_for(len(wave)), problems)
    if problems:
        raise GuideErrors(problems)
    return len(missing)


def _run_wave(wave: list[Companion], submit: Submit, problems: list[GuideError]) -> None:
    futures = [(c, submit(make_companion, c)) for c in wave]
    for companion, future in futures:
        try:
            future.result()
        except BrokenProcessPool:
            raise GuideErrors([GuideError(companion.uri, POOL_BROKEN)]) from None
        except Exception as exc:  # reported per file, never as a traceback
            guides = ", ".join(v.slug for v in companion.views[:3])
            problems.append(GuideError(companion.uri, f"cannot make it from {guides}: {exc}"))
