"""Laid-out PDF pages put together with pikepdf (qpdf): counted, numbered, merged, outlined.

WeasyPrint lays out (render/pdf.py); this module only moves finished pages. A page gets its
number from a numbers document, laid out by WeasyPrint from print.css with blank pages that
carry nothing but the footer's "N / T": its page N is drawn over page N as a form XObject,
so the number has the footer's font, colour and place, and stays real text.

qpdf copies pages between documents without parsing their content and writes streams as it
found them, which makes putting a handout together several times faster than with pypdf.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise

from pikepdf import (
    Array,
    Dictionary,
    Name,
    NameTree,
    Object,
    ObjectStreamMode,
    Pdf,
    String,
)

NUMBER = Name("/GuidesmithNumber")


def read_pdf(pdf: bytes) -> Pdf:
    """The document in `pdf`, read as pages are asked for; it needs no file."""
    return Pdf.open(io.BytesIO(pdf))


def page_count(pdf: bytes) -> int:
    """How many pages a PDF has."""
    with read_pdf(pdf) as document:
        return len(document.pages)


def number_pdf(pdf: bytes, numbers: bytes) -> bytes:
    """`pdf` with page N of `numbers` drawn over each page N; outline, links, metadata kept.

    The pages are numbered where they are, so all the rest of the document stays as it was.
    """
    with read_pdf(pdf) as document, read_pdf(numbers) as numbering:
        if len(document.pages) != len(numbering.pages):
            raise ValueError(
                f"{len(numbering.pages)} page numbers for a PDF of {len(document.pages)} pages"
            )
        number_pages(document, numbering, 0)
        return save(document)


def number_pages(pdf: Pdf, numbers: Pdf, first: int) -> None:
    """Draw page N of `numbers` over page N of `pdf`, for every N from `first` on.

    The page's own content is wrapped in q/Q, so the number is drawn in the page's default
    coordinates whatever the content left in the graphics state. (pikepdf's add_overlay
    wraps it too, but names the form at random, which would change the bytes every build,
    and adds it to resources that other pages may share.)
    """
    save_state = pdf.make_stream(b"q\n")
    restore = pdf.make_stream(f"\nQ\n{NUMBER} Do\n".encode())
    for index in range(first, len(numbers.pages)):
        number = numbers.pages[index]
        form = numbers.make_stream(
            _content(number.obj),
            Type=Name.XObject,
            Subtype=Name.Form,
            BBox=number.mediabox,
            Resources=number.obj.Resources,
        )
        page = pdf.pages[index].obj
        contents = page.Contents
        parts = list(contents) if isinstance(contents, Array) else [contents]
        page.Contents = Array([save_state, *parts, restore])
        # Copies, not edits: a page may share its resources with other pages.
        resources = copy.copy(page.Resources)
        xobjects = copy.copy(resources.get(Name.XObject, Dictionary()))
        xobjects[NUMBER] = pdf.copy_foreign(form)
        resources[Name.XObject] = xobjects
        page.Resources = resources


@dataclass
class Bookmark:
    """An outline entry to write: its title, where it goes, the entries under it."""

    title: str | String
    destination: Array
    children: list[Bookmark] = field(default_factory=list)
    is_open: bool = True


def copy_outline(source: Pdf, pdf: Pdf, offset: int, *, is_open: bool = True) -> list[Bookmark]:
    """`source`'s outline for `pdf`, where its pages are `offset` further on.

    Each entry keeps its title and its destination's /XYZ left, top and zoom; only the
    page changes. An entry that goes to no page of `source` is left out, with all under it.
    """
    pages = page_indexes(source)
    seen: set[tuple[int, int]] = set()

    def entries(item: Object | None) -> list[Bookmark]:
        copied = []
        while isinstance(item, Dictionary) and item.objgen not in seen:
            seen.add(item.objgen)
            destination = _explicit(source, item.get(Name.Dest))
            if destination is not None and destination[0].objgen in pages:
                page = pdf.pages[pages[destination[0].objgen] + offset].obj
                copied.append(Bookmark(
                    item.Title,
                    Array([page, *list(destination)[1:]]),
                    entries(item.get(Name.First)),
                    is_open,
                ))
            item = item.get(Name.Next)
        return copied

    outlines = source.Root.get(Name.Outlines)
    return entries(outlines.get(Name.First)) if isinstance(outlines, Dictionary) else []


def write_outline(pdf: Pdf, bookmarks: list[Bookmark]) -> None:
    """`bookmarks` as `pdf`'s outline, in place of any it had.

    Written here rather than with pikepdf's Outline model, which takes twice as long.
    """
    outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines))
    outlines.Count = _write_level(pdf, outlines, bookmarks)
    pdf.Root.Outlines = outlines


def page_indexes(pdf: Pdf) -> dict[tuple[int, int], int]:
    """Each page's index, by its object number: what a destination names a page by."""
    return {page.obj.objgen: index for index, page in enumerate(pdf.pages)}


def named_destinations(pdf: Pdf) -> Iterator[tuple[str, Array]]:
    """Every named destination of `pdf` that goes to a page of it, as an explicit one."""
    names = pdf.Root.get(Name.Names)
    if names is None or Name.Dests not in names:
        return
    for name, value in NameTree(names.Dests).items():
        destination = _explicit(pdf, value)
        if destination is not None:
            yield name, destination


def finish(pdf: Pdf, like: Pdf) -> bytes:
    """The bytes of `pdf`, with the metadata (title, dates...), language and version of `like`."""
    if Name.Info in like.trailer:
        pdf.trailer.Info = pdf.copy_foreign(like.trailer.Info)
    if Name.Lang in like.Root:
        pdf.Root.Lang = like.Root.Lang
    return save(pdf, min_version=like.pdf_version)


def save(pdf: Pdf, *, min_version: str = "") -> bytes:
    """The bytes of `pdf`, the same for the same pages.

    qpdf always writes an /ID (WeasyPrint writes none, nor did pypdf): made from the content,
    it is the same for the same pages and differs for others, as viewers that remember a
    document by it expect. Streams are written as they were read, not compressed again;
    the small objects go into object streams, which is smaller and no slower.
    """
    out = io.BytesIO()
    pdf.save(
        out,
        deterministic_id=True,
        min_version=min_version,
        object_stream_mode=ObjectStreamMode.generate,
    )
    return out.getvalue()


def _write_level(pdf: Pdf, parent: Dictionary, bookmarks: list[Bookmark]) -> int:
    """`bookmarks` under `parent`; how many entries show below `parent` when it is open.

    A closed entry's /Count is minus what it would show (PDF 32000-1, 12.3.3).
    """
    if not bookmarks:
        return 0
    items = [
        pdf.make_indirect(
            Dictionary(Title=bookmark.title, Parent=parent, Dest=bookmark.destination)
        )
        for bookmark in bookmarks
    ]
    for before, after in pairwise(items):
        before.Next = after
        after.Prev = before
    parent.First = items[0]
    parent.Last = items[-1]
    shown = len(items)
    for bookmark, item in zip(bookmarks, items, strict=True):
        below = _write_level(pdf, item, bookmark.children)
        if below:
            item.Count = below if bookmark.is_open else -below
            shown += below if bookmark.is_open else 0
    return shown


def _content(page: Dictionary) -> bytes:
    """A page's content, in one piece, however many streams it comes in."""
    contents = page.Contents
    if isinstance(contents, Array):
        return b"\n".join(part.read_bytes() for part in contents)
    return contents.read_bytes()


def _explicit(pdf: Pdf, destination: Object | None) -> Array | None:
    """`destination` as [page /XYZ ...]: a named one looked up in `pdf`, None for no page."""
    if isinstance(destination, String):  # a name in the /Names /Dests tree
        names = pdf.Root.get(Name.Names)
        if names is None or Name.Dests not in names:
            return None
        destination = NameTree(names.Dests).get(str(destination))
    elif isinstance(destination, Name):  # a name in the catalog's /Dests (PDF 1.1)
        destination = pdf.Root.get(Name.Dests, Dictionary()).get(destination)
    if isinstance(destination, Dictionary):  # a destination dictionary: its /D
        destination = destination.get(Name.D)
    if isinstance(destination, Array) and len(destination) and isinstance(
        destination[0], Dictionary
    ):
        return destination
    return None
