"""Laid-out PDF pages put together with pypdf: counted, numbered, merged, given an outline.

WeasyPrint lays out (render/pdf.py); this module only moves finished pages. A page gets its
number from a numbers document, laid out by WeasyPrint from print.css with blank pages that
carry nothing but the footer's "N / T": its page N is drawn over page N as a form XObject,
so the number has the footer's font, colour and place, and stays real text.
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    Fit,
    IndirectObject,
    NameObject,
    RectangleObject,
    TreeObject,
)

NUMBER = NameObject("/GuidesmithNumber")


def read_pdf(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def page_count(pdf: bytes) -> int:
    """How many pages a PDF has."""
    return len(read_pdf(pdf).pages)


def number_pdf(pdf: bytes, numbers: bytes) -> bytes:
    """`pdf` with page N of `numbers` drawn over each page N; outline, links, metadata kept."""
    reader, numbering = read_pdf(pdf), read_pdf(numbers)
    if len(reader.pages) != len(numbering.pages):
        raise ValueError(
            f"{len(numbering.pages)} page numbers for a PDF of {len(reader.pages)} pages"
        )
    writer = PdfWriter()
    writer.append(reader)
    number_pages(writer, numbering, 0)
    return finish(writer, reader)


def number_pages(writer: PdfWriter, numbers: PdfReader, first: int) -> None:
    """Draw page N of `numbers` over page N of `writer`, for every N from `first` on.

    The page's own content is wrapped in q/Q, so the number is drawn in the page's default
    coordinates whatever the content left in the graphics state.
    """
    save = _add_stream(writer, b"q\n")
    restore = _add_stream(writer, f"\nQ\n{NUMBER} Do\n".encode())
    for index in range(first, len(numbers.pages)):
        number = numbers.pages[index]
        form = DecodedStreamObject()
        form.set_data(number.get_contents().get_data())
        form.update({
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): RectangleObject(number.mediabox),
            NameObject("/Resources"): number["/Resources"].clone(writer),
        })
        page = writer.pages[index]
        contents = page.raw_get("/Contents")
        parts = contents.get_object()
        page[NameObject("/Contents")] = ArrayObject(
            [save, *(parts if isinstance(parts, ArrayObject) else [contents]), restore]
        )
        # Copies, not edits: a page may share its resources with other pages.
        resources = DictionaryObject(page["/Resources"].get_object())
        xobjects = DictionaryObject(resources.get("/XObject", DictionaryObject()).get_object())
        xobjects[NUMBER] = writer._add_object(form.flate_encode())
        resources[NameObject("/XObject")] = xobjects
        page[NameObject("/Resources")] = resources


def copy_outline(
    writer: PdfWriter,
    reader: PdfReader,
    offset: int,
    parent: TreeObject | IndirectObject | None = None,
    *,
    is_open: bool = True,
) -> None:
    """`reader`'s outline under `parent`, its pages `offset` further on in `writer`."""

    def copy(items: list, under: TreeObject | IndirectObject | None) -> None:
        last = None
        for item in items:
            if isinstance(item, list):
                copy(item, last)
                continue
            last = writer.add_outline_item(
                title=str(item.title),
                page_number=reader.get_destination_page_number(item) + offset,
                parent=under,
                fit=Fit.xyz(item.left, item.top, item.zoom),
                is_open=is_open,
            )

    copy(reader.outline, parent)


def finish(writer: PdfWriter, like: PdfReader) -> bytes:
    """The bytes of `writer`, with the metadata (title, dates...) and language of `like`.

    pypdf writes no /ID unless asked (WeasyPrint writes none either), so the same pages
    give the same bytes.
    """
    writer.add_metadata(dict(like.metadata or {}))
    if "/Lang" in like.root_object:
        writer.root_object[NameObject("/Lang")] = like.root_object["/Lang"].clone(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _add_stream(writer: PdfWriter, data: bytes) -> IndirectObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    # pypdf has no public call to add an object that no page refers to yet.
    return writer._add_object(stream)
