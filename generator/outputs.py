"""The companion files of a build: each guide's standalone page and PDF, the handout.

Each is keyed by everything it shows (the guide, its images' cache keys, the options and
the generator's version) and kept in `.cache/guidesmith/outputs/`, so a rebuild redoes
only the guides that changed. They are planned when MkDocs gathers files (so pages may
link to them) and made once the images are ready, before MkDocs copies files.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator import __version__
from generator.fsutil import atomic_write
from generator.images import CACHE_VERSION
from generator.pipeline import Build
from generator.render.context import GuideView
from generator.render.html import render_standalone
from generator.render.pdf import render_guide_pdf, render_handout_pdf

HANDOUT_NAME = "handout.pdf"


@dataclass(frozen=True)
class Companion:
    """One output file: where it goes in the site, where it is cached, how it is made."""

    uri: str
    path: Path
    make: Callable[[], bytes | str]

    def ensure(self) -> bool:
        """Make the file unless the cache has it; True when it was made."""
        if self.path.exists():
            return False
        atomic_write(self.path, self.make())
        return True


def _key(kind: str, views: list[GuideView], build: Build, extra: dict[str, object]) -> str:
    content = {
        "kind": kind,
        "v": CACHE_VERSION,
        "generator": __version__,
        "guides": [
            {
                "slug": view.slug,
                "guide": loaded.guide.model_dump(mode="json"),
                "images": {n: img.path.name for n, img in sorted(images.items())},
            }
            for view in views
            for loaded, images in [build.sources[view.slug]]
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
    planned: list[Companion] = []
    for view in views:
        one = [view]
        if options.standalone:
            key = _key("html", one, build, {})
            planned.append(Companion(
                f"{view.slug}/{view.slug}.html", cache / f"{key}.html",
                lambda view=view: render_standalone(view)))
        if options.pdf:
            key = _key("pdf", one, build, {"site_url": site_url})
            planned.append(Companion(
                f"{view.slug}/{view.slug}.pdf", cache / f"{key}.pdf",
                lambda view=view: render_guide_pdf(view, paper=options.paper, site_url=site_url)))
    if options.pdf and handout and views:
        key = _key("handout", views, build, {"site_url": site_url, "site_name": site_name})
        planned.append(Companion(
            HANDOUT_NAME, cache / f"{key}.pdf",
            lambda: render_handout_pdf(
                views, site_name=site_name, paper=options.paper, site_url=site_url)))
    return planned
