"""Step text (Markdown) -> safe HTML, one renderer for every output.

Authors write Markdown, but a guide may come from outside (an imported export), so raw
HTML in it is shown as text, never interpreted; the result is then sanitised with nh3 as
a second line of defence, which also drops `javascript:` and `data:` links.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree
from functools import lru_cache
from urllib.parse import urlsplit

import markdown
import nh3
from markdown.inlinepatterns import InlineProcessor
from markupsafe import Markup

_ALLOWED_TAGS = {
    "p", "br", "a", "strong", "em", "code", "kbd", "ul", "ol", "li", "pre", "blockquote",
    "del", "sub", "sup", "hr",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
_URL_SCHEMES = {"http", "https", "mailto"}
_KEY = r"\[\[([^\[\]\n]{1,40})\]\]"
_TAG = re.compile(r"<[^>]+>")
# A trailing backslash before a blank line, a list item or the end breaks nothing.
_USELESS_BREAK = re.compile(r"\\+[ \t]*(?=\n[ \t]*(?:\n|[-*+][ \t]|\d+\.[ \t])|\s*\Z)")


class _KeyProcessor(InlineProcessor):
    """`[[Enter]]` -> <kbd>Enter</kbd>, the way Scribe exports keyboard keys."""

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element, int, int]:
        element = etree.Element("kbd")
        element.text = m.group(1).strip()
        return element, m.start(0), m.end(0)


class _BackslashBreakProcessor(InlineProcessor):
    """A backslash at the end of a line is a hard break (CommonMark; Scribe uses it)."""

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element, int, int]:
        return etree.Element("br"), m.start(0), m.end(0)


class _GuideTextExtension(markdown.Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # Raw HTML is escaped instead of passed through.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.inlinePatterns.register(_KeyProcessor(_KEY, md), "guidesmith_keys", 185)
        md.inlinePatterns.register(
            _BackslashBreakProcessor(r"\\+\n", md), "guidesmith_backslash_break", 186
        )


@lru_cache(maxsize=1)
def _markdown() -> markdown.Markdown:
    return markdown.Markdown(extensions=[_GuideTextExtension(), "sane_lists"], output_format="html")


def _sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def safe_link(url: str | None) -> str | None:
    """An http(s) URL as given; anything else (javascript:, data:, a bare word) dropped."""
    if url is None:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in {"http", "https"} and parts.netloc else None


@lru_cache(maxsize=4096)
def render_markdown(text: str) -> Markup:
    """Block Markdown (paragraphs, lists) as sanitised HTML."""
    md = _markdown()
    md.reset()
    return Markup(_sanitise(md.convert(_USELESS_BREAK.sub("", text))))


@lru_cache(maxsize=4096)
def render_inline(text: str) -> Markup:
    """One line of Markdown (a title, a section) as sanitised HTML without a <p>."""
    rendered = str(render_markdown(text.replace("\n", " ")))
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        rendered = rendered[3:-4]
    return Markup(rendered)


def plain_text(text: str) -> str:
    """The words of a Markdown text, for alt text and PDF bookmarks."""
    return html.unescape(" ".join(_TAG.sub(" ", str(render_markdown(text))).split()))
