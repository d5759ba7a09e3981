"""The built sites in Chromium, as readers meet them: audited, keyboard-driven, measured.

Two sites are built once for the module: a copy of this repository's sample with two more
guides (tests/fixtures/guides: every feature a guide has, and one in Russian), and the
project `guidesmith init` sets up. They are served on 127.0.0.1, and every page kind (home,
guide, standalone) is opened light and dark, at 390 and 1280 px. Each visit records its
requests and runs axe-core (axe-playwright-python) with the WCAG 2.1 A and AA rules; the
tests below read those records. Screenshots go to GUIDESMITH_SHOTS_DIR when it is set.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import CHROMIUM, draw_screenshot, serving
from conftest import cli_ok as invoke

from generator.theme import contrast

sync_api = pytest.importorskip("playwright.sync_api")
axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright")


pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_GUIDES = Path(__file__).parent / "fixtures" / "guides"
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
BLOCKING = {"serious", "critical"}
FAVICON = "assets/images/favicon.png"
WIDTHS = (390, 1280)
SCHEMES = ("light", "dark")

# (site, path, what it is): every page kind of both sites, and the fixture guides' pages.
PAGES = [
    ("sample", "", "home"),
    ("sample", "02-generate-a-pat/", "guide"),
    ("sample", "02-generate-a-pat/02-generate-a-pat.html", "standalone"),
    ("sample", "20-every-feature/", "guide with every feature"),
    ("sample", "20-every-feature/20-every-feature.html", "standalone with every feature"),
    ("sample", "21-russian-guide/", "guide in Russian"),
    ("sample", "21-russian-guide/21-russian-guide.html", "standalone in Russian"),
    ("init", "", "home"),
    ("init", "01-create-a-project/", "guide"),
    ("init", "01-create-a-project/01-create-a-project.html", "standalone"),
]
PAGE_IDS = [f"{site}:{path or 'home'}" for site, path, _ in PAGES]


def sample_copy(root: Path) -> Path:
    """This repository's sample site (theme overrides as files), with the fixture guides."""
    root.mkdir(parents=True)
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(ROOT / "guides", root / "guides")
    shutil.copytree(ROOT / "site_overrides", root / "site_overrides")  # links become files
    for guide in FIXTURE_GUIDES.glob("*.yml"):
        shutil.copy(guide, root / "guides" / guide.name)
    draw_screenshot(root / "guides/assets/every-feature/01.png", (1280, 800), "#0F766E")
    return root


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Both sites built and served; their base URLs by name."""
    top = tmp_path_factory.mktemp("sites")
    sample = sample_copy(top / "sample")
    invoke("build", "--offline", "--config-file", str(sample / "mkdocs.yml"))
    invoke("init", str(top / "init"), "--name", "Lab guides")
    invoke("build", "--offline", "--config-file", str(top / "init" / "mkdocs.yml"))

    with serving(top) as base:
        yield {"sample": f"{base}sample/site/", "init": f"{base}init/site/"}




@dataclass
class Visit:
    """What one page showed and asked for, at one width in one colour scheme."""

    url: str
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    scroll_width: int = 0
    violations: list[dict[str, Any]] = field(default_factory=list)


def shots_dir() -> Path | None:
    named = os.environ.get("GUIDESMITH_SHOTS_DIR")
    return Path(named) if named else None


@pytest.fixture(scope="module")
def visits(served: dict[str, str], browser: Any) -> Any:
    """visit(site, path, scheme, width): opened once, then its record."""
    done: dict[tuple[str, str, str, int], Visit] = {}

    def visit(site: str, path: str, scheme: str, width: int) -> Visit:
        key = (site, path, scheme, width)
        if key not in done:
            done[key] = _visit(browser, served[site] + path, scheme, width, key)
        return done[key]

    return visit


def _visit(browser: Any, url: str, scheme: str, width: int, key: tuple[Any, ...]) -> Visit:
    record = Visit(url)
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    try:
        page = context.new_page()
        page.on("request", lambda request: record.requests.append(request.url))
        page.on("requestfailed", lambda request: record.failed.append(request.url))
        page.on("response", lambda response: record.failed.append(response.url)
                if response.status >= 400 else None)
        page.on("console", lambda message: record.errors.append(message.text)
                if message.type == "error" else None)
        page.on("pageerror", lambda error: record.errors.append(str(error)))
        page.goto(url, wait_until="load")
        record.scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
        results = axe_playwright.Axe().run(page, options=AXE_OPTIONS)
        record.violations = results.response["violations"]
        if (directory := shots_dir()) is not None:
            directory.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9]+", "-", "-".join(map(str, key))).strip("-")
            page.screenshot(path=str(directory / f"site-{name}.png"), full_page=True)
    finally:
        context.close()
    return record


def describe(violations: list[dict[str, Any]]) -> list[str]:
    return [
        f"{v['impact']} {v['id']}: " + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in violations
    ]


# -- WCAG 2.1 A/AA ---------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(("site", "path", "kind"), PAGES, ids=PAGE_IDS)
def test_axe_finds_no_serious_or_critical_violation(
    visits: Any, site: str, path: str, kind: str, scheme: str, width: int
) -> None:
    found = visits(site, path, scheme, width).violations
    assert describe([v for v in found if v["impact"] in BLOCKING]) == [], kind


# -- no third party, nothing broken, nothing sideways ----------------------------------------


@pytest.mark.parametrize(("site", "path", "kind"), PAGES, ids=PAGE_IDS)
def test_a_page_asks_no_other_host_and_every_request_succeeds(
    visits: Any, served: dict[str, str], site: str, path: str, kind: str
) -> None:
    for scheme in SCHEMES:
        record = visits(site, path, scheme, 1280)
        own = urlsplit(served[site]).netloc
        others = sorted({
            url for url in record.requests
            if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != own
        })
        assert others == [], f"{kind} ({scheme}) asks other hosts"
        assert record.failed == [], kind
        assert record.errors == [], kind


@pytest.mark.parametrize("site", ["sample", "init"])
def test_the_theme_s_favicon_is_published(visits: Any, site: str) -> None:
    record = visits(site, "", "light", 1280)
    assert any(url.endswith(FAVICON) for url in record.requests)  # Material links it
    assert [url for url in record.failed if url.endswith(FAVICON)] == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("site", "path", "kind"), PAGES, ids=PAGE_IDS)
def test_nothing_scrolls_sideways(visits: Any, site: str, path: str, kind: str, width: int) -> None:
    for scheme in SCHEMES:
        assert visits(site, path, scheme, width).scroll_width <= width, kind




# -- one look ----------------------------------------------------------------------------------


def colour(css: str) -> str:
    """rgb(r, g, b) as #RRGGBB."""
    r, g, b = (int(v) for v in re.findall(r"\d+", css)[:3])
    return f"#{r:02X}{g:02X}{b:02X}"


@pytest.fixture
def open_page(browser: Any, served: dict[str, str]) -> Iterator[Any]:
    """open_page(site, path, scheme="light", width=1280): a fresh page, closed afterwards."""
    contexts: list[Any] = []

    def open_(site: str, path: str, scheme: str = "light", width: int = 1280) -> Any:
        context = browser.new_context(viewport={"width": width, "height": 900},
                                      color_scheme=scheme)
        contexts.append(context)
        page = context.new_page()
        page.goto(served[site] + path, wait_until="load")
        return page

    yield open_
    for context in contexts:
        context.close()


STYLE = "(e, property) => getComputedStyle(e)[property]"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_site_and_the_standalone_page_wear_one_palette(open_page: Any, scheme: str) -> None:
    from generator.theme import DEFAULT_THEME

    shades = DEFAULT_THEME.light if scheme == "light" else DEFAULT_THEME.dark
    site = open_page("sample", "20-every-feature/", scheme)
    assert colour(site.locator(".md-header").evaluate(STYLE, "backgroundColor")) == shades.primary
    badge = site.locator(".gs-step__number").first
    assert colour(badge.evaluate(STYLE, "backgroundColor")) == shades.primary
    assert colour(badge.evaluate(STYLE, "color")) == shades.on_primary
    tip = site.locator(".admonition.tip").first
    alert = site.locator(".admonition.danger").first
    assert colour(tip.evaluate(STYLE, "borderLeftColor")) == shades.tip
    assert colour(alert.evaluate(STYLE, "borderLeftColor")) == shades.alert

    alone = open_page("sample", "20-every-feature/20-every-feature.html", scheme)
    badge = alone.locator(".gs-badge").first
    assert colour(badge.evaluate(STYLE, "backgroundColor")) == shades.primary
    assert colour(badge.evaluate(STYLE, "color")) == shades.on_primary
    tip = alone.locator(".gs-callout--tip").first
    alert = alone.locator(".gs-callout--alert").first
    assert colour(tip.evaluate(STYLE, "borderLeftColor")) == shades.tip
    assert colour(alert.evaluate(STYLE, "borderLeftColor")) == shades.alert
    assert colour(tip.evaluate(STYLE, "backgroundColor")) == shades.tip_background
    assert colour(alert.evaluate(STYLE, "backgroundColor")) == shades.alert_background


# -- language --------------------------------------------------------------------------------


def test_a_guide_s_language_reaches_its_page_and_its_standalone_page(open_page: Any) -> None:
    page = open_page("sample", "21-russian-guide/")
    assert page.evaluate("() => document.documentElement.lang") == "en"  # the site's
    content = page.locator("article [lang]").first
    assert content.get_attribute("lang") == "ru"
    assert content.locator("h1").inner_text().startswith("Создать токен доступа")
    alone = open_page("sample", "21-russian-guide/21-russian-guide.html")
    assert alone.evaluate("() => document.documentElement.lang") == "ru"
    other = open_page("sample", "02-generate-a-pat/02-generate-a-pat.html")
    assert other.evaluate("() => document.documentElement.lang") == "en"


# -- keyboard ----------------------------------------------------------------------------------

# The focused element's outline, and the first opaque background behind it.
FOCUS_RING = r"""() => {
  const focused = document.activeElement;
  const style = getComputedStyle(focused);
  let behind = focused, background = "rgba(0, 0, 0, 0)";
  while (behind && /rgba\(.*, 0\)$|transparent/.test(background)) {
    background = getComputedStyle(behind).backgroundColor;
    behind = behind.parentElement;
  }
  if (/rgba\(.*, 0\)$|transparent/.test(background)) {
    background = getComputedStyle(document.body).backgroundColor;
  }
  return [style.outlineStyle, parseFloat(style.outlineWidth), style.outlineColor, background];
}"""


def focus_ring(page: Any, element: str = "document.activeElement") -> tuple[str, float, float]:
    """(style, width in px, contrast with what is behind) of the focus ring on the focused
    element, or on `element` (a script expression: what draws a hidden control's ring)."""
    style, width, ring, background = page.evaluate(
        FOCUS_RING.replace("document.activeElement", element))
    return style, width, contrast(colour(ring), colour(background))


def tab_to(page: Any, selector: str, limit: int = 60) -> None:
    """Press Tab until `selector` has the focus, as a keyboard reader moves."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def assert_visible_ring(ring: tuple[str, float, float]) -> None:
    style, width, ratio = ring
    assert style not in ("none", "hidden") and width >= 2, ring
    assert ratio >= 3, ring  # WCAG 1.4.11: 3:1 for what shows a control's state


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_lightbox_opens_closes_on_escape_and_gives_the_focus_back(
    open_page: Any, scheme: str
) -> None:
    page = open_page("sample", "02-generate-a-pat/", scheme)
    tab_to(page, "a.glightbox")
    assert_visible_ring(focus_ring(page))
    opener = page.evaluate("() => document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")
    page.locator(".glightbox-container").wait_for(state="visible")
    page.wait_for_function("() => document.activeElement.matches('.glightbox-container .gclose')")
    assert_visible_ring(focus_ring(page))
    # The full-size screenshot is named by its step, in a caption readers see too.
    label = page.evaluate("() => { const img = document.querySelector('.gslide.current img');"
                          " return document.getElementById(img.getAttribute('aria-labelledby'))"
                          ".textContent; }")
    assert label == "Step 1: Log into https://github.com/"
    # Audited once it has faded in: mid-animation, text is half transparent.
    page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running')"
        " && getComputedStyle(document.querySelector('.gslide.current')).opacity === '1'")
    found = axe_playwright.Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert describe([v for v in found if v["impact"] in BLOCKING]) == []
    page.keyboard.press("Escape")
    page.locator(".glightbox-container").wait_for(state="detached")
    page.wait_for_function(
        f"() => document.activeElement.getAttribute('href') === {opener!r}", timeout=3000
    )
    page.keyboard.press("Enter")  # the same screenshot, again
    page.locator(".glightbox-container").wait_for(state="visible")


def test_the_theme_toggle_works_from_the_keyboard_with_a_visible_focus(open_page: Any) -> None:
    page = open_page("sample", "02-generate-a-pat/")
    tab_to(page, "input.md-option")
    # The radio button is hidden; the label after it is the button readers see.
    assert page.evaluate("() => document.activeElement.nextElementSibling.hidden") is False
    assert_visible_ring(focus_ring(page, "document.activeElement.nextElementSibling"))
    scheme = "() => document.body.getAttribute('data-md-color-scheme')"
    assert page.evaluate(scheme) == "default"
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => ({scheme})() === 'slate'")
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => ({scheme})() === 'default'")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_step_links_and_the_contents_work_from_the_keyboard(open_page: Any, scheme: str) -> None:
    page = open_page("sample", "20-every-feature/", scheme)
    tab_to(page, ".gs-step__text a")
    assert page.evaluate("() => document.activeElement.textContent") == "the console"
    assert_visible_ring(focus_ring(page))
    tab_to(page, ".md-footer a")
    assert_visible_ring(focus_ring(page))
    page.locator(".md-sidebar--secondary a[href='#done']").focus()  # the contents, at the side
    assert_visible_ring(focus_ring(page))
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.hash === '#done'")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_standalone_page_shows_where_the_focus_is(open_page: Any, scheme: str) -> None:
    page = open_page("sample", "20-every-feature/20-every-feature.html", scheme)
    tab_to(page, ".gs-shot")
    assert_visible_ring(focus_ring(page))
