"""The series handout, put together from per-guide sections that a cache keeps.

A guide's section is the guide laid out for print without page numbers (render_section);
its own PDF is that section numbered "N / P", so the two share one layout. The front is one
WeasyPrint document laid out from the guides' titles and page counts only: the cover, the
contents (target-counter gives each guide's first page) and then one blank page for every
page of every section, carrying nothing but the handout's number "N / T". pikepdf (qpdf)
merges them: each section page gets the number of the front page at its position, the
contents' links go to each guide's first page, and the outline nests chapters > guides >
steps, the steps taken from each section's own bookmarks.

Nothing a section shows depends on where it lands in the handout, so a changed guide lays out
its own section again and nothing else; the front is laid out again only when a title, the
order or a page count changes, and it has neither images nor steps to lay out. A build
passes one cache (a Store of sections) to guide_pdf and to build_handout: whichever runs first lays
out a guide's section, the other finds it there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
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


@dataclass(frozen=True)
class FrontEntry:
    """A guide as the front shows it: its anchor, its title, how many pages it takes."""

    key: str
    title: str
    pages: int


@dataclass(frozen=True)
class FrontGroup:
    """Consecutive guides of one chapter (or of none), in series order."""

    title: str | None
    entries: list[FrontEntry]


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
    return number_section(section, paper=paper, theme=theme)


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
    """The cover, the contents and a numbered blank page for every page of every section."""
    entries = [
        (view.chapter, FrontEntry(_front_anchor(index), view.title, count))
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
        guide_count=len(views),
        site_name=site_name,
        site_url=site_url,
        title=title,
        paper=paper_named(paper),
        date=build_date(),
        page_numbers=True,
        theme=theme,
    )


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

    `cache` keeps the sections and the front between builds; without it all is laid out.
    """
    with ExitStack() as opened:
        sections = [
            opened.enter_context(read_pdf(
                cached_section(view, paper=paper, site_url=site_url, cache=cache, theme=theme)
            ))
            for view in views
        ]
        counts = [len(section.pages) for section in sections]
        labels = {"site_name": site_name, "paper": paper, "site_url": site_url, "title": title,
                  "theme": theme}
        front = _keep(
            cache, front_key(views, counts, **labels),
            lambda: render_front(views, counts, **labels),
        )
        return _assemble(opened.enter_context(read_pdf(front)), sections, views)


def assemble(front: bytes, sections: Sequence[bytes], views: Sequence[GuideView]) -> bytes:
    """The handout: the front's own pages, then the sections numbered by the front's."""
    with ExitStack() as opened:
        return _assemble(
            opened.enter_context(read_pdf(front)),
            [opened.enter_context(read_pdf(section)) for section in sections],
            views,
        )


def _assemble(shape: Pdf, sections: Sequence[Pdf], views: Sequence[GuideView]) -> bytes:
    counts = [len(section.pages) for section in sections]
    front_pages = len(shape.pages) - sum(counts)
    starts = plan_handout(counts, front_pages)
    where = page_indexes(shape)
    names = dict(named_destinations(shape))
    anchors = [
        _page_number(where, names.get(key)) for key in map(_front_anchor, range(len(views)))
    ]
    if len(views) != len(sections) or front_pages < 1 or anchors != starts:
        raise ValueError("the handout's front was laid out for other guides or page counts")

    pdf = Pdf.new()
    # The front's blank pages stay behind: nothing copied refers to them, as the contents
    # link to them by name. Pages are appended one by one, since pages.extend warns that
    # such names are not carried over: _link_contents and _add_names see to them.
    for page in shape.pages[:front_pages]:
        pdf.pages.append(page)
    for section in sections:
        for page in section.pages:
            pdf.pages.append(page)
    number_pages(pdf, shape, front_pages)
    _link_contents(pdf, front_pages, names, where)
    _add_names(pdf, [(shape, 0, front_pages)] + [
        (section, start - 1, count)
        for section, start, count in zip(sections, starts, counts, strict=True)
    ])
    _add_outline(pdf, views, sections, starts)
    # Lang first: a guide in another language than the handout's says so in its tags.
    if Name.Lang in shape.Root:
        pdf.Root.Lang = shape.Root.Lang
    merge_structure(pdf, [Part(shape, 0, front_pages)] + [
        Part(section, start - 1, count)
        for section, start, count in zip(sections, starts, counts, strict=True)
    ])
    return finish(pdf, shape)


def _link_contents(
    pdf: Pdf, front_pages: int, names: dict[str, Array], where: dict[tuple[int, int], int]
) -> None:
    """The contents' links made to go to the pages now where the front's blank pages were.

    WeasyPrint links to an anchor through a named destination, which the front has and the
    handout has not: each becomes an explicit one, to the page at the same position. A link
    to a name the front does not have goes nowhere, and is left out.
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
                if index is None:
                    continue
                link.Dest = Array([pdf.pages[index - 1].obj, *list(names[str(name)])[1:]])
            kept.append(link)  # a web link stays as it was
        page.obj.Annots = Array(kept)


def _add_names(pdf: Pdf, parts: Sequence[tuple[Pdf, int, int]]) -> None:
    """The named destinations of each (document, first page, pages) to the pages it put in.

    A guide's anchors (guide-<slug>, its steps) so still open the handout at a guide; when
    two guides have one name, the first keeps it.
    """
    found: dict[str, Array] = {}
    for document, first, count in parts:
        where = page_indexes(document)
        for name, destination in named_destinations(document):
            index = where.get(destination[0].objgen)
            if index is not None and index < count and name not in found:
                found[name] = Array([pdf.pages[first + index].obj, *list(destination)[1:]])
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


def _front_anchor(index: int) -> str:
    """The anchor of the front's first blank page for the guide at `index`."""
    return f"guide-{index + 1}"


def _keep(cache: Keeper | None, entry_key: str, make: Callable[[], bytes]) -> bytes:
    """The PDF kept under `entry_key`, made (and kept) if missing; made now without a cache."""
    return cache.get_or_make(entry_key, "pdf", make) if cache is not None else make()
