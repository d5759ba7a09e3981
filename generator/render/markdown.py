"""A guide -> the Markdown page that MkDocs (or Zensical) renders with the site's theme."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

from generator.render.environment import environment
from generator.views import GuideView


@dataclass(frozen=True)
class PageLinks:
    """Where the page's images and companion files are, relative to the page's URL."""

    image_base: str
    standalone: str | None = None
    pdf: str | None = None


def page_links(slug: str, directory_urls: bool, standalone: bool, pdf: bool) -> PageLinks:
    """Relative URLs for `X.md`, whose page is `X/` (directory URLs) or `X.html`."""
    base = "" if directory_urls else f"{slug}/"
    return PageLinks(
        image_base=base,
        standalone=f"{base}{slug}.html" if standalone else None,
        pdf=f"{base}{slug}.pdf" if pdf else None,
    )


def render_page(view: GuideView, links: PageLinks) -> str:
    """The Markdown source of the guide's page."""
    return environment().get_template("guide.md").render(guide=view, links=links)


@dataclass(frozen=True)
class SeriesLinks:
    """Which companions the series listing links to."""

    standalone: bool
    pdf: bool
    handout: bool


@dataclass(frozen=True)
class SeriesGroup:
    """Consecutive guides of one chapter (or of none)."""

    chapter: str | None
    views: list[GuideView]


def render_series(views: Sequence[GuideView], links: SeriesLinks, base: str = "") -> str:
    """The series as a Markdown list by chapter, for a page `base` away from the root."""
    groups = [SeriesGroup(chapter, list(members))
              for chapter, members in groupby(views, key=lambda view: view.chapter)]
    return environment().get_template("series.md").render(groups=groups, links=links,
                                                            base=base)


def render_problems(path: str, problems: list[str], stale: bool, title: str = "") -> str:
    """A failure admonition listing a guide's errors (`file:line:col: message` lines)."""
    return environment().get_template("guide_problems.md").render(
        path=path, problems=problems, stale=stale, title=title
    )


def with_problems(page: str, path: str, problems: list[str]) -> str:
    """`page` (a guide's last good page) with its errors shown under the title.

    After the `# Title` line, not before it: MkDocs takes the page title from a first H1.
    """
    title, sep, rest = page.partition("\n\n")
    return f"{title}{sep}{render_problems(path, problems, stale=True)}{rest}"


def problems_page(title: str, path: str, problems: list[str]) -> str:
    """The page of a guide that has not loaded once: its title and its errors."""
    return render_problems(path, problems, stale=False, title=title)
