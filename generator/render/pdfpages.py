"""Laid-out PDF pages put together with pikepdf (qpdf): counted, numbered, merged, outlined.

WeasyPrint lays out (render/pdf.py); this module only moves finished pages. A page gets its
number from a numbers document, laid out by WeasyPrint from print.css with blank pages that
carry nothing but the footer's "N / T": each of its pages is drawn over one page as a form
XObject, so the number has the footer's font, colour and place, and stays real text.

qpdf copies pages between documents without parsing their content and writes streams as it
found them, which makes putting a handout together several times faster than with pypdf.
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise

from pikepdf import (
    Array,
    Dictionary,
    Name,
    NameTree,
    NumberTree,
    Object,
    ObjectStreamMode,
    Page,
    Pdf,
    Stream,
    String,
    parse_content_stream,
    unparse_content_stream,
)

NUMBER = Name("/GuidesmithNumber")
ARTIFACT = "/Artifact << /Type /Pagination /Subtype /Footer >>"
# A marked-content sequence as WeasyPrint (pydyf) opens one: /Tag <</MCID n>> BDC.
_MARKED = re.compile(rb"/[^\s/<>\[\]()]+\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC\b")
_PAGINATION = b"/Artifact\n<</Type /Pagination>>\nBDC"


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


def number_pages(pdf: Pdf, numbers: Pdf, at: int) -> None:
    """Draw each page of `numbers` over a page of `pdf`, its first over `pdf`'s page `at`
    (from 0), the next over the next, and so on.

    The page's own content is wrapped in q/Q, so the number is drawn in the page's default
    coordinates whatever the content left in the graphics state. (pikepdf's add_overlay
    wraps it too, but names the form at random, which would change the bytes every build,
    and adds it to resources that other pages may share.)
    """
    if Name.StructTreeRoot in numbers.Root:
        # Its marks would name tags of its own in the pages it is drawn over.
        raise ValueError("page numbers must be laid out untagged (render_numbers)")
    if at < 0 or at + len(numbers.pages) > len(pdf.pages):
        raise ValueError(
            f"{len(numbers.pages)} page numbers from page {at + 1} for a PDF of "
            f"{len(pdf.pages)} pages"
        )
    save_state = pdf.make_stream(b"q\n")
    # In a tagged PDF, a page number is a pagination artifact: screen readers skip it.
    restore = pdf.make_stream(f"\nQ\n{ARTIFACT} BDC\n{NUMBER} Do\nEMC\n".encode())
    for index, number in enumerate(numbers.pages, start=at):
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
    """The bytes of `pdf`, with the metadata (title, dates...), language and version of `like`.

    A tagged `like` also gives what says so (/MarkInfo, the XMP metadata that claims PDF/UA,
    showing the title rather than the file name); merge_structure gives the tags.
    """
    if Name.Info in like.trailer:
        pdf.trailer.Info = pdf.copy_foreign(like.trailer.Info)
    if Name.Lang in like.Root:
        pdf.Root.Lang = like.Root.Lang
    for key in (Name.MarkInfo, Name.ViewerPreferences, Name.Metadata, Name.OutputIntents):
        if key in like.Root:
            value = like.Root[key]
            value = value if value.is_indirect else like.make_indirect(value)
            pdf.Root[key] = pdf.copy_foreign(value)
    return save(pdf, min_version=like.pdf_version)


@dataclass(frozen=True)
class Part:
    """Pages of a tagged document put into another: its first `count` pages, which are the
    pages of the other from `first` on."""

    document: Pdf
    first: int
    count: int


def merge_structure(pdf: Pdf, parts: list[Part]) -> None:
    """One structure tree for `pdf`, made of the trees of the documents its pages come from.

    Each part's tagged elements become children of one /Document, in order; those of the
    pages left behind are left out. The parent tree, which maps a page's marked content and
    its link annotations to their elements, is numbered anew: each page and annotation keeps
    its entries under a key of its own. A part in another language than `pdf` says so.
    The parts' own trees are taken apart: open them for this alone.
    """
    document = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, K=Array()))
    root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=Array([document])))
    document.P = root
    nums: list[Object | int] = []
    language = pdf.Root.get(Name.Lang)
    for part in parts:
        tree = part.document.Root.get(Name.StructTreeRoot)
        if not isinstance(tree, Dictionary):
            continue
        pages = [part.document.pages[index].obj for index in range(part.count)]
        kept = {page.objgen for page in pages}
        sources = [k for k in _kids(tree) if k.get(Name.S) == Name.Document] or [tree]
        kids = [kid for source in sources for kid in _kids(source) if _on(kid, kept)]
        for source in sources:  # cut them loose, so copying a kid does not copy them all
            source.K = Array()
            if Name.P in source:
                del source.P
        parent_tree = NumberTree(tree.ParentTree) if Name.ParentTree in tree else {}
        entries: list[tuple[Dictionary, Name, int]] = []  # (object in pdf, key, old number)
        for index, page in enumerate(pages):
            target = pdf.pages[part.first + index].obj
            if Name.StructParents in page:
                entries.append((target, Name.StructParents, int(page.StructParents)))
            for annotation in target.get(Name.Annots, Array()):
                if Name.StructParent in annotation:
                    entries.append((annotation, Name.StructParent, int(annotation.StructParent)))
        values = [parent_tree.get(number) for _, _, number in entries]
        bundle = Array([*kids, *(v for v in values if v is not None)])
        copied = pdf.copy_foreign(part.document.make_indirect(bundle))
        copied_kids = list(copied)[:len(kids)]
        copied_values = iter(list(copied)[len(kids):])
        first_entry = len(nums)
        for (target, key, _), value in zip(entries, values, strict=True):
            if value is None:
                del target[key]
                continue
            target[key] = len(nums) // 2
            nums += [len(nums) // 2, next(copied_values)]
        own = part.document.Root.get(Name.Lang)
        for kid in copied_kids:
            kid.P = document
            if own is not None and own != language and Name.Lang not in kid:
                kid.Lang = own
            document.K.append(kid)
        sources_copied = {pdf.copy_foreign(source).objgen for source in sources}
        for value in nums[first_entry + 1::2]:  # elements outside the tree (page margins)
            for element in value if isinstance(value, Array) else [value]:
                if isinstance(element, Dictionary) and element.get(Name.P) is not None and (
                    element.P.objgen in sources_copied
                ):
                    element.P = document
    root.ParentTree = pdf.make_indirect(Dictionary(Nums=Array(nums)))
    root.ParentTreeNextKey = len(nums) // 2
    pdf.Root.StructTreeRoot = root


def margins_as_artifacts(data: bytes) -> bytes:
    """`data` (a tagged PDF) with what its pages' margins print marked as artifacts.

    WeasyPrint tags the running title and chapter of the page margins with elements that
    belong to no tree (PDF 1.7 has no tag for them): content a checker finds neither in
    the structure nor an artifact. They are pagination, which screen readers should skip:
    each such sequence becomes an /Artifact, and leaves the parent tree.
    """
    with read_pdf(data) as pdf:
        tree = pdf.Root.get(Name.StructTreeRoot)
        if not isinstance(tree, Dictionary) or Name.ParentTree not in tree:
            return data
        in_tree = {element.objgen for element in _descendants(tree)}
        parent_tree = NumberTree(tree.ParentTree)
        changed = False
        for page in pdf.pages:
            if Name.StructParents not in page.obj:
                continue
            owners = parent_tree.get(int(page.obj.StructParents))
            if not isinstance(owners, Array):
                continue
            loose = {
                mcid for mcid, owner in enumerate(owners)
                if isinstance(owner, Dictionary) and owner.objgen not in in_tree
            }
            if not loose:
                continue
            page.obj.Contents = pdf.make_stream(_as_artifacts(page, loose))
            for mcid in loose:
                owners[mcid] = None
            changed = True
        return save(pdf, min_version=pdf.pdf_version) if changed else data


def _as_artifacts(page: Page, loose: set[int]) -> bytes:
    """The page's content, the marked-content sequences numbered `loose` made artifacts.

    Done on the bytes as WeasyPrint writes them (a page of contents has thousands of marked
    leader dots: parsing it all took a fifth of laying out the handout's front), each
    number found once; parsed and written again when they are written otherwise.
    """
    contents = page.obj.Contents
    if isinstance(contents, Stream):
        found: list[int] = []

        def swap(match: re.Match[bytes]) -> bytes:
            if int(match[1]) not in loose:
                return match[0]
            found.append(int(match[1]))
            return _PAGINATION

        swapped = _MARKED.sub(swap, contents.read_bytes())
        if sorted(found) == sorted(loose):
            return swapped
    instructions = []
    for operands, operator in parse_content_stream(page):
        if str(operator) == "BDC" and isinstance(operands[1], Dictionary) and int(
            operands[1].get(Name.MCID, -1)
        ) in loose:
            operands = [Name.Artifact, Dictionary(Type=Name.Pagination)]
        instructions.append((operands, operator))
    return unparse_content_stream(instructions)


def _descendants(element: Dictionary) -> list[Dictionary]:
    found = []
    for kid in _kids(element):
        found.append(kid)
        found += _descendants(kid)
    return found


def _kids(element: Dictionary) -> list[Dictionary]:
    """An element's child elements (not its marked-content numbers nor object references)."""
    kids = element.get(Name.K)
    items = list(kids) if isinstance(kids, Array) else [kids]
    return [kid for kid in items if isinstance(kid, Dictionary) and Name.MCID not in kid
            and kid.get(Name.Type) not in (Name.OBJR, Name.MCR)]


def _on(element: Dictionary, pages: set[tuple[int, int]]) -> bool:
    """Whether a tagged element shows on one of `pages` (by /Pg, its own or its kids')."""
    page = element.get(Name.Pg)
    if page is not None:
        return page.objgen in pages
    return any(_on(kid, pages) for kid in _kids(element))


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
    """A page's content, in one piece."""
    contents = page.Contents
    return b"\n".join(
        part.read_bytes() for part in (contents if isinstance(contents, Array) else [contents])
    )


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
