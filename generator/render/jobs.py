"""The jobs that make companion files (standalone page, guide PDF, handout) in the workers,
and the parts they are made of (a guide's section; the handout's front and page numbers).

This module and what it imports are what a worker needs to unpickle a job: nothing of the
guide model or the image pipeline. The renderers are imported inside the jobs, so the build
process, which only plans companions (companions.py), never imports WeasyPrint.
"""

from __future__ import annotations

from generator.cache import Store
from generator.fsutil import write_checked
from generator.views import Companion


def make_companion(companion: Companion) -> None:
    """Render one companion into the cache (runs in a worker process)."""
    # Imported here: WeasyPrint takes half a second to import, which a rebuild that finds
    # everything in the cache should not pay.
    from generator.render.handout import build_handout, guide_pdf
    from generator.render.html import render_standalone

    sections = Store(companion.sections)
    if companion.kind == "html":
        data: bytes | str = render_standalone(companion.views[0], companion.theme)
    elif companion.kind == "pdf":
        data = guide_pdf(
            companion.views[0], paper=companion.paper, site_url=companion.site_url,
            cache=sections, theme=companion.theme,
        )
    else:
        data = build_handout(
            list(companion.views), site_name=companion.site_name, paper=companion.paper,
            site_url=companion.site_url, cache=sections, theme=companion.theme,
        )
    write_checked(companion.path, data)


def lay_out_section(companion: Companion) -> None:
    """Lay out a guide PDF's section into the section cache (runs in a worker process),
    where the guide's PDF and the handout both find it."""
    from generator.render.handout import cached_section  # see make_companion

    cached_section(companion.views[0], paper=companion.paper, site_url=companion.site_url,
                   cache=Store(companion.sections), theme=companion.theme)


def lay_out_front(companion: Companion) -> None:
    """Lay out the handout's front into the section cache (runs in a worker process), from
    the sections there: its page count is what the page numbers wait for."""
    from generator.render.handout import keep_front  # see make_companion

    keep_front(list(companion.views), site_name=companion.site_name, paper=companion.paper,
               site_url=companion.site_url, cache=Store(companion.sections),
               theme=companion.theme)


def lay_out_numbers(companion: Companion, lane: int, lanes: int) -> None:
    """Lay out lane `lane` of `lanes` of the handout's page numbers into the section cache
    (runs in a worker process; the other lanes run beside it)."""
    from generator.render.handout import keep_numbers  # see make_companion

    keep_numbers(list(companion.views), lane, lanes, site_name=companion.site_name,
                 paper=companion.paper, site_url=companion.site_url,
                 cache=Store(companion.sections), theme=companion.theme)
