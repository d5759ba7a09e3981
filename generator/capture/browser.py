"""The only code of guidesmith that drives a browser: Chromium through Playwright's sync API.

A `Session` is one guide's capture: one browser context (viewport, scale, colour scheme,
locale) and one page, through which the guide's captured steps run in order. For each step:
its preparation (goto, wait_for, hover, press, scroll_to), the screenshot, the geometry
measured on the page in source pixels (the click point, the crop, the redaction and
highlight boxes), then the action (click, fill, select, check), so the next step sees it.

Playwright is imported only when a browser is launched: it is an optional extra, and
`build` never comes here.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urljoin

from generator.model import CAPTURE_CROPS, CaptureSettings, StepCapture

INSTALL_HINT = "pip install 'guidesmith[capture]'"
# The `capture` extra of pyproject.toml (a test keeps them equal), for the workflow that
# `guidesmith init` writes, which installs guidesmith from requirements.txt.
PLAYWRIGHT = "playwright>=1.51,<2"
# Debian's and Ubuntu's Chromium, for machines without Playwright's own (CI, this project's).
SYSTEM_CHROMIUM = ("chromium", "chromium-browser")
BROWSER_ARGS = ["--disable-gpu", "--disable-background-networking"]
# Secrets shorter than this would be found in too many unrelated texts to check for.
MIN_SECRET = 4
_PAGE_JS = (Path(__file__).with_name("page.js")).read_text(encoding="utf-8")

Box = tuple[int, int, int, int]


class BrowserUnavailable(Exception):
    """No Playwright, or no Chromium it can start: said once, with what to do."""


class Unreachable(Exception):
    """The guide's url cannot be opened (refused, unknown host, an HTTP error)."""


class StepFailure(Exception):
    """A step that cannot be taken; `field` is the key of its `capture:` at fault."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Taken:
    """One step as the browser saw it: the screenshot and its geometry in source pixels."""

    png: bytes
    url: str
    click: tuple[int, int] | None = None
    crop: Box | None = None
    redact: list[Box] = field(default_factory=list)
    highlight: list[Box] = field(default_factory=list)


def sync_api() -> ModuleType:
    """Playwright's sync API, or BrowserUnavailable saying how to install it."""
    try:
        from playwright import sync_api as api
    except ImportError:
        raise BrowserUnavailable(
            f"guidesmith capture needs Playwright, which is not installed: {INSTALL_HINT}"
        ) from None
    return api


@contextmanager
def launched(browser_path: Path | None = None) -> Iterator[Any]:
    """A headless Chromium: `browser_path`, else Playwright's own when it is installed
    (`playwright install chromium`), else the system's chromium."""
    api = sync_api()
    with api.sync_playwright() as playwright:
        browser = _launch(api, playwright.chromium, browser_path)
        try:
            yield browser
        finally:
            browser.close()


def _launch(api: ModuleType, chromium: Any, path: Path | None) -> Any:
    if path is not None:
        if not path.is_file():
            raise BrowserUnavailable(f"--browser {path}: no such file")
        return _start(api, chromium, str(path))
    try:
        return chromium.launch(headless=True, args=BROWSER_ARGS)
    except api.Error as exc:
        if "Executable doesn't exist" not in str(exc):
            raise BrowserUnavailable(
                f"cannot start Playwright's Chromium: {_first_line(exc)}") from None
    for name in SYSTEM_CHROMIUM:
        if found := shutil.which(name):
            return _start(api, chromium, found)
    raise BrowserUnavailable(
        "no Chromium to drive: run `playwright install chromium`, install the system's "
        "chromium package, or pass --browser PATH"
    )


def _start(api: ModuleType, chromium: Any, executable: str) -> Any:
    try:
        return chromium.launch(executable_path=executable, headless=True, args=BROWSER_ARGS)
    except api.Error as exc:
        raise BrowserUnavailable(f"cannot start {executable}: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    """Playwright's message without its call log, and without `Locator.click: ` before it."""
    line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    head, sep, rest = line.partition(": ")
    return rest if sep and "." in head and " " not in head else line


class Session:
    """One guide's capture: a fresh browser context and page, steps taken in order."""

    def __init__(
        self, browser: Any, settings: CaptureSettings, base_url: str, secrets: Sequence[str]
    ) -> None:
        self.api = sync_api()
        self.settings = settings
        self.base_url = base_url
        self.scale = settings.scale
        self.timeout = settings.timeout
        width, height = settings.viewport
        # A fixed clock zone and locale, and no motion: the same steps give the same pixels.
        self.context = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=settings.scale,
            color_scheme=settings.color_scheme, locale=settings.locale, timezone_id="UTC",
            reduced_motion="reduce",
        )
        # The guide's timeout is for selectors; loading, screenshots and actions get longer.
        self.context.set_default_timeout(max(30.0, settings.timeout) * 1000)
        self.page = self.context.new_page()
        self.secrets = sorted({value for value in secrets if value}, key=len, reverse=True)
        self.secret_fields: list[str] = []  # filled with a secret: redacted from then on

    def close(self) -> None:
        with contextlib.suppress(self.api.Error):  # a browser that died: nothing to close
            self.context.close()

    def open(self) -> None:
        """Open the guide's url, the page the first step starts on."""
        try:
            response = self.page.goto(self.base_url)
        except self.api.Error as exc:
            raise Unreachable(_first_line(exc).removesuffix(f" at {self.base_url}")) from None
        if response is not None and response.status >= 400:
            raise Unreachable(f"HTTP {response.status}")

    def take(self, capture: StepCapture, value: str | None = None) -> Taken:
        """Prepare, screenshot, measure, act. `value`: the action's value, secrets expanded."""
        try:
            return self._take(capture, value)
        except StepFailure as exc:
            raise StepFailure(exc.field, self._scrubbed(exc.message)) from None
        except self.api.Error as exc:  # what no step's key explains: the browser itself
            raise StepFailure("", self._scrubbed(f"the browser failed on {self.page.url}: "
                                                 f"{_first_line(exc)}")) from None

    def _scrubbed(self, message: str) -> str:
        """`message` without any `${NAME}` value, whatever the browser put in it."""
        for secret in self.secrets:
            message = message.replace(secret, "${…}")
        return message

    def _take(self, capture: StepCapture, value: str | None) -> Taken:
        self._prepare(capture)
        action = capture.action
        target = self._one(action[1], action[0]) if action is not None else None
        full_page = capture.crop != "viewport"
        if target is not None and not full_page:
            target.scroll_into_view_if_needed()  # as a reader would, to see what to click
        crop = self._one(capture.crop, "crop") if capture.crop not in CAPTURE_CROPS else None
        redact = [self._one(selector, "redact") for selector in capture.redact]
        highlight = [self._one(selector, "highlight") for selector in capture.highlight]
        hidden = [found for selector in self.secret_fields if (found := self._shown(selector))]
        url = self.page.url
        # Animations are finished for the screenshot and stay finished: measure after it.
        png = self.page.screenshot(full_page=full_page, animations="disabled", caret="hide")
        size = _png_size(png)
        offset = self._scroll() if full_page else (0.0, 0.0)
        margin = self.settings.margin
        boxes = [self._box(found, offset, size) for found in [*redact, *hidden]]
        taken = Taken(
            png, url,
            click=self._centre(target, offset) if target is not None else None,
            crop=self._box(crop, offset, size, margin) if crop is not None else None,
            redact=boxes,
            highlight=[self._box(found, offset, size, clamp=False) for found in highlight],
        )
        self._no_secret_shown(boxes, offset, size)
        if action is not None and target is not None:
            self._act(action[0], action[1], target, value)
        return taken

    def _prepare(self, capture: StepCapture) -> None:
        if capture.goto is not None:
            url = urljoin(self.base_url, capture.goto)
            try:
                response = self.page.goto(url)
            except self.api.Error as exc:
                raise StepFailure("goto", f"cannot open {url}: {_first_line(exc)}") from None
            if response is not None and response.status >= 400:
                raise StepFailure("goto", f"{url} answered HTTP {response.status}")
        for selector in capture.wait_for:
            self._one(selector, "wait_for")
        if capture.hover is not None:
            self._do("hover", capture.hover, self._one(capture.hover, "hover").hover)
        for key in capture.press:
            try:
                self.page.keyboard.press(key)
            except self.api.Error as exc:
                raise StepFailure("press", f"cannot press {key!r}: {_first_line(exc)}") from None
        if capture.scroll_to is not None:
            found = self._one(capture.scroll_to, "scroll_to")
            self._do("scroll_to", capture.scroll_to, found.scroll_into_view_if_needed)

    def _one(self, selector: str, field_name: str) -> Any:
        """The one visible element `selector` names, waited for; StepFailure otherwise.

        Hidden matches (another view, a closed dialog) do not count: a reader sees one.
        """
        locator = self.page.locator(selector).filter(visible=True)
        try:
            count = locator.count()  # mostly it is there already: one round trip
            if count == 0:
                locator.first.wait_for(state="visible", timeout=self.timeout * 1000)
                count = locator.count()
        except self.api.TimeoutError:
            raise StepFailure(field_name, f"{selector!r} matches nothing visible within "
                              f"{self.timeout:g} s on {self.page.url}") from None
        except self.api.Error as exc:
            raise StepFailure(field_name, f"{selector!r} is not a valid selector: "
                              f"{_first_line(exc)}") from None
        if count > 1:
            raise StepFailure(field_name, f"{selector!r} matches {count} visible elements on "
                              f"{self.page.url}: make it name one")
        return locator

    def _shown(self, selector: str) -> Any:
        """The element `selector` names when it is on the page now, once and visible."""
        locator = self.page.locator(selector)
        return locator if locator.count() == 1 and locator.is_visible() else None

    def _do(self, field_name: str, selector: str, call: Any, *args: Any) -> None:
        try:
            call(*args)
        except self.api.Error as exc:
            raise StepFailure(field_name, f"cannot {field_name.replace('_', ' ')} {selector!r} "
                              f"on {self.page.url}: {_first_line(exc)}") from None

    def _act(self, kind: str, selector: str, target: Any, value: str | None) -> None:
        if kind == "fill" and value is not None:
            self._do(kind, selector, target.fill, value)
            if self.secrets and any(secret in value for secret in self.secrets):
                self.secret_fields.append(selector)
        elif kind == "select":
            self._do(kind, selector, target.select_option, value)
        elif kind == "check":
            self._do(kind, selector, target.check)
        else:
            self._do(kind, selector, target.click)
        # A page still loading after that is what the next step's wait_for is for.
        with contextlib.suppress(self.api.Error):
            self.page.wait_for_load_state()

    def _scroll(self) -> tuple[float, float]:
        x, y = self.page.evaluate("[window.scrollX, window.scrollY]")
        return float(x), float(y)

    def _rect(self, locator: Any) -> tuple[float, float, float, float]:
        box = locator.bounding_box()
        if box is None:  # it went away between the screenshot and now
            raise StepFailure("", f"an element went away while it was measured on {self.page.url}")
        return box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"]

    def _box(
        self, locator: Any, offset: tuple[float, float], size: tuple[int, int],
        margin: int = 0, clamp: bool = True,
    ) -> Box:
        """An element's box in source pixels (see _source_box)."""
        box = self._source_box(self._rect(locator), offset, margin)
        return _clamped(box, size) if clamp else box

    def _source_box(
        self, rect: tuple[float, float, float, float], offset: tuple[float, float],
        margin: int = 0,
    ) -> Box:
        """CSS pixels of the page, from the image's origin, scaled to source pixels and
        widened to whole pixels (so the box covers what it measures)."""
        x1, y1, x2, y2 = rect
        return (
            math.floor((x1 + offset[0] - margin) * self.scale),
            math.floor((y1 + offset[1] - margin) * self.scale),
            math.ceil((x2 + offset[0] + margin) * self.scale),
            math.ceil((y2 + offset[1] + margin) * self.scale),
        )

    def _centre(self, locator: Any, offset: tuple[float, float]) -> tuple[int, int]:
        x1, y1, x2, y2 = self._rect(locator)
        return (math.floor(((x1 + x2) / 2 + offset[0]) * self.scale),
                math.floor(((y1 + y2) / 2 + offset[1]) * self.scale))

    def _no_secret_shown(
        self, boxes: list[Box], offset: tuple[float, float], size: tuple[int, int]
    ) -> None:
        """Refuse a screenshot that shows a `${NAME}` value outside every redaction."""
        searched = [secret for secret in self.secrets if len(secret) >= MIN_SECRET]
        if not searched:
            return
        for rect in self.page.evaluate(_PAGE_JS, searched):
            shown = _clamped(self._source_box(tuple(rect), offset), size)
            if shown[2] <= shown[0] or shown[3] <= shown[1]:
                continue  # off the screenshot
            if not any(_covers(box, shown) for box in boxes):
                raise StepFailure("redact", f"the page shows a ${{NAME}} value at {shown} "
                                  "(source pixels), outside every redaction: add a selector"
                                  " that covers it to `redact`")


def _clamped(box: Box, size: tuple[int, int]) -> Box:
    width, height = size
    return (min(max(box[0], 0), width), min(max(box[1], 0), height),
            min(max(box[2], 0), width), min(max(box[3], 0), height))


def _covers(outer: Box, inner: Box) -> bool:
    return (outer[0] <= inner[0] and outer[1] <= inner[1]
            and outer[2] >= inner[2] and outer[3] >= inner[3])


def _png_size(png: bytes) -> tuple[int, int]:
    """A PNG's size from its header (IHDR is always the first chunk)."""
    width, height = struct.unpack(">II", png[16:24])
    return width, height
