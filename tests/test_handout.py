"""render.handout: the series handout put together from cached per-guide sections.

Guides come from test_render_pdf's fixtures (real YAML through the loader, screenshots drawn
with Pillow); the PDFs are read back with pypdf (with pikepdf where the test is about the
objects written), and rasterised with pdftoppm where the test is about where ink lands.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pikepdf
import pytest
import test_render_pdf as shared
from PIL import Image, ImageChops
from pypdf import PdfReader
from test_render_pdf import LARGE, SITE, MakeGuide, bookmarks, outline, words, write

from generator.markup import render_markdown
from generator.printimages import paper_named
from generator.render import handout as handout_module
from generator.render.handout import (
    FrontLayout,
    assemble,
    build_handout,
    front_key,
    guide_pdf,
    keep_front,
    keep_numbers,
    numbers_key,
    plan_handout,
    render_front,
    section_key,
)
from generator.render.pdf import (
    _prepare,
    build_date,
    guide_anchor,
    lay_out,
    render_guide_pdf,
    render_numbers,
    render_section,
)
from generator.render.pdfpages import number_pdf, page_count
from generator.views import GuideView

# The fixtures of test_render_pdf, registered here too.
make_guide = shared.make_guide
series = shared.series
guide = shared.guide
source_date_epoch = shared.source_date_epoch

NUMBER = re.compile(r"\b\d+ / \d+\b")


class CountingCache:
    """A cache.Store in a dict that remembers which keys it had to make."""

    def __init__(self) -> None:
        self.kept: dict[str, bytes] = {}
        self.made: list[str] = []

    def get_or_make(self, key: str, ext: str, make: Callable[[], bytes]) -> bytes:
        if key not in self.kept:
            self.made.append(key)
            self.kept[key] = make()
        return self.kept[key]

    def reset(self) -> None:
        self.made.clear()


def texts(pdf: bytes) -> list[str]:
    return [words(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def handout(views: list[GuideView], **options: object) -> bytes:
    return build_handout(views, site_name="Net Workshop", title="Lab handout", site_url=SITE,
                         **options)


def counts_in(cache: CountingCache, views: list[GuideView]) -> list[int]:
    """The page counts of the guides' sections that `cache` keeps."""
    return [page_count(cache.kept[section_key(view, site_url=SITE)]) for view in views]


def handout_and_counts(views: list[GuideView]) -> tuple[bytes, list[int]]:
    """The handout and the page count of each guide's section, each laid out once."""
    cache = CountingCache()
    data = handout(views, cache=cache)
    return data, counts_in(cache, views)


def edit_step(view: GuideView, number: int, text: str) -> GuideView:
    items = [
        replace(item, text=text, html=render_markdown(text))
        if getattr(item, "number", None) == number else item
        for item in view.items
    ]
    return replace(view, items=items)


def rasterise(pdf: bytes, tmp_path: Path, name: str) -> list[Image.Image]:
    source = write(tmp_path, f"{name}.pdf", pdf)
    subprocess.run(["pdftoppm", "-r", "50", "-png", source, tmp_path / name], check=True)
    return [Image.open(path).convert("RGB") for path in sorted(tmp_path.glob(f"{name}-*.png"))]


# -- planning -----------------------------------------------------------------------------


def test_plan_handout_starts_each_guide_after_the_ones_before() -> None:
    assert plan_handout([3, 1, 2], 2) == [3, 6, 7]
    assert plan_handout([5], 1) == [2]
    assert plan_handout([], 2) == []


def test_page_numbers_are_laid_out_in_runs_from_the_contents_to_the_last_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert FrontLayout(3, 2, 130).runs() == [(2, 65), (66, 129), (130, 130)]
    assert FrontLayout(2, 2, 3).runs() == [(2, 3)]
    monkeypatch.setattr(handout_module, "NUMBERS_PER_RUN", 2)
    assert FrontLayout(2, 2, 7).runs() == [(2, 3), (4, 5), (6, 7)]


# -- what the handout shows ---------------------------------------------------------------


def test_every_page_but_the_cover_shows_its_number_of_the_total(series: list[GuideView]) -> None:
    data, counts = handout_and_counts(series)
    pages = texts(data)
    total = len(pages)
    assert total == 2 + sum(counts)
    assert NUMBER.findall(pages[0]) == []
    for number, text in enumerate(pages[1:], start=2):
        assert NUMBER.findall(text) == [f"{number} / {total}"], text


def test_the_contents_give_the_page_each_guide_starts_on(series: list[GuideView]) -> None:
    data, counts = handout_and_counts(series)
    pages = texts(data)
    starts = plan_handout(counts, 2)
    contents = pages[1]
    for view, start in zip(series, starts, strict=True):
        listed = re.search(rf"{re.escape(view.title)} \.+ ?(\d+)\b", contents)
        assert listed and int(listed.group(1)) == start, contents
        steps = len(view.steps)
        assert f"{view.title} {steps} steps · about" in pages[start - 1]
        before = pages[start - 2]
        assert not any(words(step.text) in before for step in view.steps)


def test_the_contents_link_each_guide_to_its_first_page(series: list[GuideView]) -> None:
    data, counts = handout_and_counts(series)
    reader = PdfReader(io.BytesIO(data))
    index = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages)}
    targets = []
    for annotation in reader.pages[1]["/Annots"]:
        link = annotation.get_object()
        if "/A" in link:  # a web link: none on the contents page
            continue
        destination = link["/Dest"]
        assert isinstance(destination, list), "a named destination cannot survive the merge"
        target = index[destination[0].idnum] + 1
        if target not in targets:
            targets.append(target)
    assert targets == plan_handout(counts, 2)


def test_the_outline_nests_chapters_guides_and_steps_at_their_pages(
    tmp_path: Path, series: list[GuideView]
) -> None:
    data, counts = handout_and_counts(series)
    path = write(tmp_path, "handout.pdf", data)
    pages = texts(data)
    starts = dict(zip((view.title for view in series), plan_handout(counts, 2), strict=True))
    marks = bookmarks(path)
    assert [(level, title) for level, title, _ in marks] == [
        (1, "Chapter 0: Preparation"),
        (2, "Fork the repo"), (3, "1. Fork the repository"), (3, "2. Name the fork"),
        (2, "Clone the repo"), (3, "1. Clone it"), (3, "2. Open a terminal"),
        (3, "3. Run the setup"),
        (1, "Chapter 1: Design builder"),
        (2, "Deploy a branch"), (3, "1. Deploy the branch"), (3, "2. Check the result"),
    ]
    chapters = [page for level, _, page in marks if level == 1]
    assert chapters == [starts["Fork the repo"], starts["Deploy a branch"]]
    for level, title, page in marks:
        if level == 2:
            assert page == starts[title]
        elif level == 3:
            assert title.split(". ", 1)[1] in pages[page - 1], (title, page)


def test_guides_outside_a_chapter_stay_at_the_top_of_the_outline(
    tmp_path: Path, make_guide: MakeGuide
) -> None:
    views = [
        make_guide("a", ["One"], title="A"),
        make_guide("b", ["Two"], title="B", chapter="Ch"),
        make_guide("c", ["Three"], title="C"),
    ]
    path = write(tmp_path, "handout.pdf", handout(views))
    assert outline(path) == [
        (1, "A"), (2, "1. One"), (1, "Ch"), (2, "B"), (3, "1. Two"), (1, "C"), (2, "1. Three"),
    ]


def test_slugs_that_make_the_same_anchor_still_get_their_own_entries(
    make_guide: MakeGuide,
) -> None:
    views = [make_guide("a.b", ["One"], title="Dotted"), make_guide("a-b", ["Two"], title="Dashed")]
    data, counts = handout_and_counts(views)
    contents = texts(data)[1]
    assert re.search(r"Dotted \.+ ?3\b.*Dashed \.+ ?4\b", contents), contents
    assert plan_handout(counts, 2) == [3, 4]


def test_each_guide_has_pages_of_its_own(series: list[GuideView]) -> None:
    data, counts = handout_and_counts(series)
    pages = texts(data)
    for view, start, count in zip(series, plan_handout(counts, 2), counts, strict=True):
        others = [step.text for other in series if other is not view for step in other.steps]
        for text in pages[start - 1:start - 1 + count]:
            assert view.title in text  # the running footer
            assert not any(words(step) in text for step in others)


def test_a_guide_prints_the_same_pages_alone_and_in_the_handout(
    make_guide: MakeGuide, guide: GuideView, series: list[GuideView]
) -> None:
    tall = make_guide(
        "12-steps", [f"Step text number {n} of a long guide" for n in range(1, 13)],
        chapter="Long ones", sizes={3: LARGE, 7: (900, 1800)},
    )
    views = [series[1], guide, tall]
    cache = CountingCache()  # each section laid out once, as a build does
    handout_pages = texts(handout(views, cache=cache))
    counts = counts_in(cache, views)
    total = len(handout_pages)
    assert counts[2] > 2  # the test means something only if guides span pages
    for view, start, count in zip(views, plan_handout(counts, 2), counts, strict=True):
        section = texts(cache.kept[section_key(view, site_url=SITE)])
        alone = texts(guide_pdf(view, site_url=SITE, cache=cache))
        assert len(section) == len(alone) == count
        for number, (bare, page) in enumerate(zip(section, alone, strict=True), start=1):
            assert page == f"{bare} {number} / {count}"
            assert handout_pages[start + number - 2] == f"{bare} {start + number - 1} / {total}"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs pdftoppm (poppler-utils)")
def test_page_numbers_print_where_weasyprint_prints_them(tmp_path: Path, guide: GuideView) -> None:
    sheet = paper_named("a4")
    guides, images = _prepare([guide], sheet, SITE)
    native = lay_out("print.html", images, guide=guides[0], paper=sheet, date=build_date(),
                     page_numbers=True)
    numbered = rasterise(render_guide_pdf(guide, site_url=SITE), tmp_path, "numbered")
    expected = rasterise(native, tmp_path, "native")
    assert len(numbered) == len(expected) > 1
    for ours, theirs in zip(numbered, expected, strict=True):
        assert ImageChops.difference(ours, theirs).getbbox() is None


def test_the_handout_keeps_the_guides_anchors_and_leaves_the_blank_pages_behind(
    series: list[GuideView],
) -> None:
    data, counts = handout_and_counts(series)
    reader = PdfReader(io.BytesIO(data))
    names = reader.named_destinations
    for view, start in zip(series, plan_handout(counts, 2), strict=True):
        anchor = guide_anchor(view)
        assert reader.get_destination_page_number(names[anchor]) + 1 == start
        assert reader.get_destination_page_number(names[f"{anchor}-step-1"]) + 1 == start
    assert not any(re.fullmatch(r"guide-\d+(-pages-\d+)?", name) for name in names)
    with pikepdf.Pdf.open(io.BytesIO(data)) as pdf:
        pages = [obj for obj in pdf.objects
                 if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Page"]
        assert len(pages) == len(pdf.pages) == 2 + sum(counts)


def test_a_number_is_drawn_after_the_page_restores_its_graphics_state(guide: GuideView) -> None:
    section = render_section(guide, site_url=SITE)
    numbered = number_pdf(section, render_numbers(page_count(section)))
    with pikepdf.Pdf.open(io.BytesIO(numbered)) as pdf:
        forms = set()
        for page in pdf.pages:
            instructions = list(pikepdf.parse_content_stream(page))
            operators = [str(op) for _, op in instructions]
            assert operators[0] == "q"
            # A pagination artifact, which screen readers skip: not part of the tags.
            assert operators[-4:] == ["Q", "BDC", "Do", "EMC"]
            tag, properties = instructions[-3][0]
            assert (tag, properties.Type, properties.Subtype) == (
                "/Artifact", "/Pagination", "/Footer")
            form = page.obj.Resources.XObject.GuidesmithNumber
            assert form.Subtype == "/Form" and list(form.BBox) == list(page.mediabox)
            forms.add(form.objgen)
        assert len(forms) == len(pdf.pages) > 1  # a page's own number, not one shared


def test_numbering_a_pdf_needs_a_number_for_every_page() -> None:
    with pytest.raises(ValueError, match="2 page numbers for a PDF of 3 pages"):
        number_pdf(render_numbers(3), render_numbers(2))


def test_numbers_drawn_over_pages_are_untagged(guide: GuideView) -> None:
    """A tagged document's marks would name its own tags in the pages it is drawn over."""
    section = render_section(guide, site_url=SITE)
    with pikepdf.Pdf.open(io.BytesIO(render_numbers(2))) as numbers:
        assert "/StructTreeRoot" not in numbers.Root
    with pytest.raises(ValueError, match="page numbers must be laid out untagged"):
        number_pdf(section, section)


# -- reproducible, and incremental --------------------------------------------------------


def test_same_bytes_with_or_without_a_cache(series: list[GuideView]) -> None:
    cache = CountingCache()
    fresh = handout(series)
    assert handout(series, cache=cache) == fresh
    assert handout(series, cache=cache) == fresh
    assert build_handout(series, site_name="Net Workshop", title="Lab handout",
                              site_url=SITE) == fresh
    reader = PdfReader(io.BytesIO(fresh))
    assert reader.metadata.title == "Lab handout"
    assert reader.metadata["/CreationDate"] == reader.metadata["/ModDate"] == "D:20250518000000Z"
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_the_document_id_is_made_from_the_content() -> None:
    """qpdf always writes an /ID: a digest of the pages, never random, never the time."""
    numbers = render_numbers(2)
    first = number_pdf(numbers, numbers)
    assert number_pdf(numbers, numbers) == first
    letter = render_numbers(2, paper="letter")
    ids = [PdfReader(io.BytesIO(data)).trailer["/ID"][0]
           for data in (first, number_pdf(letter, letter))]
    assert ids[0] != ids[1]


def test_one_edited_step_lays_out_that_guide_s_section_only(series: list[GuideView]) -> None:
    cache = CountingCache()
    handout(series, cache=cache)
    assert len(cache.made) == len(series) + 2  # the sections, the front, one run of numbers

    cache.reset()
    handout(series, cache=cache)
    assert cache.made == []

    edited = [series[0], edit_step(series[1], 2, "Open a terminal window"), series[2]]
    cache.reset()
    data = handout(edited, cache=cache)
    assert cache.made == [section_key(edited[1], site_url=SITE)]
    assert data == handout(edited)
    assert "Open a terminal window" in " ".join(texts(data))


def test_a_guide_that_changes_length_lays_out_the_front_again(
    series: list[GuideView],
) -> None:
    cache = CountingCache()
    handout(series, cache=cache)
    counts = counts_in(cache, series)
    fork = series[0]
    longer = replace(fork, items=[*fork.items, *(replace(fork.items[0], number=n)
                                                 for n in range(3, 7))])
    views = [longer, *series[1:]]
    cache.reset()
    data = handout(views, cache=cache)
    longer_counts = counts_in(cache, views)
    assert longer_counts[0] > counts[0]
    labels = {"site_name": "Net Workshop", "title": "Lab handout", "site_url": SITE}
    pages = texts(data)
    assert cache.made == [
        section_key(longer, site_url=SITE), front_key(views, longer_counts, **labels),
        numbers_key(2, len(pages), len(pages)),  # the total changed
    ]
    assert data == handout(views)
    assert NUMBER.findall(pages[-1]) == [f"{len(pages)} / {len(pages)}"]


def test_a_guide_pdf_and_the_handout_share_its_section(guide: GuideView) -> None:
    cache = CountingCache()
    alone = guide_pdf(guide, site_url=SITE, cache=cache)
    assert alone == render_guide_pdf(guide, site_url=SITE)
    pages = page_count(alone)
    assert cache.made == [section_key(guide, site_url=SITE), numbers_key(1, pages, pages)]
    cache.reset()
    handout([guide], cache=cache)
    assert len(cache.made) == 2  # the front and the page numbers
    assert section_key(guide, site_url=SITE) not in cache.made


def test_guides_of_as_many_pages_share_their_page_numbers(series: list[GuideView]) -> None:
    cache = CountingCache()
    views = [series[0], series[2]]
    pdfs = [guide_pdf(view, site_url=SITE, cache=cache) for view in views]
    pages = page_count(pdfs[0])
    assert page_count(pdfs[1]) == pages
    # Laid out for the first guide, found by the second.
    assert cache.made == [section_key(views[0], site_url=SITE), numbers_key(1, pages, pages),
                          section_key(views[1], site_url=SITE)]
    for data in pdfs:
        assert [NUMBER.findall(text) for text in texts(data)] == [
            [f"{n} / {pages}"] for n in range(1, pages + 1)]


def test_the_front_lays_out_a_page_a_guide_not_a_page_a_page(series: list[GuideView]) -> None:
    counts = [3, 40, 7]
    front = render_front(series, counts, site_name="S", site_url=SITE)
    assert page_count(front) == 2 + len(series)  # cover, contents, a page a guide
    contents = texts(front)[1]
    for view, start in zip(series, plan_handout(counts, 2), strict=True):
        assert re.search(rf"{re.escape(view.title)} \.+ ?{start}\b", contents), contents
    assert plan_handout(counts, 2) == [3, 6, 46]


def test_numbers_laid_out_in_lanes_make_the_same_handout(
    series: list[GuideView], monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = handout(series)
    monkeypatch.setattr(handout_module, "NUMBERS_PER_RUN", 2)
    cache = CountingCache()
    labels = {"site_name": "Net Workshop", "title": "Lab handout", "site_url": SITE}
    keep_front(series, cache=cache, **labels)
    made_before = len(cache.made)
    assert made_before == len(series) + 1  # the sections it reads, and itself
    lanes = []
    for lane in range(2):
        cache.reset()
        keep_numbers(series, lane, 2, cache=cache, **labels)
        lanes.append(list(cache.made))
    cache.reset()
    data = handout(series, cache=cache)
    assert cache.made == []  # the front and every run were there
    pages = texts(data)
    total = len(pages)
    runs = [(first, min(first + 1, total)) for first in range(2, total + 1, 2)]
    assert len(runs) > 2  # both lanes had work
    assert lanes == [[numbers_key(*run, total) for run in runs[lane::2]] for lane in range(2)]
    for number, text in enumerate(pages[1:], start=2):  # across the runs' ends too
        assert NUMBER.findall(text) == [f"{number} / {total}"], text
    assert data == handout(series)  # the same bytes however many lanes laid it out
    assert texts(fresh) == pages  # and the same pages whatever the runs' length


def test_a_front_laid_out_for_other_page_counts_is_refused(series: list[GuideView]) -> None:
    sections = [render_section(view, site_url=SITE) for view in series]
    front = render_front(series, [1] * len(series), site_name="S", site_url=SITE)
    with pytest.raises(ValueError, match="the handout's front was laid out for other guides"):
        assemble(front, sections, series)


def test_section_keys_follow_what_the_section_shows(
    guide: GuideView, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = section_key(guide, site_url=SITE)
    assert section_key(replace(guide), site_url=SITE) == key
    assert section_key(guide, site_url=SITE, paper="A4") == key
    first = guide.steps[0]
    renamed = replace(first, image=replace(first.image, path=first.image.path.with_name("x.jpg")))
    changed = [
        section_key(edit_step(guide, 1, "Open the page"), site_url=SITE),
        section_key(replace(guide, items=[renamed, *guide.items[1:]]), site_url=SITE),
        section_key(replace(guide, chapter="Another"), site_url=SITE),
        section_key(guide, site_url=SITE, paper="letter"),
        section_key(guide, site_url=None),
    ]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    changed.append(section_key(guide, site_url=SITE))
    assert len({key, *changed}) == len(changed) + 1


def test_front_keys_follow_titles_and_page_counts_only(guide: GuideView) -> None:
    labels = {"site_name": "S", "site_url": SITE}
    key = front_key([guide], [3], **labels)
    assert front_key([edit_step(guide, 1, "Another text")], [3], **labels) == key
    assert front_key([guide], [4], **labels) != key
    assert front_key([replace(guide, title="Other")], [3], **labels) != key
    assert front_key([guide], [3], **labels, title="Handout") != key
