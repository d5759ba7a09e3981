"""A companion file (standalone page, guide PDF, handout) and the jobs that make it.

These run in the worker processes: this module and what it imports are what a worker
needs to unpickle a job, and nothing of the guide model or the image pipeline. The
renderers are imported inside the jobs, so the build process, which only plans
companions (outputs.py), never imports WeasyPrint.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from generator.fsutil import read_checked, write_checked
from generator.render.views import GuideView
from generator.theme import DEFAULT_THEME, Theme


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
    theme: Theme = DEFAULT_THEME  # the site's colours and language

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
        data: bytes | str = render_standalone(companion.views[0], companion.theme)
    elif companion.kind == "pdf":
        data = guide_pdf(
            companion.views[0], paper=companion.paper, site_url=companion.site_url,
            cache=PdfStore(companion.sections), theme=companion.theme,
        )
    else:
        data = build_handout(
            list(companion.views), site_name=companion.site_name, paper=companion.paper,
            site_url=companion.site_url, cache=PdfStore(companion.sections),
            theme=companion.theme,
        )
    write_checked(companion.path, data)


def lay_out_section(companion: Companion) -> None:
    """Lay out a guide PDF's section into the section cache (runs in a worker process),
    where the guide's PDF and the handout both find it."""
    from generator.render.handout import PdfStore, cached_section  # see make_companion

    cached_section(companion.views[0], paper=companion.paper, site_url=companion.site_url,
                   cache=PdfStore(companion.sections), theme=companion.theme)
