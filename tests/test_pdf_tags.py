"""Tagged PDFs (PDF/UA-1): what a screen reader finds in a guide's PDF and in the handout.

Guides come from test_render_pdf's fixtures. The tag tree is read back with pikepdf, and
checked the way a reader walks it: every piece of marked content on a page belongs to one
element of the tree, on that page; every link annotation to a Link element; the page
numbers drawn over the pages are artifacts, outside the tree. poppler's pdfinfo, another
reader altogether, must see the document as tagged.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pikepdf
import pytest
import test_render_pdf as shared
from pikepdf import Array, Dictionary, Name
from test_render_pdf import SITE, write

from generator.render import pdf as pdf_module
from generator.render import pdfpages
from generator.render.handout import build_handout, render_front
from generator.render.pdf import render_guide_pdf, render_section
from generator.theme import theme_for
from generator.views import GuideView

make_guide = shared.make_guide
series = shared.series
guide = shared.guide
source_date_epoch = shared.source_date_epoch


def elements(root: Dictionary) -> list[Dictionary]:
    """Every structure element under `root`, in reading order."""
    found: list[Dictionary] = []
    kids = root.get(Name.K)
    for kid in kids if isinstance(kids, Array) else [kids]:
        if isinstance(kid, Dictionary) and Name.S in kid:
            found.append(kid)
            found += elements(kid)
    return found


def tags(pdf: pikepdf.Pdf, kind: str) -> list[Dictionary]:
    return [e for e in elements(pdf.Root.StructTreeRoot) if str(e.S) == kind]


def check_tree(pdf: pikepdf.Pdf) -> None:
    """The tree and the pages agree, as PDF 32000-1 14.7 asks, and nothing is left over."""
    root = pdf.Root.StructTreeRoot
    pages = {page.obj.objgen: page for page in pdf.pages}
    tree = elements(root)
    assert tree and [str(e.S) for e in tree[:1]] == ["/Document"]
    in_tree = {e.objgen for e in tree}
    for element in tree:
        assert Name.Pg not in element or element.Pg.objgen in pages, "an element on no page"
        parent = element.P
        assert parent.objgen == root.objgen or parent.objgen in in_tree, "a loose parent"
    numbers = list(root.ParentTree.Nums)
    entries = dict(zip((int(n) for n in numbers[0::2]), numbers[1::2], strict=True))
    assert sorted(entries) == list(range(len(numbers) // 2))  # one key each, none twice
    assert int(root.get(Name.ParentTreeNextKey, len(entries))) == len(entries)
    for page in pdf.pages:
        marked = []
        for operands, operator in pikepdf.parse_content_stream(page):
            if str(operator) == "BDC" and isinstance(operands[1], Dictionary) and (
                Name.MCID in operands[1]
            ):
                marked.append(int(operands[1].MCID))
        owners = entries[int(page.obj.StructParents)]
        assert len(marked) == len(set(marked)), "one number, one piece of marked content"
        for mcid in marked:  # each in an element of the tree, on this page
            owner = owners[mcid]
            assert isinstance(owner, Dictionary) and owner.objgen in in_tree, "an orphan"
            assert owner.Pg.objgen == page.obj.objgen
            kids = owner.K if isinstance(owner.K, Array) else [owner.K]
            assert mcid in [int(k) for k in kids if isinstance(k, int)]
        for annotation in page.obj.get(Name.Annots, Array()):
            link = entries[int(annotation.StructParent)]
            assert str(link.S) == "/Link" and link.objgen in in_tree
            references = [k.Obj.objgen for k in link.K
                          if isinstance(k, Dictionary) and k.get(Name.Type) == Name.OBJR]
            assert annotation.objgen in references
    stray = [o for o in pdf.objects if isinstance(o, Dictionary) and o.get(Name.Type) == Name.Page
             and o.objgen not in pages]
    assert stray == [], "pages the document does not show (the front's blank pages)"


def read(data: bytes) -> pikepdf.Pdf:
    return pikepdf.Pdf.open(io.BytesIO(data))


def test_a_guide_pdf_is_tagged_pdf_ua_with_its_language_and_title(guide: GuideView) -> None:
    with read(render_guide_pdf(guide, site_url=SITE)) as pdf:
        assert pdf.Root.MarkInfo.Marked is True
        assert str(pdf.Root.Lang) == "en"
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True  # the title, not a file name
        assert str(pdf.docinfo.Title) == "Generate a token"
        with pdf.open_metadata() as meta:
            assert meta["pdfuaid:part"] == "1"
            assert meta["dc:title"] == "Generate a token"
        check_tree(pdf)
        assert len(tags(pdf, "/H1")) == 1  # the title; steps and sections sit under it
        figures = [str(f.Alt) for f in tags(pdf, "/Figure")]
        assert figures == [
            f"QR code for {SITE}/01-first-guide/",
            "Step 1: Open the settings page",
            "Step 2: Press Ctrl + Enter to save",
            "Step 3: Copy the token now",
            "Step 4: Café, naïve, Ærøskøbing and ✓ → ©",
        ]
        assert len(tags(pdf, "/H2")) == 1  # the section
        assert len(tags(pdf, "/Link")) >= 2  # the QR code's page link, the step's link


def test_the_guide_s_language_and_the_site_s_reach_the_pdf(guide: GuideView) -> None:
    spanish_site = theme_for(language="es")
    with read(render_guide_pdf(guide, theme=spanish_site)) as pdf:
        assert str(pdf.Root.Lang) == "es"
    russian = replace(guide, lang="ru")
    with read(render_guide_pdf(russian, theme=spanish_site)) as pdf:
        assert str(pdf.Root.Lang) == "ru"


def test_the_handout_keeps_one_tag_tree_for_its_cover_contents_and_guides(
    series: list[GuideView],
) -> None:
    views = [*series[:2], replace(series[2], lang="ru")]
    data = build_handout(views, site_name="Net Workshop", title="Lab handout", site_url=SITE)
    with read(data) as pdf:
        assert pdf.Root.MarkInfo.Marked is True
        assert str(pdf.Root.Lang) == "en"
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
        with pdf.open_metadata() as meta:
            assert meta["pdfuaid:part"] == "1"
            assert meta["dc:title"] == "Lab handout"
        check_tree(pdf)
        top = list(pdf.Root.StructTreeRoot.K[0].K)
        # The cover, the contents (a list of the three guides), then the guides' pages.
        assert [str(e.S) for e in top[:2]] == ["/Sect", "/NonStruct"]
        assert len(tags(pdf, "/LI")) == 3
        guides = [e for e in top[2:] if str(e.S) == "/Art"]
        assert len(guides) == len(top) - 2 == len(pdf.pages) - 2
        # Every screenshot of every guide, described by its step.
        alts = [str(f.Alt) for f in tags(pdf, "/Figure")]
        assert [a for a in alts if a.startswith("Step")] == [
            "Step 1: Fork the repository", "Step 2: Name the fork",
            "Step 1: Clone it", "Step 2: Open a terminal", "Step 3: Run the setup",
            "Step 1: Deploy the branch", "Step 2: Check the result",
        ]
        # The Russian guide says so; the others speak the handout's language.
        russian = [str(e.get(Name.Lang, "")) for e in guides]
        assert russian[-1] == "ru" and set(russian[:-1]) == {""}


def test_running_titles_and_chapters_in_the_margins_are_artifacts(guide: GuideView) -> None:
    with read(render_guide_pdf(guide, site_url=SITE)) as pdf:
        for page in pdf.pages:
            artifacts = [
                operands[1] for operands, operator in pikepdf.parse_content_stream(page)
                if str(operator) == "BDC" and operands[0] == Name.Artifact
            ]
            # The running title (and the number drawn over the page): pagination.
            assert len(artifacts) >= 2
            assert {str(a.get(Name.Type)) for a in artifacts} == {"/Pagination"}


def test_margins_become_the_same_artifacts_found_in_the_bytes_or_parsed(
    guide: GuideView, series: list[GuideView], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quick way (WeasyPrint's bytes, edited in place) and the sure way (every
    instruction parsed and written again) give the same instructions."""
    monkeypatch.setattr(pdf_module, "margins_as_artifacts", lambda data: data)
    raws = [
        render_section(guide, site_url=SITE),
        render_front(series, [3, 40, 7], site_name="S", site_url=SITE),
    ]
    monkeypatch.undo()
    quick = [pdfpages.margins_as_artifacts(raw) for raw in raws]
    monkeypatch.setattr(pdfpages, "_MARKED", re.compile(rb"(?!)(\d)"))  # never found
    sure = [pdfpages.margins_as_artifacts(raw) for raw in raws]
    for fast, slow in zip(quick, sure, strict=True):
        assert fast != slow
        with read(fast) as one, read(slow) as other:
            check_tree(one)
            pages = list(zip(one.pages, other.pages, strict=True))
            artifacts = 0
            for page, same in pages:
                ours = pikepdf.parse_content_stream(page)
                assert [(list(a), str(b)) for a, b in ours] == [
                    (list(a), str(b)) for a, b in pikepdf.parse_content_stream(same)]
                artifacts += sum(1 for operands, operator in ours
                                 if str(operator) == "BDC" and operands[0] == Name.Artifact)
            assert artifacts >= 2  # running titles


def test_tagged_pdfs_are_the_same_bytes_every_time(
    guide: GuideView, series: list[GuideView]
) -> None:
    assert render_guide_pdf(guide, site_url=SITE) == render_guide_pdf(guide, site_url=SITE)
    one = build_handout(series, site_name="S", site_url=SITE)
    assert one == build_handout(series, site_name="S", site_url=SITE)


def test_the_pdfs_are_drawn_in_the_site_s_palette(guide: GuideView) -> None:
    for theme in (theme_for("deep orange", "orange"), theme_for("indigo", "pink")):
        fills = set()
        with read(render_guide_pdf(guide, theme=theme)) as pdf:
            for page in pdf.pages:
                for operands, operator in pikepdf.parse_content_stream(page):
                    if str(operator) == "rg":
                        fills.add("#" + "".join(f"{round(float(v) * 255):02X}" for v in operands))
        light = theme.light
        # Step numbers, the tip and the alert callouts, in the theme's shades.
        assert {light.primary, light.tip_background, light.alert_background} <= fills
        assert "#2563EB" not in fills  # the blue the PDFs had before the site's palette


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="needs pdfinfo (poppler-utils)")
def test_poppler_reads_the_handout_as_tagged(tmp_path: Path, series: list[GuideView]) -> None:
    path = write(tmp_path, "handout.pdf",
                 build_handout(series, site_name="Net Workshop", site_url=SITE))
    info = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=True).stdout
    assert "Tagged:          yes" in info
    tree = subprocess.run(["pdfinfo", "-struct-text", path], capture_output=True, text=True,
                          check=True).stdout
    headings = [line.strip() for line in tree.splitlines()]
    for title in ("Net Workshop", "Contents", "Fork the repo", "Clone the repo", "Deploy a branch"):
        assert f'"{title}"' in headings
    assert tree.index('"Fork the repo"') < tree.index('"Clone the repo"') < tree.index(
        '"Deploy a branch"')

