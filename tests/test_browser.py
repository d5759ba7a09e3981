"""The standalone page in a real browser: offline from file://, images decoded, keyboard-usable.

Screenshots at phone and desktop widths, light and dark, go to tmp_path, or to the
directory named by GUIDESMITH_SHOTS_DIR to look at them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CHROMIUM
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from generator.loader import load_guide
from generator.present import guide_view
from generator.render.html import render_standalone
from generator.views import GuideView, StepImage

sync_api = pytest.importorskip("playwright.sync_api")


pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")

SHOT_SIZE = (1120, 626)
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

GUIDE_YAML = """\
title: Generate a deploy token
chapter: "Chapter 0: Preparation"
source: https://scribehow.com/shared/Generate_a_deploy_token__example
description: >-
  Create a personal access token with the `repo` scope, so that the lab tools can
  talk to the Git server on your behalf.
steps:
  - text: Log into [https://git.example.com/](https://git.example.com/)
    image: {src: shots/1.png}
  - text: Once logged in, click on your profile picture in the top right corner
    image: {src: shots/2.png}
  - text: Click "Settings"
    image: {src: shots/3.png}
  - section: Create the token
  - text: Scroll down the sidebar and click "Developer settings"
    tip: If you don't see it, widen the window; the sidebar hides on narrow screens.
    image: {src: shots/4.png}
  - text: Click "Tokens (classic)", then "Generate new token"
    image: {src: shots/5.png}
  - text: Type a name in the "Note" field (e.g. `workshop-lab`) and press [[Enter]]
    image: {src: shots/6.png}
  - text: Copy the token and keep it somewhere safe
    alert: The token is shown once. Store it in your password manager before you leave the page.
    image: {src: shots/7.png}
  - text: That's it! You can close the settings tab.
"""

# (click point, highlighted sidebar row) of each fixture screenshot
CLICKS = {
    1: ((560, 368), None),
    2: ((1086, 24), None),
    3: ((140, 219), 3),
    4: ((140, 483), 9),
    5: ((442, 518), 10),
    6: ((520, 317), 10),
    7: ((700, 317), 10),
}


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.truetype(str(FONT), size) if FONT.exists() else ImageFont.load_default(size)


def draw_screenshot(number: int) -> PILImage.Image:
    """A made-up web app screen: top bar, sidebar, a form, and Scribe's orange click marker."""
    width, height = SHOT_SIZE
    image = PILImage.new("RGB", SHOT_SIZE, "#FFFFFF")
    draw = ImageDraw.Draw(image)
    small, body, heading = _font(13), _font(15), _font(22)
    (click_x, click_y), active = CLICKS[number]

    draw.rectangle((0, 0, width, 48), fill="#24292F")
    draw.ellipse((16, 12, 40, 36), fill="#F6F8FA")
    draw.rounded_rectangle((60, 10, 360, 38), radius=6, fill="#32383F", outline="#57606A")
    draw.text((74, 24), "Search or jump to...", fill="#9DA7B3", font=small, anchor="lm")
    draw.ellipse((1072, 10, 1100, 38), fill="#8250DF")

    if number == 1:
        draw.rounded_rectangle((380, 110, 740, 470), radius=10, fill="#F6F8FA", outline="#D0D7DE")
        draw.text((560, 150), "Sign in to Git", fill="#1F2328", font=heading, anchor="mm")
        for top, label in ((200, "Username or email address"), (270, "Password")):
            draw.text((404, top), label, fill="#1F2328", font=small)
            draw.rounded_rectangle((404, top + 20, 716, top + 50), radius=6, fill="#FFFFFF",
                                   outline="#D0D7DE")
        draw.rounded_rectangle((404, 350, 716, 386), radius=6, fill="#1F883D")
        draw.text((560, 368), "Sign in", fill="#FFFFFF", font=body, anchor="mm")
    else:
        draw.rectangle((0, 48, 280, height), fill="#F6F8FA")
        draw.line((280, 48, 280, height), fill="#D0D7DE", width=1)
        labels = ["Public profile", "Account", "Appearance", "Settings", "Notifications",
                  "Billing", "Emails", "Password", "SSH keys", "Developer settings",
                  "Personal access tokens", "Applications"]
        for row, label in enumerate(labels):
            top = 70 + row * 44
            if row == active:
                draw.rounded_rectangle((12, top, 268, top + 34), radius=6, fill="#E7ECF0")
                draw.rectangle((12, top + 6, 15, top + 28), fill="#FB8C00")
            draw.text((32, top + 17), label, fill="#1F2328", font=body, anchor="lm")
        draw.text((320, 88), ["", "", "Your profile", "Settings", "Developer settings",
                              "Personal access tokens", "New personal access token",
                              "Your new token"][number], fill="#1F2328", font=heading, anchor="lm")
        draw.line((320, 118, 1080, 118), fill="#D0D7DE", width=1)
        for row in range(4):
            top = 140 + row * 22
            draw.rounded_rectangle((320, top, 320 + (700 - row * 90), top + 10), radius=5,
                                   fill="#E5E9ED")
        draw.rounded_rectangle((320, 250, 1080, 560), radius=8, outline="#D0D7DE", width=1)
        draw.text((344, 280), "Note", fill="#1F2328", font=body, anchor="lm")
        draw.rounded_rectangle((344, 300, 760, 334), radius=6, fill="#FFFFFF", outline="#D0D7DE")
        if number >= 6:
            draw.text((356, 317), "workshop-lab", fill="#1F2328", font=body, anchor="lm")
        for row in range(3):
            top = 370 + row * 36
            draw.rounded_rectangle((344, top, 362, top + 18), radius=3, outline="#57606A",
                                   fill="#0969DA" if row == 0 else "#FFFFFF")
            draw.rounded_rectangle((378, top + 4, 378 + 240 - row * 40, top + 14), radius=5,
                                   fill="#E5E9ED")
        draw.rounded_rectangle((344, 500, 540, 536), radius=6, fill="#1F883D")
        draw.text((442, 518), "Generate token", fill="#FFFFFF", font=body, anchor="mm")
        if number == 2:
            draw.rounded_rectangle((900, 44, 1108, 300), radius=8, fill="#FFFFFF",
                                   outline="#D0D7DE")
            for row, label in enumerate(["Your profile", "Your repositories", "Settings",
                                         "Sign out"]):
                draw.text((920, 76 + row * 52), label, fill="#1F2328", font=body, anchor="lm")

    marker = PILImage.new("RGBA", SHOT_SIZE, (0, 0, 0, 0))
    ImageDraw.Draw(marker).ellipse(
        (click_x - 36, click_y - 36, click_x + 36, click_y + 36), fill=(0xFB, 0x92, 0x3C, 178)
    )
    return PILImage.alpha_composite(image.convert("RGBA"), marker).convert("RGB")


def fixture_view(directory: Path) -> GuideView:
    """A realistic guide: eight steps, a section, a tip, an alert, a key, a step without image."""
    guide_path = directory / "generate-a-deploy-token.yml"
    guide_path.write_text(GUIDE_YAML)
    loaded = load_guide(guide_path)
    images = {}
    for number in CLICKS:
        extension = "png" if number == 2 else "jpg"
        path = directory / "rendered" / f"step-{number:02d}.{extension}"
        path.parent.mkdir(parents=True, exist_ok=True)
        draw_screenshot(number).save(path, quality=90)
        images[number] = StepImage(number, path.name, path, *SHOT_SIZE)
    return guide_view(loaded, images)


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("standalone")
    path = directory / "site" / "generate-a-deploy-token.html"
    path.parent.mkdir()
    path.write_text(render_standalone(fixture_view(directory)), encoding="utf-8")
    return path




@pytest.fixture
def shots_dir(tmp_path: Path) -> Path:
    named = os.environ.get("GUIDESMITH_SHOTS_DIR")
    directory = Path(named) if named else tmp_path
    directory.mkdir(parents=True, exist_ok=True)
    return directory


class Visit:
    """A page opened from file://, with every request and console error it caused."""

    def __init__(self, browser: Any, path: Path, width: int, scheme: str = "light") -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda message: self.errors.append(message.text)
                     if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.emulate_media(color_scheme=scheme)
        self.url = path.as_uri()
        self.page.goto(self.url, wait_until="load")

    def close(self) -> None:
        self.context.close()

    def active(self) -> str:
        return self.page.evaluate(
            "() => (document.activeElement.className || document.activeElement.tagName)"
        )


@pytest.fixture
def visit(browser: Any, page_file: Path) -> Iterator[Visit]:
    opened = Visit(browser, page_file, 1280)
    yield opened
    opened.close()


def test_opens_offline_and_asks_for_nothing_else(visit: Visit) -> None:
    visit.page.wait_for_timeout(300)
    others = [url for url in visit.requests if url != visit.url and not url.startswith("data:")]
    assert others == []
    assert visit.errors == [], "no CSP violation, no script error"
    assert visit.page.evaluate("() => document.documentElement.classList.contains('gs-js')")


def test_every_image_decodes(visit: Visit) -> None:
    sizes = visit.page.evaluate(
        "() => Array.from(document.querySelectorAll('main img'), (img) => [img.complete,"
        " img.naturalWidth, img.naturalHeight])"
    )
    assert sizes == [[True, *SHOT_SIZE]] * len(CLICKS)


def test_keyboard_opens_and_closes_the_full_size_view(visit: Visit) -> None:
    page = visit.page
    for _ in range(10):
        page.keyboard.press("Tab")
        if visit.active() == "gs-shot":
            break
    assert visit.active() == "gs-shot"
    page.keyboard.press("Enter")
    dialog = page.locator("#gs-lightbox")
    assert dialog.evaluate("(d) => d.open")
    full = dialog.locator("img")
    assert full.evaluate("(img) => img.naturalWidth") == SHOT_SIZE[0]
    assert full.get_attribute("alt") == "Step 1: Log into https://git.example.com/"
    assert dialog.locator("figcaption").inner_text() == "Step 1: Log into https://git.example.com/"
    assert visit.active() == "gs-lightbox__close"
    page.keyboard.press("Escape")
    assert not dialog.evaluate("(d) => d.open")
    assert visit.active() == "gs-shot", "focus returns to the image that opened the view"
    page.keyboard.press("Space")
    assert dialog.evaluate("(d) => d.open")
    page.keyboard.press("Enter")  # on the focused Close button
    assert not dialog.evaluate("(d) => d.open")


def test_click_opens_and_click_closes(visit: Visit) -> None:
    page = visit.page
    page.locator(".gs-shot img").nth(2).click()
    dialog = page.locator("#gs-lightbox")
    assert dialog.evaluate("(d) => d.open")
    assert dialog.locator("figcaption").inner_text() == 'Step 3: Click "Settings"'
    page.mouse.click(20, 450)
    assert not dialog.evaluate("(d) => d.open")


def test_print_keeps_each_step_whole(visit: Visit) -> None:
    visit.page.emulate_media(media="print", color_scheme="dark")
    styles = visit.page.evaluate(
        "() => { const s = getComputedStyle(document.querySelector('.gs-step'));"
        " return [s.breakInside, s.boxShadow, getComputedStyle(document.body).backgroundColor]; }"
    )
    assert styles == ["avoid", "none", "rgb(255, 255, 255)"]


@pytest.mark.parametrize("width", [360, 1920])
def test_no_sideways_scrolling(browser: Any, page_file: Path, width: int) -> None:
    opened = Visit(browser, page_file, width)
    try:
        page = opened.page
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        main_width = page.evaluate("() => document.querySelector('main').clientWidth")
        assert main_width <= 880
    finally:
        opened.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_screenshots(
    browser: Any, page_file: Path, shots_dir: Path, width: int, scheme: str
) -> None:
    opened = Visit(browser, page_file, width, scheme)
    try:
        page = opened.page
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert background == {"light": "rgb(246, 247, 249)", "dark": "rgb(17, 19, 23)"}[scheme]
        shot_width = page.evaluate(
            "() => document.querySelector('.gs-shot img').getBoundingClientRect().width"
        )
        assert shot_width <= min(width, 880)
        path = shots_dir / f"standalone-{width}-{scheme}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0
        assert [u for u in opened.requests if u != opened.url and not u.startswith("data:")] == []
    finally:
        opened.close()
