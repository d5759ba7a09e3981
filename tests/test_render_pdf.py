"""render.pdf: printable guides and the handout, read back with pypdf.

Guides are small YAML files written to tmp_path, loaded with the real loader; their step
images are screenshot-like JPEGs drawn with Pillow, so nothing is fetched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from PIL import Image, ImageDraw
from pypdf import PdfReader
from pypdf.generic import ContentStream, DictionaryObject, IndirectObject

from generator.loader import load_guide
from generator.present import guide_view
from generator.printimages import PAPERS, print_jpeg
from generator.render.handout import build_handout
from generator.render.pdf import (
    PrintFetcher,
    build_date,
    page_url,
    render_guide_pdf,
)
from generator.views import GuideView, StepImage

EPOCH = "1747526400"  # 2025-05-18T00:00:00Z
SITE = "https://example.org/workshop"
LARGE = (2800, 1900)
USUAL = (1120, 626)

MakeGuide = Callable[..., GuideView]


def draw_screenshot(path: Path, size: tuple[int, int], seed: int) -> Path:
    """A screenshot-like JPEG: a header bar, a sidebar, rows of text, a button."""
    width, height = size
    image = Image.new("RGB", size, "#F6F8FA")
    draw = ImageDraw.Draw(image)
    hue = (seed * 47) % 200
    draw.rectangle((0, 0, width, height // 14), fill=(30 + hue // 3, 60, 90 + hue // 2))
    draw.rectangle((0, height // 14, width // 5, height), fill="#FFFFFF", outline="#D0D7DE")
    row = max(12, height // 30)
    for i, y in enumerate(range(height // 8, height - row, row)):
        draw.text((width // 5 + 20, y), f"Setting {seed}.{i}: value {i * seed}", fill="#1F2328")
        draw.text((20, y), f"Menu {i}", fill="#656D76")
    draw.rounded_rectangle(
        (width // 2, height // 2, width // 2 + width // 8, height // 2 + row * 2),
        radius=6, fill="#1F883D",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="JPEG", quality=95)
    return path


@pytest.fixture
def make_guide(tmp_path: Path) -> MakeGuide:
    """Write guides/SLUG.yml with `steps` (text, or a step mapping) and their images."""
    seeds = iter(range(1, 10_000))

    def make(
        slug: str,
        steps: list[str | dict[str, object]],
        *,
        title: str | None = None,
        chapter: str | None = None,
        sizes: dict[int, tuple[int, int]] | None = None,
        source: str | None = None,
    ) -> GuideView:
        items = [{"text": s} if isinstance(s, str) else s for s in steps]
        data: dict[str, object] = {"title": title or slug.replace("-", " ").title()}
        if chapter:
            data["chapter"] = chapter
        if source:
            data["source"] = source
        data["steps"] = items
        path = tmp_path / "guides" / f"{slug}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
        loaded = load_guide(path)
        images: dict[int, StepImage] = {}
        for number, step in loaded.guide.numbered_steps():
            if step.text.startswith("No picture"):
                continue
            size = (sizes or {}).get(number, USUAL)
            file = draw_screenshot(tmp_path / "images" / slug / f"{number}.jpg", size, next(seeds))
            images[number] = StepImage(number, f"step-{number:02d}.jpg", file, *size)
        return guide_view(loaded, images)

    return make


@pytest.fixture(autouse=True)
def source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


@pytest.fixture
def guide(make_guide: MakeGuide) -> GuideView:
    return make_guide(
        "01-first-guide",
        [
            "Open [the settings](https://example.com/settings) page",
            {"section": "Make the token"},
            {"text": "Press [[Ctrl]] + [[Enter]] to save", "tip": "Keys work anywhere."},
            {"text": "Copy the token now", "alert": "It is shown **once**."},
            "Café, naïve, Ærøskøbing and ✓ → ©",
            "No picture for this one: just read it",
        ],
        title="Generate a token",
        source="https://scribehow.com/shared/abc",
        sizes={1: LARGE},
    )


@pytest.fixture
def series(make_guide: MakeGuide) -> list[GuideView]:
    return [
        make_guide("00-fork", ["Fork the repository", "Name the fork"],
                   title="Fork the repo", chapter="Chapter 0: Preparation"),
        make_guide("01-clone", ["Clone it", "Open a terminal", "Run the setup"],
                   title="Clone the repo", chapter="Chapter 0: Preparation", sizes={2: LARGE}),
        make_guide("10-deploy", ["Deploy the branch", "Check the result"],
                   title="Deploy a branch", chapter="Chapter 1: Design builder"),
    ]


# -- reading PDFs -------------------------------------------------------------------------


def words(text: str) -> str:
    return " ".join(text.split())


def pdf_text(path: Path) -> str:
    return words(" ".join(page.extract_text() for page in PdfReader(path).pages))


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _drawn_images(
    content: ContentStream, resources: DictionaryObject, reader: PdfReader
) -> Iterator[tuple[int, DictionaryObject]]:
    """The images a content stream paints with `Do`, through form XObjects too."""
    xobjects = resources.get("/XObject")
    for operands, operator in content.operations:
        if operator != b"Do" or xobjects is None:
            continue
        reference = xobjects.get_object().raw_get(operands[0])
        obj = reference.get_object()
        key = reference.idnum if isinstance(reference, IndirectObject) else id(obj)
        if obj.get("/Subtype") == "/Image":
            yield key, obj
        elif obj.get("/Subtype") == "/Form":
            inner = obj["/Resources"].get_object() if "/Resources" in obj else resources
            yield from _drawn_images(ContentStream(obj, reader), inner, reader)


def images_by_page(path: Path) -> list[dict[int, DictionaryObject]]:
    """The image XObjects each page paints, by object number."""
    reader = PdfReader(path)
    return [
        dict(_drawn_images(ContentStream(page.get_contents(), reader),
                           page["/Resources"].get_object(), reader))
        for page in reader.pages
    ]


def all_images(path: Path) -> dict[int, DictionaryObject]:
    return {key: obj for page in images_by_page(path) for key, obj in page.items()}


def bookmarks(path: Path) -> list[tuple[int, str, int]]:
    """(level, title, page number) of every bookmark, depth first; level 1 is the top."""
    reader = PdfReader(path)
    found: list[tuple[int, str, int]] = []

    def walk(items: list, level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                found.append((level, item.title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline, 1)
    return found


def outline(path: Path) -> list[tuple[int, str]]:
    return [(level, title) for level, title, _ in bookmarks(path)]


def link_uris(path: Path) -> set[str]:
    uris = set()
    for page in PdfReader(path).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                uris.add(str(action["/URI"]))
    return uris


# -- a guide's PDF ------------------------------------------------------------------------


def test_every_step_and_section_of_a_guide_is_real_text(tmp_path: Path, guide: GuideView) -> None:
    text = pdf_text(write(tmp_path, "guide.pdf", render_guide_pdf(guide)))
    assert "Generate a token" in text
    assert "Make the token" in text
    for step in guide.steps:
        assert words(step.text) in text, step.text
    assert "Keys work anywhere." in text and "It is shown once." in text
    assert "Open the original guide" in text


def test_a_guide_pdf_has_a_title_an_outline_and_clickable_links(
    tmp_path: Path, guide: GuideView
) -> None:
    path = write(tmp_path, "guide.pdf", render_guide_pdf(guide))
    reader = PdfReader(path)
    assert reader.metadata.title == "Generate a token"
    assert outline(path) == [(1, "Generate a token")] + [
        (2, f"{step.number}. {step.text}") for step in guide.steps
    ]
    assert {"https://example.com/settings", "https://scribehow.com/shared/abc"} <= link_uris(path)


def test_the_footer_shows_the_title_and_page_numbers(tmp_path: Path, guide: GuideView) -> None:
    pages = PdfReader(write(tmp_path, "guide.pdf", render_guide_pdf(guide))).pages
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        text = words(page.extract_text())
        assert f"{number} / {len(pages)}" in text
        assert "Generate a token" in text


def test_each_step_prints_on_the_page_of_its_screenshot(
    tmp_path: Path, make_guide: MakeGuide
) -> None:
    steps = [f"Step text number {n} of a long guide" for n in range(1, 13)]
    view = make_guide("12-steps", steps, sizes={3: LARGE, 7: (900, 1800)})
    path = write(tmp_path, "guide.pdf", render_guide_pdf(view))
    pages = PdfReader(path).pages
    for page, images in zip(pages, images_by_page(path), strict=True):
        text = words(page.extract_text())
        on_page = [n for n in range(1, 13) if f"Step text number {n} of" in text]
        assert len(images) == len(on_page), (on_page, len(images))


def test_one_embedded_image_per_step_image(tmp_path: Path, guide: GuideView) -> None:
    images = all_images(write(tmp_path, "guide.pdf", render_guide_pdf(guide)))
    assert len(images) == guide.image_count == 4


def test_a_file_shown_by_two_steps_is_embedded_once(tmp_path: Path, guide: GuideView) -> None:
    first = guide.steps[0]
    twice = replace(guide, items=[*guide.items, replace(first, number=99)])
    images = all_images(write(tmp_path, "guide.pdf", render_guide_pdf(twice)))
    assert len(images) == guide.image_count == 4


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_images_are_scaled_to_the_column_at_200_dpi(
    tmp_path: Path, guide: GuideView, paper: str
) -> None:
    box = PAPERS[paper].image_box_px()
    assert box[0] == {"a4": 1371, "letter": 1400}[paper]  # 174 mm / 177.8 mm at 200 dpi
    images = all_images(write(tmp_path, "guide.pdf", render_guide_pdf(guide, paper=paper)))
    widths = sorted(int(image["/Width"]) for image in images.values())
    assert widths == [USUAL[0]] * 3 + [box[0]]  # the large one shrunk; none enlarged
    assert all(image["/Filter"] == "/DCTDecode" for image in images.values())


def test_a_portrait_screenshot_is_capped_in_height(tmp_path: Path) -> None:
    path = tmp_path / "tall.png"
    Image.new("RGBA", (1000, 4000), (200, 30, 30, 128)).save(path)
    max_width, max_height = PAPERS["a4"].image_box_px()
    with Image.open(__import__("io").BytesIO(print_jpeg(path, (max_width, max_height)))) as jpeg:
        assert (jpeg.format, jpeg.mode) == ("JPEG", "RGB")
        assert jpeg.size == (round(1000 * max_height / 4000), max_height)
        assert jpeg.getpixel((10, 10))[0] > 200  # transparency flattened on white


def test_a_twelve_step_guide_stays_well_under_3_mb(tmp_path: Path, make_guide: MakeGuide) -> None:
    steps = [f"Click the button number {n}" for n in range(1, 13)]
    view = make_guide("big", steps, sizes={n: LARGE for n in range(1, 13)})
    data = render_guide_pdf(view)
    assert len(data) < 3 * 1024 * 1024 / 2, len(data)  # "well under": half the budget


@pytest.mark.parametrize(("paper", "size"), [("a4", (595, 842)), ("letter", (612, 792))])
def test_paper_sizes(tmp_path: Path, guide: GuideView, paper: str, size: tuple[int, int]) -> None:
    for data in (render_guide_pdf(guide, paper=paper),
                 build_handout([guide], site_name="Site", paper=paper)):
        box = PdfReader(write(tmp_path, "p.pdf", data)).pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == size


def test_an_unknown_paper_is_refused(guide: GuideView) -> None:
    with pytest.raises(ValueError, match="unknown paper 'a5'; expected one of: a4, letter"):
        render_guide_pdf(guide, paper="a5")


def test_hostile_text_prints_as_text(tmp_path: Path, make_guide: MakeGuide) -> None:
    view = make_guide(
        "hostile",
        ['<script>alert("x")</script> then <img src="http://evil.example/x.png">'],
        title="<b>Bold</b> & <i>brave</i>",
    )
    path = write(tmp_path, "hostile.pdf", render_guide_pdf(view))
    text = pdf_text(path)
    assert '<script>alert("x")</script>' in text
    assert '<img src="http://evil.example/x.png">' in text
    assert "<b>Bold</b> & <i>brave</i>" in text
    assert PdfReader(path).metadata.title == "<b>Bold</b> & <i>brave</i>"
    assert len(all_images(path)) == 1  # the step's own screenshot, nothing fetched


def test_same_input_same_bytes(guide: GuideView, series: list[GuideView]) -> None:
    assert render_guide_pdf(guide) == render_guide_pdf(guide)
    handout = build_handout(series, site_name="Site", site_url=SITE)
    assert handout == build_handout(series, site_name="Site", site_url=SITE)


def test_metadata_dates_come_from_source_date_epoch(tmp_path: Path, guide: GuideView) -> None:
    reader = PdfReader(write(tmp_path, "guide.pdf", render_guide_pdf(guide)))
    assert reader.metadata["/CreationDate"] == "D:20250518000000Z"
    assert reader.metadata["/ModDate"] == "D:20250518000000Z"


def test_build_date_without_source_date_epoch_is_a_date_without_time() -> None:
    found = build_date({})
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", found.w3c) and found.printed == found.w3c
    assert build_date({"SOURCE_DATE_EPOCH": "86400"}).printed == "1970-01-02"
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH must be a whole number of seconds"):
        build_date({"SOURCE_DATE_EPOCH": "yesterday"})


# -- the handout --------------------------------------------------------------------------


def test_the_handout_holds_every_step_of_every_guide(
    tmp_path: Path, series: list[GuideView]
) -> None:
    text = pdf_text(write(tmp_path, "handout.pdf", build_handout(series, site_name="Site")))
    for view in series:
        assert view.title in text
        for step in view.steps:
            assert words(step.text) in text, step.text


def test_the_handout_outline_nests_chapters_guides_and_steps(
    tmp_path: Path, series: list[GuideView]
) -> None:
    path = write(tmp_path, "handout.pdf", build_handout(series, site_name="Site"))
    assert outline(path) == [
        (1, "Chapter 0: Preparation"),
        (2, "Fork the repo"), (3, "1. Fork the repository"), (3, "2. Name the fork"),
        (2, "Clone the repo"), (3, "1. Clone it"), (3, "2. Open a terminal"),
        (3, "3. Run the setup"),
        (1, "Chapter 1: Design builder"),
        (2, "Deploy a branch"), (3, "1. Deploy the branch"), (3, "2. Check the result"),
    ]


def test_without_chapters_guides_are_the_top_of_the_outline(
    tmp_path: Path, make_guide: MakeGuide
) -> None:
    views = [make_guide("a", ["One"], title="A"), make_guide("b", ["Two"], title="B")]
    path = write(tmp_path, "handout.pdf", build_handout(views, site_name="Site"))
    assert outline(path) == [(1, "A"), (2, "1. One"), (1, "B"), (2, "1. Two")]


def test_cover_contents_and_a_page_a_guide(tmp_path: Path, series: list[GuideView]) -> None:
    data = build_handout(series, site_name="Net Workshop", title="Lab handout", site_url=SITE)
    path = write(tmp_path, "handout.pdf", data)
    reader = PdfReader(path)
    assert reader.metadata.title == "Lab handout"
    cover = words(reader.pages[0].extract_text())
    assert cover == f"Net Workshop Lab handout 3 guides · 2025-05-18 {SITE}"
    contents = words(reader.pages[1].extract_text())
    marks = bookmarks(path)
    starts = {title: page for level, title, page in marks if level < 3}
    assert starts["Chapter 0: Preparation"] == starts["Fork the repo"] == 3
    assert starts["Chapter 1: Design builder"] == starts["Deploy a branch"]
    # Each guide starts a new page: after the page of the last step of the guide before.
    last_step_pages = [page for level, _, page in marks if level == 3]
    assert starts["Clone the repo"] > last_step_pages[1]  # "Fork the repo" has 2 steps
    assert starts["Deploy a branch"] > last_step_pages[4]  # and "Clone the repo" 3
    for view in series:
        assert re.search(rf"{view.title} \.+ ?{starts[view.title]}\b", contents), contents
    assert contents.index("Chapter 0: Preparation") < contents.index("Fork the repo")
    assert contents.index("Clone the repo") < contents.index("Chapter 1: Design builder")
    assert f"Lab handout 2 / {len(reader.pages)}" in contents


def test_without_a_title_the_site_name_heads_the_cover(
    tmp_path: Path, series: list[GuideView]
) -> None:
    reader = PdfReader(write(tmp_path, "h.pdf", build_handout(series, site_name="Site")))
    assert reader.metadata.title == "Site"
    assert words(reader.pages[0].extract_text()) == "Site 3 guides · 2025-05-18"


def test_qr_codes_and_page_links_when_the_site_url_is_known(
    tmp_path: Path, series: list[GuideView]
) -> None:
    with_url = write(tmp_path, "a.pdf", build_handout(series, site_name="S", site_url=SITE))
    pages = {f"{SITE}/{view.slug}/" for view in series}
    assert pages == {page_url(SITE + "/", view.slug) for view in series}
    assert pages <= link_uris(with_url)
    text = pdf_text(with_url)
    assert text.count("Scan for the online guide") == 3
    without = write(tmp_path, "b.pdf", build_handout(series, site_name="S"))
    assert "Scan for the online guide" not in pdf_text(without)
    assert not any(uri.startswith(SITE) for uri in link_uris(without))
    # The QR codes are vector drawings: only the screenshots are embedded images.
    assert len(all_images(with_url)) == sum(view.image_count for view in series) == 7


# -- no network ---------------------------------------------------------------------------


def test_the_url_fetcher_refuses_the_network_and_foreign_files(tmp_path: Path) -> None:
    fetcher = PrintFetcher({"guidesmith-image:1": b"\xff\xd8jpeg"})
    for url in ("http://example.com/x.png", "https://example.com/x.css", "ftp://example.com/x",
                "file:///etc/passwd", (tmp_path / "x.png").as_uri(), "guidesmith-image:2"):
        with pytest.raises(ValueError, match="the PDF renderer fetches nothing from"):
            fetcher.fetch(url)
    assert fetcher.fetch("guidesmith-image:1").read() == b"\xff\xd8jpeg"
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
