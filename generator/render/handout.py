"""The series handout, put together from per-guide sections that a cache keeps.

A guide's section is the guide laid out for print without page numbers (render_section);
its own PDF is that section numbered "N / P", so the two share one layout. The front is one
WeasyPrint document laid out from the guides' titles and page counts only: the cover, the
contents (target-counter gives each guide's first page) and then one blank page for every
page of every section, carrying nothing but the handout's number "N / T". pypdf
merges them: each section page gets the number of the front page at its position, the
contents' links go to each guide's first page, and the outline nests chapters > guides >
steps, the steps taken from each section's own bookmarks.

Nothing a section shows depends on where it lands in the handout, so a changed guide lays out
its own section again and nothing else; the front is laid out again only when a title, the
order or a page count changes, and it has neither images nor steps to lay out. A build
passes one cache (a PdfStore) to guide_pdf and to build_handout: whichever runs first lays
out a guide's section, the other finds it there.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Link
from pypdf.generic import Fit, RectangleObject

from generator import __version__
from generator.fsutil import read_checked, write_checked
from generator.render.context import GuideView
from generator.render.pdf import (
    IMAGE_MAX_HEIGHT_MM,
    JPEG_QUALITY,
    PRINT_DPI,
    TEMPLATES_DIR,
    build_date,
    lay_out,
    number_section,
    paper_named,
    render_section,
)
from generator.render.pdfpages import copy_outline, finish, number_pages, read_pdf

# cache(key, make) -> the bytes kept under `key`, from make() when there are none yet.
Cache = Callable[[str, Callable[[], bytes]], bytes]

# Bump when the code (not the templates, which are hashed) changes what a section or a front
# shows.
LAYOUT_VERSION = "1"
# The templates sections and fronts are laid out from: part of every key.
PRINT_TEMPLATES = (
    "print.css", "print.html", "print_guide.html", "print_numbers.html", "handout.html",
)


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


@dataclass(frozen=True)
class PdfStore:
    """A Cache in a directory: `<key>.pdf` with a checksum beside it (fsutil.write_checked).

    Plain data, so it travels to worker processes; a damaged entry is made again.
    """

    directory: Path

    def __call__(self, key: str, make: Callable[[], bytes]) -> bytes:
        path = self.directory / f"{key}.pdf"
        if read_checked(path) is not None:
            return path.read_bytes()
        data = make()
        write_checked(path, data)
        return data


def plan_handout(guide_page_counts: Sequence[int], front_pages: int) -> list[int]:
    """Each guide's first page in the handout (1-based), after `front_pages` of front."""
    starts, page = [], front_pages + 1
    for count in guide_page_counts:
        starts.append(page)
        page += count
    return starts


def section_key(view: GuideView, *, paper: str = "a4", site_url: str | None = None) -> str:
    """Everything a guide's section shows: the view, its images' names, paper, URL, date."""
    return _digest({
        "part": "section",
        "guide": dataclasses.asdict(view),
        "paper": dataclasses.asdict(paper_named(paper)),
        "site_url": site_url,
        "date": dataclasses.asdict(build_date()),
    })


def front_key(
    views: Sequence[GuideView],
    page_counts: Sequence[int],
    *,
    site_name: str,
    paper: str = "a4",
    site_url: str | None = None,
    title: str | None = None,
) -> str:
    """Everything the front shows: titles, chapters, page counts, the cover, the date."""
    return _digest({
        "part": "front",
        "guides": [
            [view.title, view.chapter, count]
            for view, count in zip(views, page_counts, strict=True)
        ],
        "site_name": site_name,
        "site_url": site_url,
        "title": title,
        "paper": dataclasses.asdict(paper_named(paper)),
        "date": dataclasses.asdict(build_date()),
    })


def cached_section(
    view: GuideView,
    *,
    paper: str = "a4",
    site_url: str | None = None,
    cache: Cache | None = None,
) -> bytes:
    """The guide's section, from `cache` when it has it."""
    return (cache or _make_now)(
        section_key(view, paper=paper, site_url=site_url),
        lambda: render_section(view, paper=paper, site_url=site_url),
    )


def guide_pdf(
    view: GuideView,
    *,
    paper: str = "a4",
    site_url: str | None = None,
    cache: Cache | None = None,
) -> bytes:
    """The guide's own PDF (as render_guide_pdf), from its cached section when there is one."""
    section = cached_section(view, paper=paper, site_url=site_url, cache=cache)
    return number_section(section, paper=paper)


def render_front(
    views: Sequence[GuideView],
    page_counts: Sequence[int],
    *,
    site_name: str,
    paper: str = "a4",
    site_url: str | None = None,
    title: str | None = None,
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
    )


def build_handout(
    views: Sequence[GuideView],
    *,
    site_name: str,
    paper: str = "a4",
    site_url: str | None = None,
    title: str | None = None,
    cache: Cache | None = None,
) -> bytes:
    """Every guide in series order: a cover, contents with page numbers, a guide a page.

    `cache` keeps the sections and the front between builds; without it all is laid out.
    """
    keep = cache or _make_now
    readers = [
        read_pdf(cached_section(view, paper=paper, site_url=site_url, cache=keep))
        for view in views
    ]
    counts = [len(reader.pages) for reader in readers]
    labels = {"site_name": site_name, "paper": paper, "site_url": site_url, "title": title}
    front = keep(
        front_key(views, counts, **labels),
        lambda: render_front(views, counts, **labels),
    )
    return _assemble(read_pdf(front), readers, views)


def assemble(front: bytes, sections: Sequence[bytes], views: Sequence[GuideView]) -> bytes:
    """The handout: the front's own pages, then the sections numbered by the front's."""
    return _assemble(read_pdf(front), [read_pdf(section) for section in sections], views)


def _assemble(
    shape: PdfReader, readers: Sequence[PdfReader], views: Sequence[GuideView]
) -> bytes:
    counts = [len(reader.pages) for reader in readers]
    front_pages = len(shape.pages) - sum(counts)
    starts = plan_handout(counts, front_pages)
    names = shape.named_destinations
    anchors = [
        shape.get_destination_page_number(names[key]) + 1 if key in names else None
        for key in map(_front_anchor, range(len(views)))
    ]
    if len(views) != len(readers) or front_pages < 1 or anchors != starts:
        raise ValueError("the handout's front was laid out for other guides or page counts")

    writer = PdfWriter()
    # pypdf leaves out the contents' links here (their targets stay behind); made below.
    writer.append(shape, pages=list(range(front_pages)), import_outline=False)
    for reader in readers:
        writer.append(reader, import_outline=False)
    number_pages(writer, shape, front_pages)
    _link_contents(writer, shape, front_pages)
    _add_outline(writer, views, readers, starts)
    return finish(writer, shape)


def _link_contents(writer: PdfWriter, shape: PdfReader, front_pages: int) -> None:
    """The contents' links again, to the pages now where the front's blank pages were.

    WeasyPrint links to an anchor through a named destination.
    """
    names = shape.named_destinations
    for index in range(front_pages):
        for annotation in shape.pages[index].get("/Annots") or []:
            link = annotation.get_object()
            name = link.get("/Dest")
            if not isinstance(name, str) or name not in names:
                continue  # a web link, which pypdf kept
            target = names[name]
            writer.add_annotation(index, Link(
                rect=RectangleObject(link["/Rect"]),
                target_page_index=shape.get_destination_page_number(target),
                fit=Fit.xyz(target.left, target.top),
            ))


def _add_outline(
    writer: PdfWriter,
    views: Sequence[GuideView],
    readers: Sequence[PdfReader],
    starts: Sequence[int],
) -> None:
    """Chapters (open) > guides (closed) > steps; a guide outside any chapter at the top."""
    sections = list(zip(views, readers, starts, strict=True))
    for chapter, members in groupby(sections, key=lambda section: section[0].chapter):
        members = list(members)
        parent = None
        if chapter is not None:
            first = members[0][2] - 1
            top = float(writer.pages[first].mediabox.top)
            parent = writer.add_outline_item(
                title=chapter, page_number=first, fit=Fit.xyz(0, top)
            )
        for _, reader, start in members:
            copy_outline(writer, reader, start - 1, parent, is_open=False)


def _front_anchor(index: int) -> str:
    """The anchor of the front's first blank page for the guide at `index`."""
    return f"guide-{index + 1}"


def _make_now(key: str, make: Callable[[], bytes]) -> bytes:
    return make()


def _plain(value: object) -> object:
    """An image by its file name, which is its content's key (see images.py)."""
    if isinstance(value, Path):
        return value.name
    raise TypeError(f"cannot key a {type(value).__name__}")


@lru_cache(maxsize=1)
def _templates_digest() -> str:
    digest = hashlib.sha256()
    for name in PRINT_TEMPLATES:
        digest.update(name.encode() + b"\0" + (TEMPLATES_DIR / name).read_bytes() + b"\0")
    return digest.hexdigest()


def _digest(content: dict[str, object]) -> str:
    content = {
        **content,
        "v": LAYOUT_VERSION,
        "generator": __version__,
        "templates": _templates_digest(),
        "print": [PRINT_DPI, JPEG_QUALITY, IMAGE_MAX_HEIGHT_MM],
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=_plain).encode()).hexdigest()
