"""A guide, or a whole series, -> a printable PDF: Jinja print templates laid out by WeasyPrint.

A guide is laid out once, without page numbers: that is its section, which its own PDF and
the handout (render/handout.py) both print, each numbering the pages its own way by drawing
a numbers document over them (render/pdfpages.py); the footer looks the same either way.

The print look lives in templates/print.css; this module prepares what the templates need:
the paper, step images in their print versions (render/printimages.py), QR codes and the
build date. WeasyPrint gets a URL fetcher that serves only those images, data: URIs and the
templates directory, so the PDF step never touches the network.

Builds are reproducible: the same guides give the same bytes. The document's date, stored
as its created/modified metadata and printed on the handout's cover, is SOURCE_DATE_EPOCH
when it is set (https://reproducible-builds.org/specs/source-date-epoch/), else today's
local date without a time of day, so a rebuild on the same day gives the same bytes.
"""

from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import segno
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from generator import __version__
from generator.cache import TEMPLATES_DIR
from generator.printimages import IMAGE_MAX_HEIGHT_MM, Paper, paper_named, print_jpeg
from generator.render.dates import build_date
from generator.render.environment import environment
from generator.render.pdfpages import margins_as_artifacts, number_pdf, page_count
from generator.theme import DEFAULT_THEME, Theme
from generator.views import GuideView

IMAGE_SCHEME = "guidesmith-image"
# Tagged PDF for readers of every ability: a structure tree (headings, lists, figures with
# their step text), the language and the title (WeasyPrint's PDF/UA-1 variant).
TAGGED = "pdf/ua-1"



@dataclass(frozen=True)
class PrintGuide:
    """A guide as one PDF shows it: its anchor, its web page and QR code, its images."""

    view: GuideView
    key: str
    page_url: str | None
    qr: str | None
    images: Mapping[int, str]


class PrintFetcher(URLFetcher):
    """Serves the prepared step images, data: URIs and template files; refuses the rest."""

    def __init__(self, images: Mapping[str, bytes] | None = None) -> None:
        super().__init__(allowed_protocols=("data",))
        self.images = dict(images or {})

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        scheme = urlsplit(url).scheme.lower()
        if scheme == IMAGE_SCHEME and url in self.images:
            return URLFetcherResponse(url, self.images[url], {"Content-Type": "image/jpeg"})
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(urlsplit(url).path)).resolve()
            if path.is_relative_to(TEMPLATES_DIR) and path.is_file():
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})
        raise ValueError(f"the PDF renderer fetches nothing from {url}")


def guide_anchor(view: GuideView) -> str:
    """The id of a guide's article: from its slug, so it is the same in any document."""
    return "guide-" + re.sub(r"[^A-Za-z0-9_-]", "-", view.slug)


def page_url(site_url: str | None, slug: str) -> str | None:
    """The guide's page on the published site (MkDocs directory URLs)."""
    return f"{site_url.rstrip('/')}/{slug}/" if site_url else None


def qr_data_uri(url: str) -> str:
    """An SVG QR code for `url`, as a data: URI; vector, so it prints sharp at any size."""
    return segno.make(url, error="m", micro=False).svg_data_uri(border=0, dark="#111827")


def _prepare(
    views: Iterable[GuideView], paper: Paper, site_url: str | None
) -> tuple[list[PrintGuide], dict[str, bytes]]:
    """Print guides and the JPEG bytes the fetcher serves for their steps.

    A file gets one URL however many steps show it, so WeasyPrint embeds it once.
    """
    guides: list[PrintGuide] = []
    urls_by_path: dict[Path, str] = {}
    for view in views:
        urls: dict[int, str] = {}
        for step in view.steps:
            if step.image is not None:
                path = step.image.path
                url = urls_by_path.setdefault(path, f"{IMAGE_SCHEME}:{len(urls_by_path) + 1}")
                urls[step.number] = url
        url = page_url(site_url, view.slug)
        guides.append(
            PrintGuide(view, guide_anchor(view), url, qr_data_uri(url) if url else None, urls)
        )
    box = paper.image_box_px()
    # Pillow releases the GIL while it resizes and encodes, so threads share the work.
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        encoded = pool.map(lambda path: print_jpeg(path, box), urls_by_path)
        images = dict(zip(urls_by_path.values(), encoded, strict=True))
    return guides, images


def lay_out(
    template: str, images: Mapping[str, bytes], *, variant: str | None = TAGGED,
    theme: Theme = DEFAULT_THEME, **context: object,
) -> bytes:
    """One of the print templates laid out by WeasyPrint, fetching only `images`, in the
    site's colours and language.

    `variant`: WeasyPrint's `pdf_variant`; tagged unless told otherwise.
    """
    values = {"generator": f"guidesmith {__version__}", "image_max_height_mm": IMAGE_MAX_HEIGHT_MM,
              "theme": theme, **context}
    html = environment().get_template(template).render(**values)
    look = _print_css(environment().get_template("print.css").render(**values))
    document = HTML(
        string=html, base_url=TEMPLATES_DIR.as_uri() + "/", url_fetcher=PrintFetcher(images)
    )
    data = document.write_pdf(stylesheets=[look], pdf_variant=variant)
    return margins_as_artifacts(data) if variant == TAGGED else data


@lru_cache(maxsize=8)
def _print_css(text: str) -> CSS:
    """The print stylesheet, parsed once for every document that looks the same (parsing it
    took a quarter of a guide's layout when each document carried its own copy)."""
    return CSS(string=text, base_url=TEMPLATES_DIR.as_uri() + "/", url_fetcher=PrintFetcher())


def render_section(
    view: GuideView, *, paper: str = "a4", site_url: str | None = None,
    theme: Theme = DEFAULT_THEME,
) -> bytes:
    """A guide laid out for print, without page numbers: its PDF's pages, and the handout's.

    The footer's boxes have fixed widths, so the number, printed later, changes nothing.
    """
    sheet = paper_named(paper)
    guides, images = _prepare([view], sheet, site_url)
    return lay_out(
        "print.html", images, guide=guides[0], paper=sheet, date=build_date(), page_numbers=False,
        theme=theme,
    )


@lru_cache(maxsize=64)
def render_numbers(
    total: int, *, first: int = 1, last: int | None = None, paper: str = "a4",
    theme: Theme = DEFAULT_THEME,
) -> bytes:
    """Blank pages numbered "first / total" to "last / total" (by default all `total`), as
    footers show them: a guide's numbers, or one run of the handout's.

    Untagged: only ever drawn over other pages, as their pagination artifact (pdfpages.py).
    """
    sheet = paper_named(paper)
    return lay_out("print_numbers.html", {}, variant=None, first=first,
                   last=total if last is None else last, total=total, paper=sheet,
                   date=build_date(), page_numbers=True, theme=theme)


def number_section(
    section: bytes, *, paper: str = "a4", theme: Theme = DEFAULT_THEME,
    numbers: Callable[..., bytes] = render_numbers,
) -> bytes:
    """A guide's PDF from its section: each page numbered "N / T" in the footer.

    `numbers` is render_numbers, or what finds its documents in a cache.
    """
    return number_pdf(section, numbers(page_count(section), paper=paper, theme=theme))


def render_guide_pdf(
    view: GuideView, *, paper: str = "a4", site_url: str | None = None,
    theme: Theme = DEFAULT_THEME,
) -> bytes:
    """One guide as a PDF: title, steps with their screenshots, page numbers, bookmarks."""
    section = render_section(view, paper=paper, site_url=site_url, theme=theme)
    return number_section(section, paper=paper, theme=theme)
