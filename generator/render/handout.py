"""The series handout, put together from per-guide sections that a cache keeps.

A guide's section is the guide laid out for print without page numbers (render_section);
its own PDF is that section numbered "N / P", so the two share one layout. The front is one
WeasyPrint document laid out from the guides' titles and page counts only: the cover, the
contents and one blank page for each guide, where the page counter moves on by the pages of
the guide before it, so the contents' target-counter gives each guide's first page. The
numbers "N / T" of every page after the cover come from numbers documents (render_numbers),
runs of at most NUMBERS_PER_RUN pages, laid out apart so that a build's workers lay them out
in parallel (keep_front, then keep_numbers in each lane). pikepdf (qpdf) merges them: the
front's own pages, then the sections, each page numbered by its run; the contents' links go
to each guide's first page, and the outline nests chapters > guides > steps, the steps taken
from each section's own bookmarks.

Nothing a section shows depends on where it lands in the handout, so a changed guide lays out
its own section again and nothing else; the front and the numbers are laid out again only
when a title, the order or a page count changes, and they have neither images nor steps to
lay out. A build passes one cache (a Store of sections) to guide_pdf, to the handout's jobs
and to build_handout: whichever runs first lays out a part, the others find it there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from itertools import groupby
from typing import Protocol

from pikepdf import Array, Dictionary, Name, Pdf, String

from generator.cache import SECTIONS, key
from generator.printimages import (
    IMAGE_MAX_HEIGHT_MM,
    JPEG_QUALITY,
    PRINT_DPI,
    paper_named,
)
from generator.render.pdf import (
    build_date,
    lay_out,
    number_section,
    render_numbers,
    render_section,
)
from generator.render.pdfpages import (
    Bookmark,
    Part,
    copy_outline,
    finish,
    merge_structure,
    named_destinations,
    number_pages,
    page_indexes,
    read_pdf,
    write_outline,
)
from generator.theme import DEFAULT_THEME, Theme
from generator.views import GuideView


class Keeper(Protocol):
    """Where laid-out PDFs are kept by key (a cache.Store); a test may count what it makes."""

    def get_or_make(self, entry_key: str, ext: str, make: Callable[[], bytes]) -> bytes: ...


# What print images look like: part of every key (the code's own version is in all keys).
PRINT_SETTINGS = (PRINT_DPI, JPEG_QUALITY, IMAGE_MAX_HEIGHT_MM)
# The handout's page numbers are laid out in runs of this many pages (the last one shorter),
# each a document of its own that a worker lays out while others lay out the rest. A fixed
# length, not one run per core: the handout's bytes do not depend on the machine.
NUMBERS_PER_RUN = 64
# The id of the contents in the front: where the handout's page numbers start.
CONTENTS_KEY = "contents"


@dataclass(frozen=True)
class FrontEntry:
    """A guide as the front shows it: its anchor, its title, and how far the page counter
    moves on at its page (the pages of the guide before it; None for the first guide)."""

    key: str
    title: str
    advance: int | None


@dataclass(frozen=True)
class FrontGroup:
    """Consecutive guides of one chapter (or of none), in series order."""

    title: str | None
    entries: list[FrontEntry]


@dataclass(frozen=True)
class FrontLayout:
    """Where a laid-out front puts things (pages counted from 1)."""

    kept: int  # the cover and the contents: the front's pages the handout keeps
    numbered: int  # the first page that shows its number: the contents' first
    total: int  # the handout's pages

    def runs(self) -> list[tuple[int, int]]:
        """The first and last page of each run of page numbers, `numbered` to `total`."""
        return [
            (first, min(first + NUMBERS_PER_RUN - 1, self.total))
            for first in range(self.numbered, self.total + 1, NUMBERS_PER_RUN)
        ]


def plan_handout(guide_page_counts: Sequence[int], front_pages: int) -> list[int]:
    """Each guide's first page in the handout (1-based), after `front_pages` of front."""
    starts, page = [], front_pages + 1
    for count in guide_page_counts:
        starts.append(page)
        page += count
    return starts


def section_key(
    view: GuideView, *, paper: str = "a4", site_url: str | None = None,
    theme: Theme = DEFAULT_THEME,
) -> str:
    """Everything a guide's section shows: the view, its images' names, paper, URL, date,
    the site's colours and language."""
    return key(SECTIONS, {
        "part": "section",
        "print": PRINT_SETTINGS,
        "guide": view,
        "paper": paper_named(paper),
        "site_url": site_url,
        "date": build_date(),
        "theme": theme,
    })


def front_key(
    views: Sequence[GuideView],
    page_counts: Sequence[int],
    *,
    site_name: str,
    paper: str = "a4",
    site_url: str | None = None,
    title: str | None = None,
    theme: Theme = DEFAULT_THEME,
) -> str:
    """Everything the front shows: titles, chapters, page counts, the cover, the date, the
    site's colours and language."""
    return key(SECTIONS, {
        "part": "front",
        "print": PRINT_SETTINGS,
        "guides": [
            [view.title, view.chapter, count]
            for view, count in zip(views, page_counts, strict=True)
        ],
        "site_name": site_name,
        "site_url": site_url,
        "title": title,
        "paper": paper_named(paper),
        "date": build_date(),
        "theme": theme,
    })


def numbers_key(
    first: int, last: int, total: int, *, paper: str = "a4", theme: Theme = DEFAULT_THEME
) -> str:
    """Everything a numbers document shows (a guide's, or a run of the handout's): its pages,
    the total, the paper, the site's colours and language."""
    return key(SECTIONS, {
        "part": "numbers",
        "pages": [first, last],
        "total": total,
        "paper": paper_named(paper),
        "theme": theme,
    })


def cached_section(
    view: GuideView,
    *,
    paper: str = "a4",
    site_url: str | None = None,
    cache: Keeper | None = None,
    theme: Theme = DEFAULT_THEME,
) -> bytes:
    """The guide's section, from `cache` when it has it."""
    return _keep(
        cache, section_key(view, paper=paper, site_url=site_url, theme=theme),
        lambda: render_section(view, paper=paper, site_url=site_url, theme=theme),
    )


def guide_pdf(
    view: GuideView,
    *,
    paper: str = "a4",
    site_url: str | None = None,
    cache: Keeper | None = None,
    theme: Theme = DEFAULT_THEME,
) -> bytes:
    """The guide's own PDF (as render_guide_pdf), from its cached section when there is one."""
    section = cached_section(view, paper=paper, site_url=site_url, cache=cache, theme=theme)
    return number_section(section, paper=paper, theme=theme,
                          numbers=partial(cached_numbers, cache=cache))


def cached_numbers(
    total: int,
    *,
    first: int = 1,
    last: int | None = None,
    paper: str = "a4",
    cache: Keeper | None = None,
    theme: Theme = DEFAULT_THEME,
) -> bytes:
    """render_numbers, from `cache` when it has it: guides of as many pages share theirs."""
    last = total if last is None else last
    return _keep(
        cache, numbers_key(first, last, total, paper=paper, theme=theme),
        lambda: render_numbers(total, first=first, last=last, paper=paper, theme=theme),
    )


def render_front(
    views: Sequence[GuideView],
    page_counts: Sequence[int],
    *,
    site_name: str,
    paper: str = "a4",
    site_url: str | None = None,
    title: str | None = None,
    theme: Theme = DEFAULT_THEME,
) -> bytes:
    """The cover, the contents and a blank page for each guide, where it will start."""
    entries = [
        (view.chapter, FrontEntry(
            _front_anchor(index, count), view.title, page_counts[index - 1] if index else None
        ))
        for index, (view, count) in enumerate(zip(views, page_counts, strict=True))
    ]
    groups = [
        FrontGroup(chapter, [entry for _, entry in members])
        for chapter, members in groupby(entries, key=lambda pair: pair[0])
    ]
    return lay_out(
        "handout.html",
        {},
        groups=groups,
        advances=sorted({entry.advance for _, entry in entries if entry.advance}),
        contents_key=CONTENTS_KEY,
        guide_count=len(views),
        site_name=site_name,
        site_url=site_url,
        title=title,
        paper=paper_named(paper),
        date=build_date(),
        page_numbers=False,
        theme=theme,
    )


def front_layout(front: Pdf, page_counts: Sequence[int]) -> FrontLayout:
    """Where `front` puts the contents and the guides, checked against the guides' page
    counts (each guide's anchor names its count). Raises ValueError for a front laid out
    for other guides or page counts."""
    where = page_indexes(front)
    names = dict(named_destinations(front))
    kept = len(front.pages) - len(page_counts)
    anchors = [
        _page_number(where, names.get(_front_anchor(index, count)))
        for index, count in enumerate(page_counts)
    ]
    numbered = _page_number(where, names.get(CONTENTS_KEY))
    if (kept < 1 or numbered is None or numbered > kept
            or anchors != list(range(kept + 1, len(front.pages) + 1))):
        raise ValueError("the handout's front was laid out for other guides or page counts")
    return FrontLayout(kept, numbered, kept + sum(page_counts))


def build_handout(
    views: Sequence[GuideView],
    *,
    site_name: str,
    paper: str = "a4",
    site_url: str | None = None,
    title: str | None = None,
    cache: Keeper | None = None,
    theme: Theme = DEFAULT_THEME,
) -> bytes:
    """Every guide in series order: a cover, contents with page numbers, a guide a page.

    `cache` keeps the sections, the front and the page numbers between builds; without it
    all is laid out.
    """
    with ExitStack() as opened:
        sections, front, layout = _front_of(
            views, opened, site_name=site_name, paper=paper, site_url=site_url, title=title,
            cache=cache, theme=theme,
        )
        numbers = _numbers(layout, layout.runs(), opened, paper=paper, cache=cache, theme=theme)
        return _assemble(front, layout, sections, views, numbers)


def keep_front(
    views: Sequence[GuideView],
    *,
    site_name: str,
    paper: str = "a4",
    site_url: str | None = None,
    title: str | None = None,
    cache: Keeper,
    theme: Theme = DEFAULT_THEME,
) -> None:
    """Lay out the handout's front into `cache`, after the guides' sections (a build's job of
    its own: the page numbers, which need its page count, follow it)."""
    with ExitStack() as opened:
        _front_of(views, opened, site_name=site_name, paper=paper, site_url=site_url,
                  title=title, cache=cache, theme=theme)


def keep_numbers(
    views: Sequence[GuideView],
    lane: int,
    lanes: int,
    *,
    site_name: str,
    paper: str = "a4",
    site_url: str | None = None,
    title: str | None = None,
    cache: Keeper,
    theme: Theme = DEFAULT_THEME,
) -> None:
    """Lay out into `cache` the runs of the handout's page numbers that are lane `lane` of
    `lanes` (the first, the lanes-th after it, ...): a build gives each worker a lane."""
    with ExitStack() as opened:
        _, _, layout = _front_of(views, opened, site_name=site_name, paper=paper,
                                 site_url=site_url, title=title, cache=cache, theme=theme)
        _numbers(layout, layout.runs()[lane::lanes], opened, paper=paper, cache=cache,
                 theme=theme)


def assemble(
    front: bytes, sections: Sequence[bytes], views: Sequence[GuideView], *, paper: str = "a4",
    theme: Theme = DEFAULT_THEME,
) -> bytes:
    """The handout: the front's own pages, then the sections, numbered after the cover."""
    with ExitStack() as opened:
        shape = opened.enter_context(read_pdf(front))
        parts = [opened.enter_context(read_pdf(section)) for section in sections]
        layout = front_layout(shape, [len(part.pages) for part in parts])
        numbers = _numbers(layout, layout.runs(), opened, paper=paper, cache=None, theme=theme)
        return _assemble(shape, layout, parts, views, numbers)


def _front_of(
    views: Sequence[GuideView],
    opened: ExitStack,
    *,
    site_name: str,
    paper: str,
    site_url: str | None,
    title: str | None,
    cache: Keeper | None,
    theme: Theme,
) -> tuple[list[Pdf], Pdf, FrontLayout]:
    """The guides' sections, the front and where it puts things, opened in `opened`."""
    sections = [
        opened.enter_context(read_pdf(
            cached_section(view, paper=paper, site_url=site_url, cache=cache, theme=theme)
        ))
        for view in views
    ]
    counts = [len(section.pages) for section in sections]
    labels = {"site_name": site_name, "paper": paper, "site_url": site_url, "title": title,
              "theme": theme}
    front = opened.enter_context(read_pdf(_keep(
        cache, front_key(views, counts, **labels),
        lambda: render_front(views, counts, **labels),
    )))
    return sections, front, front_layout(front, counts)


def _numbers(
    layout: FrontLayout,
    runs: Sequence[tuple[int, int]],
    opened: ExitStack,
    *,
    paper: str,
    cache: Keeper | None,
    theme: Theme,
) -> list[tuple[int, Pdf]]:
    """Each run's first page and its numbers document, from `cache` when it has it."""
    return [
        (first, opened.enter_context(read_pdf(cached_numbers(
            layout.total, first=first, last=last, paper=paper, cache=cache, theme=theme
        ))))
        for first, last in runs
    ]


def _assemble(
    shape: Pdf,
    layout: FrontLayout,
    sections: Sequence[Pdf],
    views: Sequence[GuideView],
    numbers: Sequence[tuple[int, Pdf]],
) -> bytes:
    counts = [len(section.pages) for section in sections]
    if len(views) != len(sections) or layout.total != layout.kept + sum(counts):
        raise ValueError("the handout's front was laid out for other guides or page counts")
    front_pages = layout.kept
    starts = plan_handout(counts, front_pages)
    where = page_indexes(shape)
    names = dict(named_destinations(shape))

    pdf = Pdf.new()
    # The front's blank pages stay behind: nothing copied refers to them, as the contents
    # link to them by name. Pages are appended one by one, since pages.extend warns that
    # such names are not carried over: _link_contents and _add_names see to them.
    for page in shape.pages[:front_pages]:
        pdf.pages.append(page)
    for section in sections:
        for page in section.pages:
            pdf.pages.append(page)
    for first, numbering in numbers:
        number_pages(pdf, numbering, first - 1)
    # A guide's blank page in the front stands for the guide's first page in the handout.
    moved = {front_pages + 1 + index: start for index, start in enumerate(starts)}
    _link_contents(pdf, front_pages, names, where, moved)
    parts = [Part(shape, 0, front_pages)] + [
        Part(section, start - 1, count)
        for section, start, count in zip(sections, starts, counts, strict=True)
    ]
    _add_names(pdf, parts)
    _add_outline(pdf, views, sections, starts)
    # Lang first: a guide in another language than the handout's says so in its tags.
    if Name.Lang in shape.Root:
        pdf.Root.Lang = shape.Root.Lang
    merge_structure(pdf, parts)
    return finish(pdf, shape)


def _link_contents(
    pdf: Pdf,
    front_pages: int,
    names: dict[str, Array],
    where: dict[tuple[int, int], int],
    moved: dict[int, int],
) -> None:
    """The contents' links made to go to the guides' first pages.

    WeasyPrint links to an anchor through a named destination, which the front has and the
    handout has not: each becomes an explicit one, to the same place on the page the front's
    page stands for (itself, or by `moved` a guide's first page). A link to a name the front
    does not have goes nowhere, and is left out.
    """
    for page in pdf.pages[:front_pages]:
        annotations = page.obj.get(Name.Annots)
        if annotations is None:
            continue
        kept = []
        for link in annotations:
            name = link.get(Name.Dest)
            if isinstance(name, String):
                index = _page_number(where, names.get(str(name)))
                target = index if index is not None and index <= front_pages else moved.get(
                    index or 0)
                if target is None:
                    continue
                link.Dest = Array([pdf.pages[target - 1].obj, *list(names[str(name)])[1:]])
            kept.append(link)  # a web link stays as it was
        page.obj.Annots = Array(kept)


def _add_names(pdf: Pdf, parts: Sequence[Part]) -> None:
    """The named destinations of each part's document to the pages it put in.

    A guide's anchors (guide-<slug>, its steps) so still open the handout at a guide; when
    two guides have one name, the first keeps it.
    """
    found: dict[str, Array] = {}
    for part in parts:
        where = page_indexes(part.document)
        for name, destination in named_destinations(part.document):
            index = where.get(destination[0].objgen)
            if index is not None and index < part.count and name not in found:
                found[name] = Array([pdf.pages[part.first + index].obj,
                                     *list(destination)[1:]])
    if found:
        # One leaf, its keys in the byte order a name tree needs (qpdf's NameTree would
        # insert them one at a time, at ten times the cost).
        keys = sorted((String(name) for name in found), key=bytes)
        leaf = Array([value for key in keys for value in (key, found[str(key)])])
        pdf.Root.Names = Dictionary(Dests=pdf.make_indirect(Dictionary(Names=leaf)))


def _add_outline(
    pdf: Pdf,
    views: Sequence[GuideView],
    sections: Sequence[Pdf],
    starts: Sequence[int],
) -> None:
    """Chapters (open) > guides (closed) > steps; a guide outside any chapter at the top."""
    top: list[Bookmark] = []
    parts = list(zip(views, sections, starts, strict=True))
    for chapter, members in groupby(parts, key=lambda part: part[0].chapter):
        members = list(members)
        guides = [
            bookmark
            for _, section, start in members
            for bookmark in copy_outline(section, pdf, start - 1, is_open=False)
        ]
        if chapter is None:
            top.extend(guides)
            continue
        # The top of the chapter's first page, at the zoom the reader has (null).
        first = pdf.pages[members[0][2] - 1]
        top.append(Bookmark(
            chapter, Array([first.obj, Name.XYZ, 0, first.mediabox[3], None]), guides
        ))
    write_outline(pdf, top)


def _page_number(where: dict[tuple[int, int], int], destination: Array | None) -> int | None:
    """The page (from 1) `destination` goes to, by `where` (page_indexes); None if none."""
    if destination is None or destination[0].objgen not in where:
        return None
    return where[destination[0].objgen] + 1


def _front_anchor(index: int, pages: int) -> str:
    """The anchor of the front's blank page for the guide at `index`, which has `pages`
    pages: a front laid out for other page counts has other names."""
    return f"guide-{index + 1}-pages-{pages}"


def _keep(cache: Keeper | None, entry_key: str, make: Callable[[], bytes]) -> bytes:
    """The PDF kept under `entry_key`, made (and kept) if missing; made now without a cache."""
    return cache.get_or_make(entry_key, "pdf", make) if cache is not None else make()
