"""The standalone page: self-contained, complete, and safe with hostile guide text."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image as PILImage

from generator.loader import load_guide
from generator.markup import safe_link
from generator.present import guide_view
from generator.render.html import csp_hash, data_uri, group_steps, render_standalone
from generator.views import GuideView, StepImage

HOSTILE = "<script>alert(1)</script>"

GUIDE_YAML = """\
title: "Rotate a key <script>alert(1)</script>"
description: Rotate the **deploy key** before the workshop.
source: https://scribehow.com/shared/Rotate_a_key
chapter: "Chapter 1: Keys"
steps:
  - text: Open [the settings](https://example.com/settings) page
    image: {src: assets/one.png}
  - text: Click "Deploy keys" <script>alert(1)</script>
    image: {src: assets/two.png}
    tip: Keys are listed newest first. <script>alert(1)</script>
  - section: "Create the new key <script>alert(1)</script>"
  - text: Press [[Enter]] to confirm
    alert: The old key stops working at once.
    image: {src: assets/three.png}
  - text: Read the [manual](javascript:alert(1)) if unsure
  - text: Copy the new key somewhere safe
    image: {src: assets/four.png}
"""

STEP_TEXTS = [
    "Open the settings page",
    'Click "Deploy keys" <script>alert(1)</script>',
    "Press Enter to confirm",
    "Read the manual if unsure",
    "Copy the new key somewhere safe",
]


class Collector(HTMLParser):
    """Every start tag with its attributes, and the text of each <script> element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
        if tag not in {"meta", "img", "br", "hr", "path", "circle", "link"}:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        if tag in {"path", "circle"}:
            return
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1:]}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)

    def of(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def write_image(path: Path, size: tuple[int, int], colour: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.new("RGB", size, colour).save(path)


RENDERED = {1: ("step-01.jpg", "#336699"), 2: ("step-02.png", "#993366"),
            3: ("step-03.jpg", "#669933"), 5: ("step-05.png", "#999999")}


def make_view(
    tmp_path: Path, yaml_text: str = GUIDE_YAML, rendered: dict[int, tuple[str, str]] = RENDERED
) -> GuideView:
    """The guide's view with small generated files standing in for its rendered images."""
    guide_path = tmp_path / "rotate-a-key.yml"
    guide_path.write_text(yaml_text)
    loaded = load_guide(guide_path)
    images = {}
    for number, (name, colour) in rendered.items():
        path = tmp_path / "cache" / name
        write_image(path, (40, 24), colour)
        images[number] = StepImage(number, name, path, 40, 24)
    return guide_view(loaded, images)


@pytest.fixture
def page(tmp_path: Path) -> tuple[GuideView, str, Collector]:
    view = make_view(tmp_path)
    html = render_standalone(view)
    parser = Collector()
    parser.feed(html)
    parser.close()
    return view, html, parser


def test_page_parses_with_balanced_elements(page: tuple[GuideView, str, Collector]) -> None:
    _, html, parser = page
    assert html.startswith("<!doctype html>\n<html lang=\"en\">")
    assert parser.open == []
    assert [a.get("name") for a in parser.of("meta") if a.get("name")] == [
        "viewport", "color-scheme", "generator"]
    assert len(parser.of("title")) == 1


def test_every_step_text_is_on_the_page(page: tuple[GuideView, str, Collector]) -> None:
    view, _, parser = page
    text = " ".join(" ".join(parser.text).split())
    assert [step.text for step in view.steps] == STEP_TEXTS
    for step_text in STEP_TEXTS:
        assert step_text in text
    assert "Keys are listed newest first." in text
    assert "The old key stops working at once." in text
    assert "Create the new key <script>alert(1)</script>" in text


def test_one_embedded_image_per_step_with_an_image(page: tuple[GuideView, str, Collector]) -> None:
    view, _, parser = page
    imgs = parser.of("img")
    assert len(imgs) == view.image_count == 4
    assert all((img.get("src") or "").startswith("data:image/") for img in imgs)
    assert [img["alt"] for img in imgs] == [
        "Step 1: Open the settings page",
        'Step 2: Click "Deploy keys" <script>alert(1)</script>',
        "Step 3: Press Enter to confirm",
        "Step 5: Copy the new key somewhere safe",
    ]
    assert [(img["width"], img["height"]) for img in imgs] == [("40", "24")] * 4
    assert [img["src"].split(";")[0] for img in imgs] == [  # type: ignore[union-attr]
        "data:image/jpeg", "data:image/png", "data:image/jpeg", "data:image/png"]


def test_hostile_text_never_becomes_markup_or_script(
    page: tuple[GuideView, str, Collector],
) -> None:
    _, html, parser = page
    scripts = parser.of("script")
    assert scripts == [{}], "only the page's own inline script"
    assert "alert(1)" not in parser.scripts[0]
    assert html.count("<script>") == 1
    assert "javascript:" not in html.lower()
    hrefs = [a.get("href") or "" for a in parser.of("a")]
    assert not any(href.strip().lower().startswith("javascript") for href in hrefs)
    title = parser.of("title")
    assert title == [{}]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_nothing_external_but_the_authors_links(page: tuple[GuideView, str, Collector]) -> None:
    _, _, parser = page
    external = [
        value
        for _, attrs in parser.tags
        for name in ("src", "href", "srcset", "poster", "data", "action")
        if (value := attrs.get(name)) and not value.startswith("data:")
    ]
    assert external == [
        "https://scribehow.com/shared/Rotate_a_key",
        "https://example.com/settings",
    ]
    assert parser.of("link") == []
    assert not any(attrs.get("style") for _, attrs in parser.tags)


def test_content_security_policy_allows_only_the_page_script(
    page: tuple[GuideView, str, Collector],
) -> None:
    _, _, parser = page
    policy = next(a["content"] for a in parser.of("meta")
                  if a.get("http-equiv") == "Content-Security-Policy")
    assert policy is not None
    assert "default-src 'none'" in policy
    assert "img-src data:" in policy
    assert f"script-src '{csp_hash(parser.scripts[0])}';" in policy


def test_steps_keep_their_numbers_across_sections(page: tuple[GuideView, str, Collector]) -> None:
    _, _, parser = page
    assert [a.get("start") for a in parser.of("ol")] == ["1", "3"]
    assert [a["id"] for a in parser.of("li") if a.get("class") == "gs-step"] == [
        f"step-{n}" for n in range(1, 6)]
    headings = [name for name, _ in parser.tags if re.fullmatch(r"h[1-6]", name)]
    assert headings == ["h1", "h2"]
    assert [a["aria-labelledby"] for a in parser.of("section")] == ["section-3"]
    assert [a["id"] for a in parser.of("h2")] == ["section-3"]


def test_keys_callouts_and_header(page: tuple[GuideView, str, Collector]) -> None:
    view, html, parser = page
    assert "<kbd>Enter</kbd>" in html
    callouts = [a["class"] for a in parser.of("div") if "gs-callout" in (a.get("class") or "")]
    assert callouts == ["gs-callout gs-callout--tip", "gs-callout gs-callout--alert"]
    assert "<strong>deploy key</strong>" in html
    assert f"{view.reading_minutes} min read" in html
    assert "5 steps" in html
    assert "Chapter 1: Keys" in html
    assert "Made with guidesmith" in html
    assert "Open the original guide" in html
    assert [b.get("aria-haspopup") for b in parser.of("button")].count("dialog") == 4


def test_css_is_inline_with_light_dark_and_print(page: tuple[GuideView, str, Collector]) -> None:
    _, html, _ = page
    style = html.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "prefers-color-scheme: dark" in style
    assert "@media print" in style
    assert "break-inside: avoid" in style
    assert "@import" not in style and "url(" not in style and "@font-face" not in style


def test_one_step_reads_singular(tmp_path: Path) -> None:
    view = make_view(tmp_path, "title: One\nsteps:\n  - text: Do it\n", {})
    html = render_standalone(view)
    assert "1 step<" in html
    assert "Open the original guide" not in html
    assert "<img" not in html


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://scribehow.com/shared/x", "https://scribehow.com/shared/x"),
        (" http://example.com/a?b=c ", "http://example.com/a?b=c"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html,<script>", None),
        ("//example.com/x", None),
        ("scribe", None),
        (None, None),
    ],
)
def test_safe_link_keeps_only_http_links(url: str | None, expected: str | None) -> None:
    assert safe_link(url) == expected


def test_unsafe_source_link_is_dropped(tmp_path: Path) -> None:
    yaml_text = "title: T\nsource: 'javascript:alert(1)'\nsteps:\n  - text: Do it\n"
    html = render_standalone(make_view(tmp_path, yaml_text, {}))
    assert "javascript" not in html
    assert "Open the original guide" not in html


@pytest.mark.parametrize(
    ("name", "mime"),
    [("a.jpg", "image/jpeg"), ("a.JPEG", "image/jpeg"), ("a.png", "image/png"),
     ("a.webp", "image/webp")],
)
def test_data_uri_types_by_extension(tmp_path: Path, name: str, mime: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\x00\x01pixels")
    uri = data_uri(StepImage(1, name, path, 1, 1))
    assert uri == f"data:{mime};base64," + base64.b64encode(b"\x00\x01pixels").decode()


def test_data_uri_refuses_an_unknown_type(tmp_path: Path) -> None:
    path = tmp_path / "a.bmp"
    path.write_bytes(b"BM")
    with pytest.raises(ValueError, match=r"no known image type for '\.bmp'"):
        data_uri(StepImage(1, "a.bmp", path, 1, 1))


def test_group_steps_splits_at_sections(tmp_path: Path) -> None:
    yaml_text = (
        "title: T\nsteps:\n  - section: First\n  - section: Second\n  - text: a\n  - text: b\n"
        "  - section: Last\n"
    )
    view = make_view(tmp_path, yaml_text, {})
    groups = group_steps(view)
    assert [(g.section.text if g.section else None, [s.number for s in g.steps])
            for g in groups] == [("First", []), ("Second", [1, 2]), ("Last", [])]
    html = render_standalone(view)
    parser = Collector()
    parser.feed(html)
    assert parser.open == []
    assert len(parser.of("h2")) == 3
    assert len(parser.of("ol")) == 1
